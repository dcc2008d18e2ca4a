/* imagehdr.h - an image's format and size from its own bytes, fed as they
 * stream past, with nothing allocated for the pixels
 *
 * PNG's header is read by libpng; its chunks are walked to the end (framing,
 * and the CRC of every chunk but IDAT, whose data a decoder checks). JPEG,
 * GIF and WebP sizes come from their headers, and their ends are checked.
 */
#ifndef IG_IMAGEHDR_H
#define IG_IMAGEHDR_H
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"

struct ig_imghdr {
	const char *format;	/* png, jpeg, gif, webp, or unknown */
	uint32_t width, height;	/* 0 when not known */
	char err[256];		/* why it is not a sound image, or empty */
	/* state */
	int kind;
	uint64_t pos;
	unsigned char head[32];
	size_t nhead;
	unsigned char tail[2];
	void *png, *pnginfo;
	int png_state;
	struct {	/* a chunk or segment walker */
		int state;
		unsigned char hdr[16];
		size_t nhdr;
		uint64_t skip;
		uint32_t type, crc;
		int check_crc, seen_idat, done;
	} w;
};

void ig_imghdr_init(struct ig_imghdr *h);
void ig_imghdr_feed(struct ig_imghdr *h, const unsigned char *p, size_t n);
/* after the last byte: sets err for a truncated or unsound file */
void ig_imghdr_finish(struct ig_imghdr *h);
void ig_imghdr_free(struct ig_imghdr *h);

#endif
