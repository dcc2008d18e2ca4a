/* pngenc.c - PNG rows filtered here, deflated in bands on the pool's threads */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bytes.h"
#include "err.h"
#include "hash.h"
#include "path.h"
#include "pngenc.h"
#include "pngw.h"
#include "pool.h"

#define WINDOW 32768		/* deflate's window: a band's dictionary */
#define BAND_BYTES (512 << 10)	/* filtered bytes a band aims at */
#define FLUSH_BYTES (1 << 20)	/* output gathered before a write */

static const char *const filter_names[] = { "none", "sub", "up", "avg", "paeth", "adaptive" };
/* by zlib's numbers: Z_DEFAULT_STRATEGY 0, Z_FILTERED 1, Z_HUFFMAN_ONLY 2, Z_RLE 3 */
static const char *const strategy_names[] = { "default", "filtered", "huffman", "rle" };

/*
 * A band carries its raw rows and, before them, the rows its dictionary
 * comes from: the stream's last 32 KB are the filtered form of the last few
 * rows before the band, which its worker filters again (filtering a row
 * needs only the row above). So filtering runs on the workers too, and the
 * reader's thread only decodes and blends.
 */
struct band {
	unsigned char *raw;	/* ctx rows, then rows, unfiltered */
	size_t ctx, rows;
	int from_top;		/* the ctx rows start at the image's first row */
	unsigned char *filtered;	/* room for ctx rows and rows */
	size_t len;		/* filtered bytes of the band's own rows */
	unsigned char *out;	/* raw deflate */
	size_t outlen, outcap;
	uLong adler;
	int last;
	struct band *next;	/* on the spare list */
};

struct worker {
	z_stream z;
	unsigned char *cand[5];	/* a row under each filter */
};

struct ig_pngenc {
	int fd;
	uint32_t height, y;
	int level;
	enum ig_png_filter filter;
	size_t rowbytes, bpp;
	unsigned char *zero;		/* the row above the first */
	unsigned char *ring;		/* the last ctx_max rows, unfiltered */
	size_t ctx_max;
	struct band *band;		/* being filled */
	struct band *spare;		/* written out, kept to be filled again */
	size_t band_rows;
	struct ig_pool *pool;
	struct worker *workers;
	int threads;
	struct ig_buf out;
	uLong adler;
	int first;			/* no IDAT written yet */
	int err;			/* errno of the first failed write */
	struct ig_hasher *hasher;	/* fed every byte written, if set */
	struct ig_facts *facts;
};

/* s's place in names, or -1 */
static int
name_index(const char *const names[], int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int
ig_png_filter_parse(const char *s, enum ig_png_filter *f)
{
	int i = name_index(filter_names, IG_FILTER_ADAPTIVE + 1, s);

	if (i >= 0)
		*f = (enum ig_png_filter)i;
	return i < 0 ? -1 : 0;
}

const char *
ig_png_filter_name(enum ig_png_filter f)
{
	return filter_names[f];
}

int
ig_png_strategy_parse(const char *s, int *strategy)
{
	int i = name_index(strategy_names, Z_RLE + 1, s);

	if (i >= 0)
		*strategy = i;
	return i < 0 ? -1 : 0;
}

const char *
ig_png_strategy_name(int strategy)
{
	return strategy_names[strategy];
}

static void
flush_out(struct ig_pngenc *e)
{
	if (e->hasher)
		ig_hash_feed(e->hasher, e->facts, e->out.p, e->out.len);
	if (!e->err && ig_write_all(e->fd, e->out.p, e->out.len) != 0)
		e->err = errno;
	e->out.len = 0;
}

static unsigned
paeth(unsigned a, unsigned b, unsigned c)
{
	int p = (int)a + (int)b - (int)c, pa = abs(p - (int)a), pb = abs(p - (int)b), pc = abs(p - (int)c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* row under filter f into out; returns libpng's heuristic, the sum of the
 * bytes taken as signed. One plain loop a filter, so the compiler can use
 * vector instructions. */
static unsigned long
filter_one(const struct ig_pngenc *e, int f, const unsigned char *row, const unsigned char *up,
    unsigned char *out)
{
	size_t n = e->rowbytes, bpp = e->bpp, i;
	unsigned long sum = 0;

	switch (f) {
	case IG_FILTER_NONE:
		memcpy(out, row, n);
		break;
	case IG_FILTER_SUB:
		memcpy(out, row, bpp);
		for (i = bpp; i < n; i++)
			out[i] = (unsigned char)(row[i] - row[i - bpp]);
		break;
	case IG_FILTER_UP:
		for (i = 0; i < n; i++)
			out[i] = (unsigned char)(row[i] - up[i]);
		break;
	case IG_FILTER_AVG:
		for (i = 0; i < bpp; i++)
			out[i] = (unsigned char)(row[i] - (up[i] >> 1));
		for (; i < n; i++)
			out[i] = (unsigned char)(row[i] - ((row[i - bpp] + up[i]) >> 1));
		break;
	default:
		for (i = 0; i < bpp; i++)
			out[i] = (unsigned char)(row[i] - up[i]);
		for (; i < n; i++)
			out[i] = (unsigned char)(row[i] - paeth(row[i - bpp], up[i], up[i - bpp]));
		break;
	}
	if (e->filter == IG_FILTER_ADAPTIVE)
		for (i = 0; i < n; i++)
			sum += (unsigned long)abs((signed char)out[i]);
	return sum;
}

/* row (below up) into dst: its filter's byte, then the filtered row */
static void
filter_row(const struct ig_pngenc *e, struct worker *w, const unsigned char *row,
    const unsigned char *up, unsigned char *dst)
{
	int best = e->filter;

	if (e->filter == IG_FILTER_ADAPTIVE) {
		unsigned long min = (unsigned long)-1;

		for (int f = IG_FILTER_NONE; f <= IG_FILTER_PAETH; f++) {
			unsigned long sum = filter_one(e, f, row, up, w->cand[f]);

			if (sum < min) {
				min = sum;
				best = f;
			}
		}
		memcpy(dst + 1, w->cand[best], e->rowbytes);
	} else {
		filter_one(e, best, row, up, dst + 1);
	}
	dst[0] = (unsigned char)best;
}

/* A band starting at row y, with the rows before it its worker needs.
 * Bands written out are filled again: their buffers are a band's largest,
 * so a large image allocates only the bands in flight. */
static struct band *
band_new(struct ig_pngenc *e)
{
	size_t ctx = e->y < e->ctx_max ? e->y : e->ctx_max, most = e->ctx_max + e->band_rows;
	struct band *b = e->spare;

	if (b) {
		e->spare = b->next;
	} else {
		b = ig_malloc(sizeof *b);
		b->raw = ig_malloc(most * e->rowbytes);
		b->filtered = ig_malloc(most * (e->rowbytes + 1));
		b->outcap = compressBound((uLong)(e->band_rows * (e->rowbytes + 1))) + 64;
		b->out = ig_malloc(b->outcap);
	}
	b->rows = b->len = b->outlen = 0;
	b->last = 0;
	b->next = NULL;
	b->ctx = ctx;
	b->from_top = ctx == e->y;
	for (size_t i = 0; i < ctx; i++)
		memcpy(b->raw + i * e->rowbytes, e->ring + ((e->y - ctx + i) % e->ctx_max) * e->rowbytes,
		    e->rowbytes);
	return b;
}

static void
band_free(struct band *b)
{
	free(b->raw);
	free(b->filtered);
	free(b->out);
	free(b);
}

static void
deflate_band(void *ctx, void *item, int worker)
{
	struct ig_pngenc *e = ctx;
	struct band *b = item;
	struct worker *w = &e->workers[worker];
	z_stream *z = &w->z;
	size_t stride = e->rowbytes + 1, first = b->from_top ? 0 : 1, all = b->ctx + b->rows, cap;
	size_t dictlen = (b->ctx - first) * stride;
	int rc;

	for (size_t i = first; i < all; i++)
		filter_row(e, w, b->raw + i * e->rowbytes, i ? b->raw + (i - 1) * e->rowbytes : e->zero,
		    b->filtered + (i - first) * stride);
	b->len = b->rows * stride;
	deflateReset(z);
	if (dictlen)
		deflateSetDictionary(z, b->filtered + (dictlen > WINDOW ? dictlen - WINDOW : 0),
		    (uInt)(dictlen > WINDOW ? WINDOW : dictlen));
	b->adler = adler32(adler32(0, NULL, 0), b->filtered + dictlen, (uInt)b->len);
	cap = b->outcap;
	z->next_in = b->filtered + dictlen;
	z->avail_in = (uInt)b->len;
	z->next_out = b->out;
	z->avail_out = (uInt)cap;
	/* a sync flush ends a band on a byte boundary, so the next joins on */
	while ((rc = deflate(z, b->last ? Z_FINISH : Z_SYNC_FLUSH)) == Z_OK && z->avail_out == 0) {
		size_t done = cap;

		cap *= 2;
		b->out = ig_realloc(b->out, cap);
		z->next_out = b->out + done;
		z->avail_out = (uInt)(cap - done);
	}
	b->outcap = cap;
	b->outlen = cap - z->avail_out;
}

/* a band's deflate as an IDAT chunk, in order: the zlib header before the
 * first, the combined Adler-32 after the last */
static void
write_band(void *ctx, void *item)
{
	struct ig_pngenc *e = ctx;
	struct band *b = item;
	unsigned char head[2] = { 0x78, 0 }, trail[4];
	size_t len = b->outlen + (e->first ? 2 : 0) + (b->last ? 4 : 0);
	uint32_t crc = (uint32_t)crc32(0, (const Bytef *)"IDAT", 4);
	int flevel = e->level < 2 ? 0 : e->level < 6 ? 1 : e->level == 6 ? 2 : 3;

	head[1] = (unsigned char)(flevel << 6);
	head[1] |= (unsigned char)(31 - (head[0] * 256 + head[1]) % 31);
	e->adler = adler32_combine(e->adler, b->adler, (z_off_t)b->len);
	ig_put_be32(trail, (uint32_t)e->adler);
	ig_buf_add_be32(&e->out, (uint32_t)len);
	ig_buf_add(&e->out, "IDAT", 4);
	if (e->first) {
		ig_buf_add(&e->out, head, 2);
		crc = (uint32_t)crc32(crc, head, 2);
		e->first = 0;
	}
	ig_buf_add(&e->out, b->out, b->outlen);
	crc = (uint32_t)crc32(crc, b->out, (uInt)b->outlen);
	if (b->last) {
		ig_buf_add(&e->out, trail, 4);
		crc = (uint32_t)crc32(crc, trail, 4);
	}
	ig_buf_add_be32(&e->out, crc);
	if (e->out.len >= FLUSH_BYTES)
		flush_out(e);
	b->next = e->spare;
	e->spare = b;
}

struct ig_pngenc *
ig_pngenc_new(int fd, uint32_t width, uint32_t height, int channels, int depth,
    int level, int strategy, enum ig_png_filter filter, int threads, const struct ig_buf *head)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	static const unsigned char color_type[5] = { 0, 0, 4, 2, 6 };
	struct ig_pngenc *e = ig_malloc(sizeof *e);
	unsigned char ihdr[13];

	memset(e, 0, sizeof *e);
	e->fd = fd;
	e->height = height;
	e->level = level;
	e->filter = filter;
	e->bpp = (size_t)channels * (size_t)depth / 8;
	e->rowbytes = (size_t)width * e->bpp;
	e->zero = ig_malloc(e->rowbytes);
	memset(e->zero, 0, e->rowbytes);
	/* the rows whose filtered form fills the window, and the one above */
	e->ctx_max = (WINDOW + e->rowbytes) / (e->rowbytes + 1) + 1;
	e->ring = ig_malloc(e->ctx_max * e->rowbytes);
	e->band_rows = BAND_BYTES / (e->rowbytes + 1) ? BAND_BYTES / (e->rowbytes + 1) : 1;
	e->threads = threads < 1 ? 1 : threads;
	e->workers = ig_malloc((size_t)e->threads * sizeof *e->workers);
	for (int i = 0; i < e->threads; i++) {
		struct worker *w = &e->workers[i];

		memset(w, 0, sizeof *w);
		for (int f = 0; f < 5; f++)
			w->cand[f] = ig_malloc(e->rowbytes);
		if (deflateInit2(&w->z, level, Z_DEFLATED, -15, 9, strategy) != Z_OK)
			ig_die(IG_EXIT_SYSTEM, "zlib: out of memory");
	}
	e->pool = ig_pool_new(e->threads, 0, deflate_band, write_band, e);
	e->adler = adler32(0, NULL, 0);
	e->first = 1;
	e->band = band_new(e);
	ig_buf_add(&e->out, sig, 8);
	ig_put_be32(ihdr, width);
	ig_put_be32(ihdr + 4, height);
	ihdr[8] = (unsigned char)depth;
	ihdr[9] = color_type[channels];
	ihdr[10] = ihdr[11] = ihdr[12] = 0;	/* deflate, adaptive filtering, no interlace */
	ig_png_chunk(&e->out, "IHDR", ihdr, 13);
	if (head && head->len)
		ig_buf_add(&e->out, head->p, head->len);
	return e;
}

void
ig_pngenc_hash(struct ig_pngenc *e, struct ig_hasher *h, struct ig_facts *f)
{
	e->hasher = h;
	e->facts = f;
}

int
ig_pngenc_row(struct ig_pngenc *e, const unsigned char *row)
{
	struct band *b = e->band;

	if (!b)
		return -1;
	memcpy(b->raw + (b->ctx + b->rows++) * e->rowbytes, row, e->rowbytes);
	memcpy(e->ring + (e->y % e->ctx_max) * e->rowbytes, row, e->rowbytes);
	e->y++;
	if (b->rows == e->band_rows || e->y == e->height) {
		b->last = e->y == e->height;
		e->band = b->last ? NULL : band_new(e);
		ig_pool_submit(e->pool, b, 1);
	}
	return e->err ? -1 : 0;
}

int
ig_pngenc_finish(struct ig_pngenc *e, const struct ig_buf *tail, char *err, size_t errlen)
{
	ig_pool_free(e->pool);
	e->pool = NULL;
	if (e->y != e->height) {
		/* rows stop coming when a write fails: that is the reason */
		if (e->err)
			snprintf(err, errlen, "%s", strerror(e->err));
		else
			snprintf(err, errlen, "PNG: %u of %u rows written", e->y, e->height);
		return -1;
	}
	if (tail && tail->len)
		ig_buf_add(&e->out, tail->p, tail->len);
	ig_png_chunk(&e->out, "IEND", "", 0);
	flush_out(e);
	if (e->err) {
		snprintf(err, errlen, "%s", strerror(e->err));
		return -1;
	}
	return 0;
}

void
ig_pngenc_free(struct ig_pngenc *e)
{
	if (!e)
		return;
	if (e->pool)
		ig_pool_free(e->pool);
	for (int i = 0; i < e->threads; i++) {
		deflateEnd(&e->workers[i].z);
		for (int f = 0; f < 5; f++)
			free(e->workers[i].cand[f]);
	}
	free(e->workers);
	free(e->zero);
	free(e->ring);
	if (e->band)
		band_free(e->band);
	while (e->spare) {
		struct band *b = e->spare;

		e->spare = b->next;
		band_free(b);
	}
	ig_buf_free(&e->out);
	free(e);
}
