/* uuid.h - UUIDs as 16 bytes and as canonical lowercase text */
#ifndef IG_UUID_H
#define IG_UUID_H
#include <stddef.h>
#include <stdint.h>

#define IG_UUID_TEXT 37	/* 36 characters and a NUL */

/* 0 if s is a UUID in 8-4-4-4-12 hex form (either case) */
int ig_uuid_parse(const char *s, uint8_t out[16]);
void ig_uuid_format(const uint8_t u[16], char out[IG_UUID_TEXT]);
/* a new time-ordered UUIDv7, increasing within this process */
void ig_uuid_v7(uint8_t out[16]);
/* the namespaces of ig's name-based ids, one per kind of name */
extern const uint8_t ig_ns_images[16];		/* an image by its path */
extern const uint8_t ig_ns_batches[16];		/* a batch by its name */
extern const uint8_t ig_ns_jobs[16];		/* a job by batch name and number */
extern const uint8_t ig_ns_metadata[16];	/* a job's metadata by the job's id */
extern const uint8_t ig_ns_tasks[16];		/* a job's task by the job's id */
extern const uint8_t ig_ns_grids[16];		/* a map's grid by the image's id */
extern const uint8_t ig_ns_overlays[16];	/* an overlay by image id and type */

/* a name-based UUIDv5 (SHA-1): the same name in a namespace, the same id */
void ig_uuid_v5(const uint8_t ns[16], const char *name, size_t n, uint8_t out[16]);
/* the same, as canonical text */
void ig_uuid_v5_text(const uint8_t ns[16], const char *name, size_t n, char out[IG_UUID_TEXT]);

#endif
