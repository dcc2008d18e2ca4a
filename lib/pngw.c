/* pngw.c - PNG encoding through libpng; text chunks, JPEG segments and WebP's XMP by splicing bytes */
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>
#include <zlib.h>

#include "bytes.h"
#include "err.h"
#include "path.h"
#include "pngw.h"

struct sink {
	struct ig_buf *out;
	char *err;
	size_t errlen;
};

static void
sink_write(png_structp png, png_bytep p, png_size_t n)
{
	struct sink *s = png_get_io_ptr(png);

	ig_buf_add(s->out, p, n);
}

void
ig_png_quiet(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void
sink_flush(png_structp png)
{
	(void)png;
}

static void
sink_error(png_structp png, png_const_charp msg)
{
	struct sink *s = png_get_error_ptr(png);

	snprintf(s->err, s->errlen, "PNG: %s", msg);
	png_longjmp(png, 1);
}

int
ig_png_encode_rgb(struct ig_buf *out, uint32_t width, uint32_t height, int level,
    ig_row_fn *row_fn, void *ctx, char *err, size_t errlen)
{
	struct sink s = { out, err, errlen };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &s, sink_error, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	unsigned char *volatile row = NULL;

	if (!info) {
		snprintf(err, errlen, "PNG: out of memory");
		png_destroy_write_struct(&png, NULL);
		return -1;
	}
	if (setjmp(png_jmpbuf(png))) {
		free(row);
		png_destroy_write_struct(&png, &info);
		return -1;
	}
	png_set_write_fn(png, &s, sink_write, sink_flush);
	png_set_compression_level(png, level);
	/* one filter for every row: adaptive choice costs more than it saves
	 * on smooth synthetic images */
	png_set_filter(png, 0, PNG_FILTER_UP);
	png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	row = ig_malloc((size_t)width * 3);
	for (uint32_t y = 0; y < height; y++) {
		row_fn(ctx, y, row);
		png_write_row(png, row);
	}
	png_write_end(png, info);
	free(row);
	png_destroy_write_struct(&png, &info);
	return 0;
}

void
ig_png_chunk(struct ig_buf *b, const char *type, const void *data, size_t n)
{
	uint32_t crc = (uint32_t)crc32(0, (const Bytef *)type, 4);

	crc = (uint32_t)crc32(crc, (const Bytef *)data, (uInt)n);
	ig_buf_add_be32(b, (uint32_t)n);
	ig_buf_add(b, type, 4);
	ig_buf_add(b, data, n);
	ig_buf_add_be32(b, crc);
}

void
ig_png_text_chunk(struct ig_buf *b, const char *key, const char *text, size_t n, int itxt,
    const char *lang, const char *lang_key)
{
	struct ig_buf data = { 0 };

	ig_buf_adds(&data, key);
	ig_buf_addc(&data, '\0');
	if (itxt) {	/* not compressed */
		ig_buf_add(&data, "\0\0", 2);
		ig_buf_adds(&data, lang ? lang : "");
		ig_buf_addc(&data, '\0');
		ig_buf_adds(&data, lang_key ? lang_key : "");
		ig_buf_addc(&data, '\0');
	}
	ig_buf_add(&data, text, n);
	ig_png_chunk(b, itxt ? "iTXt" : "tEXt", data.p, data.len);
	ig_buf_free(&data);
}

int
ig_png_add_text(struct ig_buf *out, const unsigned char *png, size_t n,
    const struct ig_text *texts, int ntexts)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	size_t ihdr_end;

	if (n < 33 || memcmp(png, sig, 8) != 0 || memcmp(png + 12, "IHDR", 4) != 0 ||
	    ig_be32(png + 8) != 13)
		return -1;
	ihdr_end = 8 + 8 + 13 + 4;
	ig_buf_add(out, png, ihdr_end);
	for (int i = 0; i < ntexts; i++) {
		const char *t = texts[i].text;
		int ascii = 1;

		for (const char *q = t; *q && ascii; q++)
			ascii = (unsigned char)*q < 0x80;
		ig_png_text_chunk(out, texts[i].key, t, strlen(t), !ascii, NULL, NULL);
	}
	ig_buf_add(out, png + ihdr_end, n - ihdr_end);
	return 0;
}

int
ig_jpeg_add_segments(struct ig_buf *out, const unsigned char *jpeg, size_t n,
    const struct ig_jpeg_segment *segs, int nsegs)
{
	if (n < 2 || jpeg[0] != 0xff || jpeg[1] != 0xd8)
		return -1;
	for (int i = 0; i < nsegs; i++)
		if (segs[i].len + strlen(segs[i].prefix) + (segs[i].prefix[0] ? 1 : 0) > 65533)
			return -1;
	ig_buf_add(out, jpeg, 2);
	for (int i = 0; i < nsegs; i++) {
		size_t plen = strlen(segs[i].prefix) + (segs[i].prefix[0] ? 1 : 0);
		size_t len = plen + segs[i].len + 2;
		unsigned char head[4] = { 0xff, segs[i].marker, (unsigned char)(len >> 8), (unsigned char)len };

		ig_buf_add(out, head, 4);
		ig_buf_add(out, segs[i].prefix, plen);	/* with its NUL */
		ig_buf_add(out, segs[i].data, segs[i].len);
	}
	ig_buf_add(out, jpeg + 2, n - 2);
	return 0;
}

int
ig_jpeg_add_comment(struct ig_buf *out, const unsigned char *jpeg, size_t n, const char *text)
{
	struct ig_jpeg_segment com = { 0xfe, "", text, strlen(text) };

	if (com.len > 65533)
		com.len = 65533;
	return ig_jpeg_add_segments(out, jpeg, n, &com, 1);
}

char *
ig_jpeg_get_segment(const unsigned char *jpeg, size_t n, unsigned char marker, const char *prefix)
{
	size_t pos = 2, plen = strlen(prefix) + (prefix[0] ? 1 : 0);

	if (n < 4 || jpeg[0] != 0xff || jpeg[1] != 0xd8)
		return NULL;
	/* the segments before the scan: markers, each with its length */
	while (pos + 4 <= n && jpeg[pos] == 0xff && jpeg[pos + 1] != 0xda) {
		size_t len = (size_t)jpeg[pos + 2] << 8 | jpeg[pos + 3];

		if (len < 2 || pos + 2 + len > n)
			return NULL;
		if (jpeg[pos + 1] == marker && len - 2 >= plen && memcmp(jpeg + pos + 4, prefix, plen) == 0) {
			char *s = ig_malloc(len - 2 - plen + 1);

			memcpy(s, jpeg + pos + 4 + plen, len - 2 - plen);
			s[len - 2 - plen] = '\0';
			return s;
		}
		pos += 2 + len;
	}
	return NULL;
}

char *
ig_png_get_text(const unsigned char *png, size_t n, const char *key)
{
	size_t klen = strlen(key), pos = 8;

	while (pos + 12 <= n) {
		uint32_t len = ig_be32(png + pos);
		const unsigned char *type = png + pos + 4, *d = png + pos + 8;

		if (len > n - pos - 12)
			return NULL;
		if (memcmp(type, "IDAT", 4) == 0 || memcmp(type, "IEND", 4) == 0)
			return NULL;
		if (len > klen && memcmp(d, key, klen) == 0 && d[klen] == '\0' &&
		    (memcmp(type, "tEXt", 4) == 0 || (memcmp(type, "iTXt", 4) == 0 && len >= klen + 5))) {
			size_t skip = klen + 1;
			char *s;

			if (type[0] == 'i') {
				/* flag, method, then language and translated keyword */
				skip += 2;
				while (skip < len && d[skip])
					skip++;
				skip++;
				while (skip < len && d[skip])
					skip++;
				skip++;
			}
			if (skip > len)
				return NULL;
			s = ig_malloc(len - skip + 1);
			memcpy(s, d + skip, len - skip);
			s[len - skip] = '\0';
			return s;
		}
		pos += 12 + (size_t)len;
	}
	return NULL;
}

/* text chunks come before the image data: a file's first megabyte holds
 * them, whatever the image's size */
#define TEXT_HEAD (1u << 20)

static unsigned char *
file_head(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *head;

	if (!f)
		return NULL;
	head = ig_malloc(TEXT_HEAD);
	*n = fread(head, 1, TEXT_HEAD, f);
	fclose(f);
	return head;
}

char *
ig_png_file_text(const char *path, const char *key)
{
	unsigned char *head;
	char *text;
	size_t n;

	if (!(head = file_head(path, &n)))
		return NULL;
	text = ig_png_get_text(head, n, key);
	free(head);
	return text;
}

char *
ig_jpeg_file_segment(const char *path, unsigned char marker, const char *prefix)
{
	unsigned char *head;
	char *text;
	size_t n;

	if (!(head = file_head(path, &n)))
		return NULL;
	text = ig_jpeg_get_segment(head, n, marker, prefix);
	free(head);
	return text;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
put_le(unsigned char *p, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* a simple WebP's canvas, from its VP8 or VP8L chunk; 0, or -1 */
static int
webp_canvas(const unsigned char *c, size_t n, uint32_t *w, uint32_t *h, int *alpha)
{
	*alpha = 0;
	if (n >= 30 && memcmp(c, "VP8 ", 4) == 0 && c[11] == 0x9d && c[12] == 0x01 && c[13] == 0x2a) {
		*w = (c[14] | (uint32_t)c[15] << 8) & 0x3fff;
		*h = (c[16] | (uint32_t)c[17] << 8) & 0x3fff;
		return 0;
	}
	if (n >= 13 && memcmp(c, "VP8L", 4) == 0 && c[8] == 0x2f) {
		uint32_t bits = le32(c + 9);

		*w = (bits & 0x3fff) + 1;
		*h = (bits >> 14 & 0x3fff) + 1;
		*alpha = bits >> 28 & 1;
		return 0;
	}
	return -1;
}

int
ig_webp_add_xmp(struct ig_buf *out, struct ig_buf *tail, const unsigned char *webp, size_t n, uint64_t total,
    const char *xmp, size_t xmplen)
{
	size_t xmp_chunk = 8 + xmplen + (xmplen & 1), vp8x = 0;
	unsigned char hdr[12], x[18];
	uint32_t w, h;
	int alpha;

	if (n < 20 || total < n || memcmp(webp, "RIFF", 4) != 0 || memcmp(webp + 8, "WEBP", 4) != 0 ||
	    le32(webp + 4) + 8 != total || xmplen > 0x7ffffff0u)
		return -1;
	if (memcmp(webp + 12, "VP8X", 4) != 0) {
		/* a simple file becomes an extended one, to say it holds XMP */
		if (webp_canvas(webp + 12, n - 12, &w, &h, &alpha) != 0 || !w || !h)
			return -1;
		memcpy(x, "VP8X", 4);
		put_le(x + 4, 10, 4);
		memset(x + 8, 0, 10);
		x[8] = (unsigned char)(0x04 | (alpha ? 0x10 : 0));
		put_le(x + 12, w - 1, 3);
		put_le(x + 15, h - 1, 3);
		vp8x = sizeof x;
	} else if (n < 30) {
		return -1;
	}
	if (total + vp8x + xmp_chunk - 8 > 0xfffffffeu)
		return -1;
	memcpy(hdr, webp, 12);
	put_le(hdr + 4, (uint32_t)(total + vp8x + xmp_chunk - 8), 4);
	ig_buf_add(out, hdr, 12);
	if (vp8x) {
		ig_buf_add(out, x, vp8x);
		ig_buf_add(out, webp + 12, n - 12);
	} else {
		ig_buf_add(out, webp + 12, 8);
		ig_buf_addc(out, (char)(webp[20] | 0x04));
		ig_buf_add(out, webp + 21, n - 21);
	}
	ig_buf_add(tail, "XMP ", 4);
	put_le(x, (uint32_t)xmplen, 4);
	ig_buf_add(tail, x, 4);
	ig_buf_add(tail, xmp, xmplen);
	if (xmplen & 1)
		ig_buf_addc(tail, '\0');
	return 0;
}

char *
ig_webp_file_xmp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char h[12];
	char *text = NULL;
	off_t at = 12;

	if (fd < 0)
		return NULL;
	if (ig_pread_full(fd, h, 12, 0) == 12 && memcmp(h, "RIFF", 4) == 0 && memcmp(h + 8, "WEBP", 4) == 0) {
		off_t end = (off_t)le32(h + 4) + 8;

		/* chunk by chunk, to the XMP at the end */
		while (at + 8 <= end && ig_pread_full(fd, h, 8, at) == 8) {
			uint32_t len = le32(h + 4);

			if (memcmp(h, "XMP ", 4) == 0 && len < (16u << 20)) {
				text = ig_malloc((size_t)len + 1);
				if (ig_pread_full(fd, text, len, at + 8) != (ssize_t)len) {
					free(text);
					text = NULL;
				} else {
					text[len] = '\0';
				}
				break;
			}
			at += 8 + (off_t)len + (len & 1);
		}
	}
	close(fd);
	return text;
}
