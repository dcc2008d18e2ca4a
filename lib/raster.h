/* raster.h - PNG and JPEG files decoded one row at a time
 *
 * Rows come out as grey, grey+alpha, RGB or RGBA at 8 or 16 bits (16 big
 * endian): a palette becomes RGB(A), transparency an alpha channel, and
 * grey becomes RGB when the caller asks for color. Whatever the source says
 * about its colors (gAMA, cHRM, sRGB, iCCP, pHYs) and its text (tEXt, zTXt,
 * iTXt; a JPEG's comment and XMP) is kept as PNG chunks for the writer.
 * Interlaced PNGs are buffered whole, up to IG_RASTER_BUFFER_MAX bytes.
 * A reader that keeps nothing after the rows (IG_RASTER_NO_TAIL) has rows
 * as stored inflated by ISA-L instead of libpng's zlib (pngfast.h).
 */
#ifndef IG_RASTER_H
#define IG_RASTER_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "bounds.h"
#include "pngfast.h"


struct ig_raster {
	const char *format;	/* "png" or "jpeg" */
	uint32_t width, height;
	int channels, depth;	/* of the rows read */
	size_t rowbytes;
	struct ig_buf head;	/* chunks for before the image data */
	struct ig_buf tail;	/* chunks a PNG had after its image data */
	/* state */
	FILE *f;
	void *png, *info, *jpeg;
	uint64_t at, next_chunk;	/* PNG: bytes read, and where the next chunk starts */
	unsigned char chunk_head[8];
	unsigned char *whole;	/* an interlaced image */
	struct ig_pngfast *fast;	/* the image data read past libpng */
	uint32_t y;
	int flags;
	char *err;
	size_t errlen;
};

enum {
	IG_RASTER_COLOR = 1,	/* grey comes out as RGB */
	IG_RASTER_NO_TAIL = 2,	/* the chunks after the rows are checked, not kept */
};

/* 0, or -1 with the reason in err: not a PNG or JPEG, unsound, or more than
 * IG_MAX_PIXELS (refused before any pixel memory is taken). flags: IG_RASTER_* */
int ig_raster_open(struct ig_raster *r, const char *path, int flags, char *err, size_t errlen);
/* the next row into row (rowbytes); 0 or -1 with err */
int ig_raster_row(struct ig_raster *r, unsigned char *row);
/* reads what follows the last row (PNG: the end chunks and their CRCs) */
int ig_raster_finish(struct ig_raster *r);
void ig_raster_close(struct ig_raster *r);

#endif
