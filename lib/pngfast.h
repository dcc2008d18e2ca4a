/* pngfast.h - a PNG's IDAT chunks read past libpng: ISA-L inflates them
 *
 * For rows as stored (8 or 16 bits, not interlaced, no transform) when the
 * chunks after the image data are only checked, not kept: see raster.c.
 */
#ifndef IG_PNGFAST_H
#define IG_PNGFAST_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ig_pngfast;

/* f stands in the first IDAT chunk's data, idat_left bytes of it to read;
 * rowbytes and bpp are the image's (bytes a row, bytes a pixel). Errors
 * are written to err. */
struct ig_pngfast *ig_pngfast_new(FILE *f, uint32_t idat_left, size_t rowbytes, int bpp, char *err,
    size_t errlen);
/* the next row, unfiltered: 0, or -1 with the reason in err */
int ig_pngfast_row(struct ig_pngfast *p, unsigned char *row);
/* the stream's end and every chunk to IEND, their CRCs checked: 0 or -1 */
int ig_pngfast_finish(struct ig_pngfast *p);
void ig_pngfast_free(struct ig_pngfast *p);

#endif
