/* pngfast.c - a PNG's image data read here: inflated by ISA-L, unfiltered
 *
 * libpng reads the chunks before the image data. When the rows are wanted
 * as they are stored (not interlaced, 8 or 16 bits, grey, grey and alpha,
 * RGB or RGBA, no tRNS) and nothing after them is kept, the IDAT chunks are
 * read from there on here: every chunk's CRC checked, the zlib stream
 * inflated by ISA-L's igzip, its Adler-32 checked, every row unfiltered.
 * igzip inflates three times as fast as zlib on generated maps, and inflate
 * was four fifths of a contact sheet's time (bench/README.md, sheet.sh).
 * Memory: a band of inflated rows, the row above, and the input buffer.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include "bounds.h"
#include "bytes.h"
#include "err.h"
#include "pngfast.h"

#define IN_BUFFER (64u << 10)
#define BAND_BYTES (256u << 10)	/* inflated a call at a time, at least a row */

struct ig_pngfast {
	FILE *f;
	uint32_t left;		/* the current IDAT chunk's data not yet read */
	uint32_t crc;		/* of the current chunk so far */
	int after;		/* the IDAT chunks are over */
	unsigned char next_head[8];	/* the chunk after them */
	struct inflate_state z;
	unsigned char *band;	/* inflated bytes; pos..len not yet taken */
	size_t band_cap, pos, len;
	unsigned char *prev;	/* the row above, unfiltered */
	size_t rowbytes;
	int bpp;		/* bytes a pixel, the filters' step */
	char *err;
	size_t errlen;
	unsigned char in[IN_BUFFER];	/* last: not cleared */
};

static int
fail(struct ig_pngfast *p, const char *msg)
{
	snprintf(p->err, p->errlen, "PNG: %s", msg);
	return -1;
}

static int
read_exact(struct ig_pngfast *p, void *out, size_t n)
{
	if (fread(out, 1, n, p->f) != n)
		return fail(p, ferror(p->f) ? strerror(errno) : "the file ends early");
	return 0;
}

/* the end of a chunk: its CRC, read and compared */
static int
check_crc(struct ig_pngfast *p, int critical)
{
	unsigned char b[4];

	if (read_exact(p, b, 4) != 0)
		return -1;
	/* libpng takes a bad CRC on an ancillary chunk as a warning */
	if (ig_be32(b) != p->crc && critical)
		return fail(p, "a chunk's CRC does not match its data");
	return 0;
}

/* the next chunk's head; its length held to what libpng allows */
static int
chunk_head(struct ig_pngfast *p, unsigned char head[8])
{
	uint32_t len;

	if (read_exact(p, head, 8) != 0)
		return -1;
	len = ig_be32(head);
	if (len > 0x7fffffffu)
		return fail(p, "a chunk's length is past 2^31 - 1");
	if (len > IG_CHUNK_MAX && memcmp(head + 4, "IDAT", 4) != 0)
		return fail(p, "a chunk is more than the largest chunk");
	p->crc = (uint32_t)crc32(0, head + 4, 4);
	return 0;
}

/* more of the zlib stream into the input buffer: 0, or -1 with err; at
 * the IDAT chunks' end nothing is added and p->after is set */
static int
fill(struct ig_pngfast *p)
{
	while (p->left == 0 && !p->after) {
		if (check_crc(p, 1) != 0 || chunk_head(p, p->next_head) != 0)
			return -1;
		if (memcmp(p->next_head + 4, "IDAT", 4) != 0)
			p->after = 1;
		else
			p->left = ig_be32(p->next_head);
	}
	if (p->left) {
		size_t n = p->left < IN_BUFFER ? p->left : IN_BUFFER;

		if (read_exact(p, p->in, n) != 0)
			return -1;
		p->crc = (uint32_t)crc32(p->crc, p->in, (uInt)n);
		p->left -= (uint32_t)n;
		p->z.next_in = p->in;
		p->z.avail_in = (uint32_t)n;
	}
	return 0;
}

/* inflate until want bytes are in the band, or the stream ends */
static int
inflate_to(struct ig_pngfast *p, size_t want)
{
	if (p->pos) {
		memmove(p->band, p->band + p->pos, p->len - p->pos);
		p->len -= p->pos;
		p->pos = 0;
	}
	while (p->len < want && p->z.block_state != ISAL_BLOCK_FINISH) {
		size_t had = p->len;
		int rc;

		if (p->z.avail_in == 0 && fill(p) != 0)
			return -1;
		p->z.next_out = p->band + p->len;
		p->z.avail_out = (uint32_t)(p->band_cap - p->len);
		rc = isal_inflate(&p->z);
		p->len = p->band_cap - p->z.avail_out;
		if (rc == ISAL_INCORRECT_CHECKSUM)
			return fail(p, "the image data's Adler-32 does not match");
		if (rc < 0 || rc == ISAL_NEED_DICT)
			return fail(p, "the image data is not a sound zlib stream");
		/* what igzip held of the input is spent, and no IDAT is left */
		if (p->z.avail_in == 0 && p->after && p->len == had && p->z.block_state != ISAL_BLOCK_FINISH)
			return fail(p, "the image data ends before its zlib stream");
	}
	return 0;
}

struct ig_pngfast *
ig_pngfast_new(FILE *f, uint32_t idat_left, size_t rowbytes, int bpp, char *err, size_t errlen)
{
	struct ig_pngfast *p = ig_malloc(sizeof *p);
	size_t rows = BAND_BYTES / (rowbytes + 1);

	memset(p, 0, offsetof(struct ig_pngfast, in));
	p->f = f;
	p->left = idat_left;
	p->crc = (uint32_t)crc32(0, (const unsigned char *)"IDAT", 4);
	p->rowbytes = rowbytes;
	p->bpp = bpp;
	p->err = err;
	p->errlen = errlen;
	p->band_cap = (rows ? rows : 1) * (rowbytes + 1);
	p->band = ig_malloc(p->band_cap);
	p->prev = ig_malloc(rowbytes);
	memset(p->prev, 0, rowbytes);
	isal_inflate_init(&p->z);
	p->z.crc_flag = ISAL_ZLIB;
	p->z.avail_in = 0;
	return p;
}

static unsigned char
paeth(int a, int b, int c)
{
	int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);

	return (unsigned char)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* one row's filter undone, from the stored bytes into row */
static int
unfilter(struct ig_pngfast *p, const unsigned char *in, unsigned char *row)
{
	const unsigned char *up = p->prev;
	size_t n = p->rowbytes, i;
	size_t bpp = (size_t)p->bpp;

	switch (in[0]) {
	case 0:
		memcpy(row, in + 1, n);
		break;
	case 1:
		memcpy(row, in + 1, bpp);
		for (i = bpp; i < n; i++)
			row[i] = (unsigned char)(in[1 + i] + row[i - bpp]);
		break;
	case 2:
		for (i = 0; i < n; i++)
			row[i] = (unsigned char)(in[1 + i] + up[i]);
		break;
	case 3:
		for (i = 0; i < bpp; i++)
			row[i] = (unsigned char)(in[1 + i] + (up[i] >> 1));
		for (; i < n; i++)
			row[i] = (unsigned char)(in[1 + i] + ((row[i - bpp] + up[i]) >> 1));
		break;
	case 4:
		for (i = 0; i < bpp; i++)
			row[i] = (unsigned char)(in[1 + i] + up[i]);
		for (; i < n; i++)
			row[i] = (unsigned char)(in[1 + i] + paeth(row[i - bpp], up[i], up[i - bpp]));
		break;
	default:
		return fail(p, "a row's filter type is not 0 to 4");
	}
	memcpy(p->prev, row, n);
	return 0;
}

int
ig_pngfast_row(struct ig_pngfast *p, unsigned char *row)
{
	if (p->len - p->pos < p->rowbytes + 1) {
		if (inflate_to(p, p->rowbytes + 1) != 0)
			return -1;
		if (p->len - p->pos < p->rowbytes + 1)
			return fail(p, "the image data ends before its last row");
	}
	if (unfilter(p, p->band + p->pos, row) != 0)
		return -1;
	p->pos += p->rowbytes + 1;
	return 0;
}

/* skip a chunk's data, its CRC kept */
static int
skip_data(struct ig_pngfast *p, uint32_t len)
{
	while (len) {
		size_t n = len < IN_BUFFER ? len : IN_BUFFER;

		if (read_exact(p, p->in, n) != 0)
			return -1;
		p->crc = (uint32_t)crc32(p->crc, p->in, (uInt)n);
		len -= (uint32_t)n;
	}
	return 0;
}

int
ig_pngfast_finish(struct ig_pngfast *p)
{
	/* the stream to its end, for its Adler-32; bytes past the last row
	 * are a warning to libpng, and nothing here */
	while (p->z.block_state != ISAL_BLOCK_FINISH) {
		p->pos = p->len;
		if (inflate_to(p, p->band_cap) != 0)
			return -1;
	}
	/* the rest of the IDAT chunks, then every chunk to IEND */
	while (!p->after) {
		if (skip_data(p, p->left) != 0)
			return -1;
		p->left = 0;
		if (fill(p) != 0)
			return -1;
		p->z.avail_in = 0;
	}
	for (;;) {
		unsigned char *h = p->next_head;
		int critical = h[4] >= 'A' && h[4] <= 'Z';

		if (critical && memcmp(h + 4, "IEND", 4) != 0 && memcmp(h + 4, "IDAT", 4) != 0)
			return fail(p, "a critical chunk follows the image data");
		if (skip_data(p, ig_be32(h)) != 0 || check_crc(p, critical) != 0)
			return -1;
		if (memcmp(h + 4, "IEND", 4) == 0)
			return 0;
		if (chunk_head(p, p->next_head) != 0)
			return -1;
	}
}

void
ig_pngfast_free(struct ig_pngfast *p)
{
	if (!p)
		return;
	free(p->band);
	free(p->prev);
	free(p);
}
