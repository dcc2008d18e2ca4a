/* raster.c - PNG (libpng) and JPEG (libjpeg-turbo) decoded row by row */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "bytes.h"
#include "err.h"
#include "imagehdr.h"
#include "json.h"
#include "pngw.h"
#include "path.h"
#include "raster.h"

struct jpeg_state {
	struct jpeg_decompress_struct d;
	struct jpeg_error_mgr jerr;
	jmp_buf jmp;
	struct ig_raster *r;
};

static void
png_fail(png_structp png, png_const_charp msg)
{
	struct ig_raster *r = png_get_error_ptr(png);

	snprintf(r->err, r->errlen, "PNG: %s", msg);
	png_longjmp(png, 1);
}

/* libpng takes a zlib stream damaged after the last row (its check, its
 * end) as a warning: here that refuses the file, as the image data read
 * past libpng does (pngfast.c). Data past the image's stays a warning. */
static void
png_warned(png_structp png, png_const_charp msg)
{
	if (strncmp(msg, "IDAT: ", 6) == 0 && strcmp(msg + 6, "Extra compressed data") != 0 &&
	    strcmp(msg + 6, "Too much image data") != 0)
		png_fail(png, msg);
}

/* libpng's reads, watched: a chunk whose length is past IG_CHUNK_MAX is
 * refused from its header, before libpng allocates for it (it takes a
 * chunk past its own limit as a warning, and allocates anyway). IDAT is
 * read in pieces, never whole, so its length is not held against it. */
static void
png_read_watched(png_structp png, png_bytep out, size_t n)
{
	struct ig_raster *r = png_get_io_ptr(png);

	/* a file refused stays refused: libpng may read on after the jump */
	if (r->next_chunk == UINT64_MAX)
		png_longjmp(png, 1);
	if (fread(out, 1, n, r->f) != n)
		png_error(png, ferror(r->f) ? strerror(errno) : "the file ends early");
	for (uint64_t end = r->at + n; r->at < end; ) {
		uint64_t in_head;

		if (r->at < r->next_chunk) {
			r->at = end < r->next_chunk ? end : r->next_chunk;
			continue;
		}
		in_head = r->at - r->next_chunk;
		r->chunk_head[in_head] = out[n - (end - r->at)];
		r->at++;
		if (in_head == 7) {
			uint32_t len = ig_be32(r->chunk_head);

			if (len > IG_CHUNK_MAX && memcmp(r->chunk_head + 4, "IDAT", 4) != 0) {
				snprintf(r->err, r->errlen, "PNG: a chunk of %" PRIu32 " bytes is more than "
				    "the largest chunk, %zu MiB", len, IG_CHUNK_MAX >> 20);
				r->next_chunk = UINT64_MAX;
				png_longjmp(png, 1);
			}
			r->next_chunk += 12 + (uint64_t)len;
		}
	}
}

static void
keep_texts(png_structp png, png_infop info, struct ig_buf *out)
{
	png_textp t;
	int n = 0;

	if (!png_get_text(png, info, &t, &n))
		return;
	for (int i = 0; i < n; i++) {
		int itxt = t[i].compression == PNG_ITXT_COMPRESSION_NONE ||
		    t[i].compression == PNG_ITXT_COMPRESSION_zTXt;
		size_t len = itxt ? t[i].itxt_length : t[i].text_length;

		ig_png_text_chunk(out, t[i].key, t[i].text ? t[i].text : "", t[i].text ? len : 0,
		    itxt, itxt ? t[i].lang : NULL, itxt ? t[i].lang_key : NULL);
	}
}

/* an ICC profile as an iCCP chunk */
static void
keep_icc(struct ig_buf *out, const char *name, const unsigned char *profile, size_t n)
{
	uLongf zn = compressBound((uLong)n);
	struct ig_buf d = { 0 };

	ig_buf_adds(&d, name);
	ig_buf_add(&d, "\0\0", 2);	/* the name's end, deflate */
	ig_buf_grow(&d, zn);
	if (compress2((Bytef *)d.p + d.len, &zn, profile, (uLong)n, 9) == Z_OK) {
		d.len += zn;
		ig_png_chunk(out, "iCCP", d.p, d.len);
	}
	ig_buf_free(&d);
}

/* the chunks that say how to show the colors, as the source had them */
static void
keep_colors(png_structp png, png_infop info, struct ig_buf *out)
{
	unsigned char b[32];
	png_fixed_point fx[8];
	png_charp name;
	png_bytep profile;
	png_uint_32 plen, rx, ry;
	int intent, unit, method;

	if (png_get_iCCP(png, info, &name, &method, &profile, &plen))
		keep_icc(out, name, profile, plen);
	else if (png_get_sRGB(png, info, &intent)) {
		b[0] = (unsigned char)intent;
		ig_png_chunk(out, "sRGB", b, 1);
	}
	if (png_get_gAMA_fixed(png, info, &fx[0])) {
		ig_put_be32(b, (uint32_t)fx[0]);
		ig_png_chunk(out, "gAMA", b, 4);
	}
	if (png_get_cHRM_fixed(png, info, &fx[0], &fx[1], &fx[2], &fx[3], &fx[4], &fx[5], &fx[6], &fx[7])) {
		for (int i = 0; i < 8; i++)
			ig_put_be32(b + 4 * i, (uint32_t)fx[i]);
		ig_png_chunk(out, "cHRM", b, 32);
	}
	if (png_get_pHYs(png, info, &rx, &ry, &unit)) {
		ig_put_be32(b, rx);
		ig_put_be32(b + 4, ry);
		b[8] = (unsigned char)unit;
		ig_png_chunk(out, "pHYs", b, 9);
	}
}

static int
too_big(struct ig_raster *r)
{
	if ((uint64_t)r->width * r->height > IG_MAX_PIXELS) {
		snprintf(r->err, r->errlen, "%" PRIu32 " x %" PRIu32 " pixels is more than the %llu allowed",
		    r->width, r->height, (unsigned long long)IG_MAX_PIXELS);
		return 1;
	}
	return 0;
}

/* Rows as stored, nothing kept after them: the image data is read past
 * libpng (pngfast.c), from the first IDAT chunk's data, where libpng
 * stopped. A palette, tRNS, fewer than 8 bits or grey wanted as RGB need
 * libpng's transforms, and stay with it. */
static void
start_fast(struct ig_raster *r, int color, int depth)
{
	png_structp png = r->png;
	png_infop info = r->info;
	uint32_t len = ig_be32(r->chunk_head);

	if (color == PNG_COLOR_TYPE_PALETTE || depth < 8 || png_get_valid(png, info, PNG_INFO_tRNS) ||
	    ((r->flags & IG_RASTER_COLOR) && !(color & PNG_COLOR_MASK_COLOR)))
		return;
	if (memcmp(r->chunk_head + 4, "IDAT", 4) != 0 || r->next_chunk - 4 - r->at != len)
		return;
	r->fast = ig_pngfast_new(r->f, len, r->rowbytes, r->channels * depth / 8, r->err, r->errlen);
}

static int
png_open(struct ig_raster *r)
{
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, png_fail, png_warned);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	int color, depth, passes;

	if (!info) {
		png_destroy_read_struct(&png, NULL, NULL);
		snprintf(r->err, r->errlen, "out of memory");
		return -1;
	}
	r->png = png;
	r->info = info;
	if (setjmp(png_jmpbuf(png)))
		return -1;
	/* a chunk's length is a claim: past this, nothing is allocated for it */
	png_set_chunk_malloc_max(png, IG_CHUNK_MAX);
	r->at = 0;
	r->next_chunk = 8;	/* past the signature */
	png_set_read_fn(png, r, png_read_watched);
	png_read_info(png, info);
	r->width = png_get_image_width(png, info);
	r->height = png_get_image_height(png, info);
	if (too_big(r))
		return -1;
	color = png_get_color_type(png, info);
	depth = png_get_bit_depth(png, info);
	if (color == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (png_get_valid(png, info, PNG_INFO_tRNS))
		png_set_tRNS_to_alpha(png);
	if ((r->flags & IG_RASTER_COLOR) && !(color & PNG_COLOR_MASK_COLOR))
		png_set_gray_to_rgb(png);
	passes = png_set_interlace_handling(png);
	png_read_update_info(png, info);
	r->channels = png_get_channels(png, info);
	r->depth = png_get_bit_depth(png, info);
	r->rowbytes = png_get_rowbytes(png, info);
	keep_colors(png, info, &r->head);
	keep_texts(png, info, &r->head);
	if (passes == 1 && (r->flags & IG_RASTER_NO_TAIL))
		start_fast(r, color, depth);
	if (passes > 1) {
		/* Adam7 spreads every row over seven passes */
		size_t total = r->rowbytes * r->height;

		if (total > IG_RASTER_BUFFER_MAX) {
			snprintf(r->err, r->errlen, "an interlaced image of %zu MB is more than can be buffered",
			    total >> 20);
			return -1;
		}
		r->whole = ig_malloc(total);
		for (int p = 0; p < passes; p++)
			for (uint32_t y = 0; y < r->height; y++)
				png_read_row(png, r->whole + y * r->rowbytes, NULL);
	}
	return 0;
}

static void
jpeg_fail(j_common_ptr c)
{
	struct jpeg_state *s = (struct jpeg_state *)c;
	char msg[JMSG_LENGTH_MAX];

	c->err->format_message(c, msg);
	snprintf(s->r->err, s->r->errlen, "JPEG: %s", msg);
	longjmp(s->jmp, 1);
}

/* a corrupt or cut-off file is only a warning to libjpeg, which would
 * paint the rest grey: here it is an error */
static void
jpeg_message(j_common_ptr c, int level)
{
	if (level < 0)
		jpeg_fail(c);
}

static int
ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* a comment in A1111's form is its parameters; any other is a Comment */
static const char *
comment_key(const char *s, size_t n)
{
	size_t start = n, colons = 0;

	while (start > 0 && s[start - 1] != '\n')
		start--;
	for (size_t i = start; i + 1 < n; i++)
		colons += s[i] == ':' && s[i + 1] == ' ';
	return start > 0 && colons >= 3 ? "parameters" : "Comment";
}

static void
jpeg_keep(struct ig_raster *r, struct jpeg_decompress_struct *d)
{
	static const char xmp_ns[] = "http://ns.adobe.com/xap/1.0/";
	JOCTET *icc;
	unsigned int icc_len;

	if (jpeg_read_icc_profile(d, &icc, &icc_len)) {
		keep_icc(&r->head, "ICC profile", icc, icc_len);
		free(icc);
	}
	for (jpeg_saved_marker_ptr m = d->marker_list; m; m = m->next) {
		const char *p = (const char *)m->data;

		if (m->marker == JPEG_COM) {
			/* UTF-8 goes in iTXt; other bytes are taken as Latin-1 */
			ig_png_text_chunk(&r->head, comment_key(p, m->data_length), p, m->data_length,
			    !ascii(p, m->data_length) && ig_utf8_valid(p, m->data_length), NULL, NULL);
		} else if (m->marker == JPEG_APP0 + 1 && m->data_length > sizeof xmp_ns &&
		    memcmp(p, xmp_ns, sizeof xmp_ns) == 0) {
			ig_png_text_chunk(&r->head, "XML:com.adobe.xmp", p + sizeof xmp_ns,
			    m->data_length - sizeof xmp_ns, 1, NULL, NULL);
		}
	}
}

static int
jpeg_open(struct ig_raster *r)
{
	struct jpeg_state *s = ig_malloc(sizeof *s);
	struct jpeg_decompress_struct *d = &s->d;

	memset(s, 0, sizeof *s);
	s->r = r;
	r->jpeg = s;
	d->err = jpeg_std_error(&s->jerr);
	s->jerr.error_exit = jpeg_fail;
	s->jerr.emit_message = jpeg_message;
	if (setjmp(s->jmp))
		return -1;
	jpeg_create_decompress(d);
	jpeg_stdio_src(d, r->f);
	jpeg_save_markers(d, JPEG_COM, 0xffff);
	jpeg_save_markers(d, JPEG_APP0 + 1, 0xffff);
	jpeg_save_markers(d, JPEG_APP0 + 2, 0xffff);	/* ICC */
	jpeg_read_header(d, TRUE);
	r->width = d->image_width;
	r->height = d->image_height;
	if (too_big(r))
		return -1;
	if (d->jpeg_color_space == JCS_CMYK || d->jpeg_color_space == JCS_YCCK) {
		snprintf(r->err, r->errlen, "a CMYK JPEG has no place on a map");
		return -1;
	}
	d->out_color_space = d->num_components == 1 && !(r->flags & IG_RASTER_COLOR) ? JCS_GRAYSCALE : JCS_RGB;
	jpeg_start_decompress(d);
	r->channels = d->output_components;
	r->depth = 8;
	r->rowbytes = (size_t)r->width * (size_t)r->channels;
	jpeg_keep(r, d);
	return 0;
}

int
ig_raster_open(struct ig_raster *r, const char *path, int flags, char *err, size_t errlen)
{
	unsigned char magic[8];
	size_t n;

	memset(r, 0, sizeof *r);
	r->err = err;
	r->errlen = errlen;
	r->flags = flags;
	err[0] = '\0';
	{
		int fd = ig_open_regular(path, err, errlen);

		if (fd < 0)
			return -1;
		if (!(r->f = fdopen(fd, "rb"))) {
			snprintf(err, errlen, "%s", strerror(errno));
			close(fd);
			return -1;
		}
	}
	n = fread(magic, 1, sizeof magic, r->f);
	rewind(r->f);
	if (n == 8 && png_sig_cmp(magic, 0, 8) == 0) {
		r->format = "png";
		return png_open(r);
	}
	if (n >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff) {
		r->format = "jpeg";
		return jpeg_open(r);
	}
	snprintf(err, errlen, "not a PNG or JPEG file");
	return -1;
}

int
ig_raster_row(struct ig_raster *r, unsigned char *row)
{
	if (r->y >= r->height) {
		snprintf(r->err, r->errlen, "no rows are left");
		return -1;
	}
	if (r->whole) {
		memcpy(row, r->whole + (size_t)r->y++ * r->rowbytes, r->rowbytes);
		return 0;
	}
	if (r->fast) {
		if (ig_pngfast_row(r->fast, row) != 0)
			return -1;
		r->y++;
		return 0;
	}
	if (r->png) {
		if (setjmp(png_jmpbuf((png_structp)r->png)))
			return -1;
		png_read_row(r->png, row, NULL);
	} else {
		struct jpeg_state *s = r->jpeg;
		JSAMPROW rows[1] = { row };

		if (setjmp(s->jmp))
			return -1;
		if (jpeg_read_scanlines(&s->d, rows, 1) != 1) {
			snprintf(r->err, r->errlen, "JPEG: the data ends early");
			return -1;
		}
	}
	r->y++;
	return 0;
}

int
ig_raster_finish(struct ig_raster *r)
{
	if (r->fast)
		return ig_pngfast_finish(r->fast);
	if (r->png) {
		png_structp png = r->png;
		png_infop end = png_create_info_struct(png);

		if (!end) {
			snprintf(r->err, r->errlen, "out of memory");
			return -1;
		}
		if (setjmp(png_jmpbuf(png))) {
			png_destroy_info_struct(png, &end);
			return -1;
		}
		png_read_end(png, end);
		keep_texts(png, end, &r->tail);
		png_destroy_info_struct(png, &end);
		return 0;
	}
	struct jpeg_state *s = r->jpeg;

	if (setjmp(s->jmp))
		return -1;
	jpeg_finish_decompress(&s->d);
	return 0;
}

void
ig_raster_close(struct ig_raster *r)
{
	if (r->png) {
		png_structp png = r->png;
		png_infop info = r->info;

		png_destroy_read_struct(&png, &info, NULL);
	}
	if (r->jpeg) {
		struct jpeg_state *s = r->jpeg;

		jpeg_destroy_decompress(&s->d);
		free(s);
	}
	if (r->f)
		fclose(r->f);
	free(r->whole);
	ig_pngfast_free(r->fast);
	ig_buf_free(&r->head);
	ig_buf_free(&r->tail);
	memset(r, 0, sizeof *r);
}
