/* thumb.h - thumbnails made while an image is decoded, a row at a time
 *
 * The source is never held: each row, read by raster.c, is added into the
 * output row it falls in, in linear light (sRGB decoded through a table,
 * alpha premultiplied), a box filter over the source pixels each output
 * pixel covers; an output row is encoded back to sRGB once its last source
 * row is in, over the background for what is transparent. Memory: a source
 * row, a row of sums, and the thumbnail.
 */
#ifndef IG_THUMB_H
#define IG_THUMB_H
#include <stddef.h>
#include <stdint.h>

struct ig_thumb {
	uint32_t width, height;	/* of the thumbnail: the source's fit in max x max */
	uint32_t src_width, src_height;
	unsigned char *rgb;	/* width * height * 3 */
};

/* path's thumbnail, at most max pixels a side (never larger than the
 * source), over background bg (RGB); 0, or -1 with err */
int ig_thumb_make(struct ig_thumb *t, const char *path, uint32_t max, const unsigned char bg[3], char *err,
    size_t errlen);
void ig_thumb_free(struct ig_thumb *t);

#endif
