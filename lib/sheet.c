/* sheet.c - contact sheets (sheet.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "err.h"
#include "font.h"
#include "path.h"
#include "pngenc.h"
#include "pool.h"
#include "sheet.h"
#include "spool.h"
#include "thumb.h"

#define GAP 8
static const unsigned char BG[3] = { 0x20, 0x20, 0x22 }, FG[3] = { 0xe8, 0xe8, 0xe8 }, BAD[3] = { 0xc0, 0x30, 0x30 };

struct tile {
	const char *path, *label, *file;
	long line;
	struct ig_thumb t;
	int bad;
	char err[256];
};

struct ig_sheet {
	struct ig_sheet_opts o;
	struct ig_spool tiles;	/* "path\0label\0file", tagged with the line */
	int scale;		/* label pixels a font pixel */
	uint32_t label_h, tile_w, tile_h;
};

struct ig_sheet *
ig_sheet_new(const struct ig_sheet_opts *o)
{
	struct ig_sheet *s = ig_malloc(sizeof *s);

	memset(s, 0, sizeof *s);
	s->o = *o;
	ig_spool_init(&s->tiles, 1);
	s->scale = o->thumb >= 256 ? (int)(o->thumb / 160) : 1;
	s->label_h = (uint32_t)(o->label_lines * (IG_GLYPH_H + 2) * s->scale);
	s->tile_w = o->thumb + GAP;
	s->tile_h = o->thumb + s->label_h + GAP + (o->label_lines ? (uint32_t)s->scale * 2 : 0);
	return s;
}

void
ig_sheet_add(struct ig_sheet *s, const char *path, const char *label, const char *file, long line)
{
	struct ig_buf *b = ig_spool_start(&s->tiles);

	ig_buf_add(b, path, strlen(path) + 1);
	ig_buf_add(b, label, strlen(label) + 1);
	ig_buf_add(b, file, strlen(file));
	ig_spool_finish(&s->tiles, line);
}

void
ig_sheet_page_path(const struct ig_sheet_opts *o, long k, char *out, size_t n)
{
	size_t len = strlen(o->path);

	if (!o->per_page)
		snprintf(out, n, "%s", o->path);
	else if (len > 4 && strcmp(o->path + len - 4, ".png") == 0)
		snprintf(out, n, "%.*s-%ld.png", (int)(len - 4), o->path, k);
	else
		snprintf(out, n, "%s-%ld.png", o->path, k);
}

static void
make_thumb(void *ctx, void *item, int worker)
{
	struct ig_sheet *s = ctx;
	struct tile *t = item;

	(void)worker;
	t->bad = ig_thumb_make(&t->t, t->path, s->o.thumb, BG, t->err, sizeof t->err) != 0;
}

static void
thumb_done(void *ctx, void *item)
{
	(void)ctx, (void)item;
}

/* pixel row y of a band of tiles (y from the band's top) into out */
static void
band_row(const struct ig_sheet *s, const struct tile *tiles, int n, uint32_t y, unsigned char *out,
    uint32_t width)
{
	for (uint32_t x = 0; x < width; x++)
		memcpy(out + 3 * x, BG, 3);
	if (y < GAP)
		return;
	y -= GAP;
	for (int i = 0; i < n; i++) {
		const struct tile *t = &tiles[i];
		uint32_t x0 = GAP + (uint32_t)i * s->tile_w;

		if (y < s->o.thumb) {
			uint32_t tw = t->bad ? s->o.thumb : t->t.width, th = t->bad ? s->o.thumb : t->t.height;
			uint32_t ox = (s->o.thumb - tw) / 2, oy = (s->o.thumb - th) / 2;

			if (y < oy || y >= oy + th)
				continue;
			for (uint32_t x = 0; x < tw; x++) {
				unsigned char *px = out + 3 * (x0 + ox + x);

				if (!t->bad)
					memcpy(px, t->t.rgb + ((size_t)(y - oy) * tw + x) * 3, 3);
				else if (x == y || x + 1 == y || x == tw - 1 - y || x + 1 == tw - 1 - y || x == 0 ||
				    y == 0 || x == tw - 1 || y == th - 1)
					memcpy(px, BAD, 3);
			}
		} else if (s->label_h) {
			/* the label: a line of text a font row band, under the thumbnail */
			long ly = (long)y - s->o.thumb - s->scale * 2, line_h = (long)(IG_GLYPH_H + 2) * s->scale;
			int li = (int)(ly / line_h), fy = (int)(ly % line_h / s->scale);
			int cols = (int)(s->o.thumb / (IG_GLYPH_ADVANCE * (unsigned)s->scale));
			const char *p = t->label;
			size_t len;

			if (ly < 0)
				continue;
			for (int k = 0; k < li && p; k++)
				p = (p = strchr(p, '\n')) ? p + 1 : NULL;
			if (!p)
				continue;
			len = strcspn(p, "\n");
			ig_text_row(out, (long)width, 3, FG, (long)x0, fy, s->scale, p,
			    len < (size_t)cols ? len : (size_t)cols);
		}
	}
}

/* the next row of tiles (at most cols, at most left) from the spool, to
 * the threads making their thumbnails; how many */
static int
submit_band(struct ig_sheet *s, struct ig_pool *pool, struct tile *tiles, int cols, long left)
{
	long tag;
	const char *p;
	size_t len;
	int k = 0;

	for (; k < cols && k < left && ig_spool_next(&s->tiles, &tag, &p, &len); k++) {
		struct tile *t = &tiles[k];
		const char *label = p + strlen(p) + 1;

		memset(t, 0, sizeof *t);
		/* the spool's item is its buffer until the next: copied */
		t->path = ig_strdup(p);
		t->label = ig_strdup(label);
		t->file = ig_strdup(label + strlen(label) + 1);
		t->line = tag;
		ig_pool_submit(pool, t, 1);
	}
	return k;
}

static void
tile_free(struct tile *t)
{
	ig_thumb_free(&t->t);
	free((char *)t->path);
	free((char *)t->label);
	free((char *)t->file);
}

/* one page of n tiles from the spool */
static int
write_page(struct ig_sheet *s, const char *path, long n, struct ig_pool *pool, long *unreadable, char *err,
    size_t errlen)
{
	int cols = n < s->o.columns ? (int)n : s->o.columns;
	uint32_t width = GAP + (uint32_t)cols * s->tile_w, rows = (uint32_t)((n + cols - 1) / cols);
	uint32_t height = rows * s->tile_h + GAP;
	struct tile *bands[2] = { ig_malloc((size_t)cols * sizeof **bands), ig_malloc((size_t)cols * sizeof **bands) };
	int count[2];
	unsigned char *line = ig_malloc((size_t)width * 3);
	struct ig_root none = { -1, NULL };
	struct ig_tmpfile tf;
	struct ig_pngenc *enc;
	char *abs = NULL;
	int rc = -1;

	if ((errno = ig_path_absolute(path, &abs)) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (ig_tmpfile_open(&tf, &none, abs, err, errlen) != 0)
		goto out;
	/* zlib level 1: a sheet is for looking at now (level 6 is 4% smaller
	 * and a third slower) */
	enc = ig_pngenc_new(tf.fd, width, height, 3, 8, 1, Z_DEFAULT_STRATEGY, IG_FILTER_ADAPTIVE, ig_cpus(), NULL);
	/* the next row of tiles is decoded while this one is written */
	count[0] = submit_band(s, pool, bands[0], cols, n);
	for (uint32_t r = 0; r < rows; r++) {
		struct tile *tiles = bands[r % 2];
		int k = count[r % 2];

		ig_pool_reap(pool, 1);
		count[(r + 1) % 2] = r + 1 < rows ? submit_band(s, pool, bands[(r + 1) % 2], cols,
		    n - (long)(r + 1) * cols) : 0;
		for (int i = 0; i < k; i++)
			if (tiles[i].bad) {
				ig_err_at(tiles[i].file, tiles[i].line, "%s", tiles[i].err);
				(*unreadable)++;
			}
		for (uint32_t y = 0; y < s->tile_h; y++) {
			band_row(s, tiles, k, y, line, width);
			(void)ig_pngenc_row(enc, line);
		}
		for (int i = 0; i < k; i++)
			tile_free(&tiles[i]);
	}
	/* the bottom gap */
	band_row(s, bands[0], 0, 0, line, width);
	for (uint32_t y = 0; y < GAP; y++)
		(void)ig_pngenc_row(enc, line);
	/* a row that could not be written is the finish's error */
	if (ig_pngenc_finish(enc, NULL, err, errlen) != 0) {
		ig_pngenc_free(enc);
		ig_tmpfile_abandon(&tf);
		goto out;
	}
	ig_pngenc_free(enc);
	rc = ig_tmpfile_commit(&tf, err, errlen);
out:
	free(abs);
	free(bands[0]);
	free(bands[1]);
	free(line);
	return rc;
}

int
ig_sheet_write(struct ig_sheet *s, long *unreadable, char *err, size_t errlen)
{
	long total = (long)s->tiles.count, per = s->o.per_page ? s->o.per_page : total;
	struct ig_pool *pool;
	char path[4200];
	int rc = 0;

	*unreadable = 0;
	if (!total)
		return 0;
	pool = ig_pool_new(ig_cpus(), 0, make_thumb, thumb_done, s);
	ig_spool_rewind(&s->tiles);
	for (long page = 1, done = 0; done < total && !rc; page++, done += per) {
		ig_sheet_page_path(&s->o, page, path, sizeof path);
		rc = write_page(s, path, total - done < per ? total - done : per, pool, unreadable, err, errlen);
	}
	ig_pool_free(pool);
	return rc;
}

void
ig_sheet_free(struct ig_sheet *s)
{
	if (!s)
		return;
	ig_spool_free(&s->tiles);
	free(s);
}
