/* imagehdr.c - image facts from a byte stream */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <png.h>
#include <zlib.h>

#include "bytes.h"
#include "imagehdr.h"
#include "pngw.h"

enum { K_UNKNOWN, K_PNG, K_JPEG, K_GIF, K_WEBP };
enum { PNG_READING, PNG_HAVE_INFO, PNG_FAILED };

static void
fail(struct ig_imghdr *h, const char *fmt, ...)
{
	va_list ap;

	if (h->err[0])
		return;	/* the first reason is the one that counts */
	va_start(ap, fmt);
	vsnprintf(h->err, sizeof h->err, fmt, ap);
	va_end(ap);
}

static void
set_size(struct ig_imghdr *h, uint32_t w, uint32_t ht)
{
	static const char *names[] = { "", "PNG", "JPEG", "GIF", "WebP" };

	if (w == 0 || ht == 0) {
		fail(h, "%s header claims %u x %u pixels", names[h->kind], w, ht);
		return;
	}
	if ((uint64_t)w * ht > IG_MAX_PIXELS) {
		fail(h, "%s header claims %u x %u pixels, more than the %llu ig takes",
		    names[h->kind], w, ht, (unsigned long long)IG_MAX_PIXELS);
		return;
	}
	h->width = w;
	h->height = ht;
}

void
ig_imghdr_init(struct ig_imghdr *h)
{
	memset(h, 0, sizeof *h);
	h->format = "unknown";
}

/* libpng reports through these: keep the reason, jump back to feed */
static void
png_fail(png_structp png, png_const_charp msg)
{
	struct ig_imghdr *h = png_get_error_ptr(png);

	fail(h, "PNG: %s", msg);
	png_longjmp(png, 1);
}

static void
png_have_info(png_structp png, png_infop info)
{
	struct ig_imghdr *h = png_get_progressive_ptr(png);

	set_size(h, png_get_image_width(png, info), png_get_image_height(png, info));
	h->png_state = PNG_HAVE_INFO;
	/* the header is all ig-hash needs: no pixel is inflated */
	png_process_data_pause(png, 0);
}

static void
png_start(struct ig_imghdr *h)
{
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, h, png_fail, ig_png_quiet);
	png_infop info = png ? png_create_info_struct(png) : NULL;

	if (!info) {
		fail(h, "PNG: out of memory");
		h->png_state = PNG_FAILED;
		png_destroy_read_struct(&png, NULL, NULL);
		return;
	}
	/* sizes are judged by set_size, not by libpng's own limit */
	png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
	png_set_progressive_read_fn(png, h, png_have_info, NULL, NULL);
	h->png = png;
	h->pnginfo = info;
}

static void
png_feed(struct ig_imghdr *h, const unsigned char *p, size_t n)
{
	png_structp png = h->png;
	png_infop info = h->pnginfo;

	if (h->png_state != PNG_READING)
		return;
	if (setjmp(png_jmpbuf(png))) {
		h->png_state = PNG_FAILED;
		return;
	}
	png_process_data(png, info, (png_bytep)p, n);
}

/* gather want bytes of a header into the walker, across feeds; 1 when whole */
static int
gather(struct ig_imghdr *h, const unsigned char **p, size_t *n, size_t want)
{
	size_t k = want - h->w.nhdr < *n ? want - h->w.nhdr : *n;

	memcpy(h->w.hdr + h->w.nhdr, *p, k);
	h->w.nhdr += k;
	*p += k;
	*n -= k;
	if (h->w.nhdr < want)
		return 0;
	h->w.nhdr = 0;
	return 1;
}

/* PNG chunks after the signature: lengths, order, and CRCs but IDAT's */
static void
png_walk(struct ig_imghdr *h, const unsigned char *p, size_t n)
{
	while (n > 0 && !h->w.done) {
		size_t k;

		switch (h->w.state) {
		case 0:	/* chunk length and type */
			if (!gather(h, &p, &n, 8))
				break;
			h->w.skip = ig_be32(h->w.hdr);
			h->w.type = ig_be32(h->w.hdr + 4);
			if (h->w.skip > 0x7fffffff) {
				fail(h, "PNG: chunk length out of range");
				h->w.done = 1;
				break;
			}
			h->w.check_crc = h->w.type != 0x49444154;	/* IDAT */
			if (!h->w.check_crc)
				h->w.seen_idat = 1;
			h->w.crc = (uint32_t)crc32(0, h->w.hdr + 4, 4);
			h->w.state = 1;
			break;
		case 1:	/* chunk data */
			k = h->w.skip < n ? (size_t)h->w.skip : n;
			if (h->w.check_crc)
				h->w.crc = (uint32_t)crc32(h->w.crc, p, (uInt)k);
			h->w.skip -= k;
			p += k;
			n -= k;
			if (h->w.skip == 0)
				h->w.state = 2;
			break;
		case 2:	/* CRC */
			if (!gather(h, &p, &n, 4))
				break;
			h->w.state = 0;
			if (h->w.check_crc && ig_be32(h->w.hdr) != h->w.crc) {
				fail(h, "PNG: CRC error in chunk %c%c%c%c",
				    h->w.type >> 24, h->w.type >> 16 & 255, h->w.type >> 8 & 255, h->w.type & 255);
				h->w.done = 1;
			}
			if (h->w.type == 0x49454e44)	/* IEND */
				h->w.done = 2;
			break;
		}
	}
}

/* JPEG segments up to the frame header, which holds the size */
static void
jpeg_walk(struct ig_imghdr *h, const unsigned char *p, size_t n)
{
	while (n > 0 && !h->w.done) {
		if (h->w.skip) {
			size_t k = h->w.skip < n ? (size_t)h->w.skip : n;

			h->w.skip -= k;
			p += k;
			n -= k;
			continue;
		}
		h->w.hdr[h->w.nhdr++] = *p++;
		n--;
		if (h->w.hdr[0] != 0xff) {
			fail(h, "JPEG: a segment does not start with a marker");
			h->w.done = 1;
		} else if (h->w.nhdr == 2 && h->w.hdr[1] == 0xff) {
			h->w.nhdr = 1;	/* fill bytes */
		} else if (h->w.nhdr == 2 && ((h->w.hdr[1] >= 0xd0 && h->w.hdr[1] <= 0xd8) ||
		    h->w.hdr[1] == 0x01)) {
			h->w.nhdr = 0;	/* markers without a length */
		} else if (h->w.nhdr == 2 && (h->w.hdr[1] == 0xd9 || h->w.hdr[1] == 0xda)) {
			fail(h, "JPEG: no frame header before the image data");
			h->w.done = 1;
		} else if (h->w.nhdr == 4) {
			unsigned m = h->w.hdr[1], len = (unsigned)h->w.hdr[2] << 8 | h->w.hdr[3];

			if (len < 2) {
				fail(h, "JPEG: bad segment length");
				h->w.done = 1;
			} else if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
				h->w.state = 1;	/* a frame header: its size follows */
			} else {
				h->w.skip = len - 2;
				h->w.nhdr = 0;
			}
		} else if (h->w.state == 1 && h->w.nhdr == 9) {
			/* marker, length, precision, then height and width */
			set_size(h, (uint32_t)h->w.hdr[7] << 8 | h->w.hdr[8],
			    (uint32_t)h->w.hdr[5] << 8 | h->w.hdr[6]);
			h->w.done = 2;
		}
	}
}

static void
sniff(struct ig_imghdr *h)
{
	const unsigned char *b = h->head;

	if (memcmp(b, "\x89PNG", 4) == 0) {
		h->kind = K_PNG;
		h->format = "png";
		png_start(h);
	} else if (b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) {
		h->kind = K_JPEG;
		h->format = "jpeg";
	} else if (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0) {
		h->kind = K_GIF;
		h->format = "gif";
		set_size(h, ig_le16(b + 6), ig_le16(b + 8));
	} else if (memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0) {
		h->kind = K_WEBP;
		h->format = "webp";
		if (memcmp(b + 12, "VP8 ", 4) == 0) {
			if (memcmp(b + 23, "\x9d\x01\x2a", 3) != 0)
				fail(h, "WebP: bad VP8 start code");
			else
				set_size(h, ig_le16(b + 26) & 0x3fff, ig_le16(b + 28) & 0x3fff);
		} else if (memcmp(b + 12, "VP8L", 4) == 0) {
			uint32_t bits = (uint32_t)b[21] | (uint32_t)b[22] << 8 |
			    (uint32_t)b[23] << 16 | (uint32_t)b[24] << 24;

			if (b[20] != 0x2f)
				fail(h, "WebP: bad VP8L signature");
			else
				set_size(h, (bits & 0x3fff) + 1, (bits >> 14 & 0x3fff) + 1);
		} else if (memcmp(b + 12, "VP8X", 4) == 0) {
			set_size(h, ig_le24(b + 24) + 1, ig_le24(b + 27) + 1);
		} else {
			fail(h, "WebP: unknown chunk %.4s", (const char *)b + 12);
		}
	} else {
		h->kind = K_UNKNOWN;
	}
}

/* the walkers start after the signature: skip what of it p holds */
static void
past_signature(const unsigned char **p, size_t *n, uint64_t at, size_t sig)
{
	if (at < sig) {
		size_t k = sig - at < *n ? (size_t)(sig - at) : *n;

		*p += k;
		*n -= k;
	}
}

static void
route(struct ig_imghdr *h, const unsigned char *p, size_t n, uint64_t at)
{
	switch (h->kind) {
	case K_PNG:
		png_feed(h, p, n);
		past_signature(&p, &n, at, 8);
		png_walk(h, p, n);
		break;
	case K_JPEG:
		past_signature(&p, &n, at, 2);
		jpeg_walk(h, p, n);
		break;
	}
}

void
ig_imghdr_feed(struct ig_imghdr *h, const unsigned char *p, size_t n)
{
	if (n == 0)
		return;
	if (n >= 2) {
		h->tail[0] = p[n - 2];
		h->tail[1] = p[n - 1];
	} else {
		h->tail[0] = h->tail[1];
		h->tail[1] = p[0];
	}
	if (h->nhead < sizeof h->head) {
		size_t k = sizeof h->head - h->nhead < n ? sizeof h->head - h->nhead : n;

		memcpy(h->head + h->nhead, p, k);
		h->nhead += k;
		if (h->nhead < sizeof h->head) {
			h->pos += k;
			p += k;
			n -= k;
			return;	/* not enough to know the format yet */
		}
		sniff(h);
		/* what was held back, then the rest */
		route(h, h->head, sizeof h->head, 0);
		h->pos += k;
		p += k;
		n -= k;
	}
	route(h, p, n, h->pos);
	h->pos += n;
}

void
ig_imghdr_finish(struct ig_imghdr *h)
{
	if (h->pos == 0) {
		fail(h, "empty file");
		return;
	}
	if (h->nhead < sizeof h->head) {
		/* a short file: judge what there is */
		memset(h->head + h->nhead, 0, sizeof h->head - h->nhead);
		sniff(h);
		route(h, h->head, h->nhead, 0);
	}
	switch (h->kind) {
	case K_UNKNOWN:
		fail(h, "not an image (no PNG, JPEG, GIF or WebP signature)");
		break;
	case K_PNG:
		if (h->png_state == PNG_READING)
			fail(h, "PNG: truncated before the image data");
		else if (h->w.done != 2)
			fail(h, "PNG: truncated (no IEND chunk)");
		else if (!h->w.seen_idat)
			fail(h, "PNG: no image data (IDAT)");
		break;
	case K_JPEG:
		if (h->w.done != 2)
			fail(h, "JPEG: truncated before the frame header");
		else if (h->tail[0] != 0xff || h->tail[1] != 0xd9)
			fail(h, "JPEG: truncated (no end-of-image marker)");
		break;
	case K_GIF:
		if (h->tail[1] != 0x3b)
			fail(h, "GIF: truncated (no trailer)");
		break;
	case K_WEBP:
		if ((uint64_t)ig_le32(h->head + 4) + 8 != h->pos)
			fail(h, "WebP: the RIFF size says %llu bytes, the file has %llu",
			    (unsigned long long)ig_le32(h->head + 4) + 8, (unsigned long long)h->pos);
		break;
	}
	if (h->err[0])
		h->width = h->height = 0;
}

void
ig_imghdr_free(struct ig_imghdr *h)
{
	if (h->png) {
		png_structp png = h->png;
		png_infop info = h->pnginfo;

		png_destroy_read_struct(&png, &info, NULL);
	}
	h->png = h->pnginfo = NULL;
}
