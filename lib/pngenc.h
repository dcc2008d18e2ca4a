/* pngenc.h - a PNG written row by row, its deflate spread over threads
 *
 * Rows are filtered as libpng filters them (adaptive: the least sum of
 * absolute differences), in bands; each band is deflated on its own thread
 * with the previous band's last 32 KB as its dictionary and ends on a sync
 * flush, so the bands join into one zlib stream, whose Adler-32 is combined
 * from theirs (as pigz does). Output is as small as one thread's, within a
 * few bytes a band. Memory: the bands in flight, never the image.
 */
#ifndef IG_PNGENC_H
#define IG_PNGENC_H
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum ig_png_filter { IG_FILTER_NONE, IG_FILTER_SUB, IG_FILTER_UP, IG_FILTER_AVG,
	IG_FILTER_PAETH, IG_FILTER_ADAPTIVE };

struct ig_pngenc;

/* "none", "sub", "up", "avg", "paeth", "adaptive": 0 or -1 */
int ig_png_filter_parse(const char *s, enum ig_png_filter *f);
const char *ig_png_filter_name(enum ig_png_filter f);
/* zlib's strategies as "default", "filtered", "huffman", "rle": 0 or -1 */
int ig_png_strategy_parse(const char *s, int *strategy);
const char *ig_png_strategy_name(int strategy);

/* level and strategy are zlib's (deflateInit2); head: chunks to put
 * between IHDR and the image data */
struct ig_pngenc *ig_pngenc_new(int fd, uint32_t width, uint32_t height, int channels, int depth,
    int level, int strategy, enum ig_png_filter filter, int threads, const struct ig_buf *head);
/* feed every byte written to h (after ig_hash_begin, before any row), so
 * the file's facts need no second read */
struct ig_hasher;
struct ig_facts;
void ig_pngenc_hash(struct ig_pngenc *e, struct ig_hasher *h, struct ig_facts *f);
int ig_pngenc_row(struct ig_pngenc *e, const unsigned char *row);
/* the last band, tail's chunks and IEND; 0, or -1 when any write failed
 * (errno-style reason in err) */
int ig_pngenc_finish(struct ig_pngenc *e, const struct ig_buf *tail, char *err, size_t errlen);
void ig_pngenc_free(struct ig_pngenc *e);

#endif
