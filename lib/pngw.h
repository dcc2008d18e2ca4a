/* pngw.h - writing PNG files, and adding text to PNG and JPEG bytes */
#ifndef IG_PNGW_H
#define IG_PNGW_H
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct ig_text {
	const char *key;	/* 1 to 79 Latin-1 bytes */
	const char *text;	/* tEXt when ASCII, else iTXt (UTF-8) */
};

typedef void ig_row_fn(void *ctx, uint32_t y, unsigned char *row);

/* a libpng warning handler that drops them: a reader says what is wrong
 * through its errors */
struct png_struct_def;
void ig_png_quiet(struct png_struct_def *png, const char *msg);

/* an 8-bit RGB PNG, rows made by row(), zlib at level; -1 with err */
int ig_png_encode_rgb(struct ig_buf *out, uint32_t width, uint32_t height, int level,
    ig_row_fn *row, void *ctx, char *err, size_t errlen);
/* a chunk: length, type, data, CRC */
void ig_png_chunk(struct ig_buf *b, const char *type, const void *data, size_t n);
/* a tEXt chunk (text Latin-1), or an uncompressed iTXt one (text UTF-8) */
void ig_png_text_chunk(struct ig_buf *b, const char *key, const char *text, size_t n, int itxt,
    const char *lang, const char *lang_key);
/* png with text chunks spliced in after IHDR, so every reader sees them
 * before the image data; -1 if png is not a PNG */
int ig_png_add_text(struct ig_buf *out, const unsigned char *png, size_t n,
    const struct ig_text *texts, int ntexts);
/* a JPEG segment: marker (0xfe COM, 0xe1 APP1), an identifying prefix
 * written with its NUL ("" for none), then data */
struct ig_jpeg_segment {
	unsigned char marker;
	const char *prefix;
	const void *data;
	size_t len;
};
/* jpeg with segments after SOI; -1 if jpeg is not a JPEG or a segment is too long */
int ig_jpeg_add_segments(struct ig_buf *out, const unsigned char *jpeg, size_t n,
    const struct ig_jpeg_segment *segs, int nsegs);
/* jpeg with a COM segment after SOI (cut at 65533 bytes); -1 if not a JPEG */
int ig_jpeg_add_comment(struct ig_buf *out, const unsigned char *jpeg, size_t n, const char *text);
/* the data of the first segment before the scan with this marker and
 * prefix, as a string, or NULL (caller frees) */
char *ig_jpeg_get_segment(const unsigned char *jpeg, size_t n, unsigned char marker, const char *prefix);
/* the same from a JPEG file's head */
char *ig_jpeg_file_segment(const char *path, unsigned char marker, const char *prefix);
/* A WebP of total bytes, of which webp holds the first n (the first chunk's
 * header at least), with an XMP packet: out is its head, made extended
 * (VP8X, with the XMP flag) if it was simple and its RIFF size grown;
 * the rest of the file follows it, then tail, the XMP chunk; -1 if it
 * is not such a WebP */
int ig_webp_add_xmp(struct ig_buf *out, struct ig_buf *tail, const unsigned char *webp, size_t n, uint64_t total,
    const char *xmp, size_t xmplen);
/* the XMP packet of a WebP file, or NULL (caller frees) */
char *ig_webp_file_xmp(const char *path);
/* the text of a tEXt or iTXt chunk with this key, or NULL (caller frees) */
char *ig_png_get_text(const unsigned char *png, size_t n, const char *key);
/* the same from a PNG file's head, where text chunks go; NULL if the file
 * cannot be read or has none */
char *ig_png_file_text(const char *path, const char *key);

#endif
