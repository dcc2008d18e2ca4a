/* hash.h - a file's facts in one pass over its bytes: SHA-256, XXH3-128,
 * size, and what kind of image it is */
#ifndef IG_HASH_H
#define IG_HASH_H
#include <stdint.h>

#include "imagehdr.h"

struct ig_facts {
	char sha256[65];
	char xxh128[33];	/* canonical big-endian, as xxhsum -H2 prints */
	uint64_t size;
	struct ig_imghdr img;	/* format, width, height, or why not an image */
	char err[300];		/* the file could not be read: nothing else holds */
};

struct ig_hasher;

/* one per thread: the digest states and the read buffer */
struct ig_hasher *ig_hasher_new(void);
void ig_hasher_free(struct ig_hasher *h);
/* 0 when the file was read whole (f->img.err may still say it is no sound
 * image), -1 when it could not be read (f->err says why) */
int ig_hash_file(struct ig_hasher *h, const char *path, struct ig_facts *f);
/* The same facts of bytes as they go by, fed in order: for a file being
 * written, which then needs no second read. */
void ig_hash_begin(struct ig_hasher *h, struct ig_facts *f);
void ig_hash_feed(struct ig_hasher *h, struct ig_facts *f, const void *p, size_t n);
void ig_hash_end(struct ig_hasher *h, struct ig_facts *f);

#endif
