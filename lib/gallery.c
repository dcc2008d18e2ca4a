/* gallery.c - a static gallery of images with their stories (gallery.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gallery.h"
#include "path.h"
#include "placeholder.h"
#include "pngw.h"
#include "pool.h"
#include "story.h"
#include "thumb.h"

extern const char ig_gallery_html[];	/* lib/gallery.html, embedded by make */

#define ITEMS_MARK "/*@ITEMS@*/"
static const unsigned char BG[3] = { 0x11, 0x11, 0x11 };

struct item {
	long k;
	jv story;
	const char *file;
	long line;
	struct ig_buf entry;	/* its line of the page's list */
	int bad;
	char err[512];
};

struct ig_gallery {
	char *dir;		/* absolute */
	char *title;
	uint32_t thumb;
	struct ig_tmpfile index;
	struct ig_pool *pool;
	long count, unreadable;
	int failed;		/* a write failed: err says which */
	char err[512];
};

/* bytes at p into a file under the gallery, named rel; 0 or -1 with err */
static int
put_file(const struct ig_gallery *g, const char *rel, const void *p, size_t n, char *err, size_t errlen)
{
	struct ig_root none = { -1, NULL };
	struct ig_tmpfile t;
	char path[4200];

	snprintf(path, sizeof path, "%s/%s", g->dir, rel);
	if (ig_tmpfile_open(&t, &none, path, err, errlen) != 0)
		return -1;
	if (ig_write_all(t.fd, p, n) != 0) {
		snprintf(err, errlen, "%.400s: %s", t.tmp, strerror(errno));
		ig_tmpfile_abandon(&t);
		return -1;
	}
	return ig_tmpfile_commit(&t, err, errlen);
}

struct rgb_rows {
	const unsigned char *rgb;
	uint32_t width;
};

static void
rgb_row(void *ctx, uint32_t y, unsigned char *row)
{
	const struct rgb_rows *r = ctx;

	memcpy(row, r->rgb + (size_t)y * r->width * 3, (size_t)r->width * 3);
}

/* JSON made safe inside a script element: every '<' escaped */
static void
put_script_json(struct ig_buf *b, jv v)
{
	struct ig_buf raw = { 0 };

	ig_json_write(&raw, v);
	for (size_t i = 0; i < raw.len; i++)
		if (raw.p[i] == '<')
			ig_buf_adds(b, "\\u003c");
		else
			ig_buf_addc(b, raw.p[i]);
	ig_buf_free(&raw);
}

static jv
facet(jv story, const char *name)
{
	jv v = ig_story_field(story, name);

	return ig_kind(v) == JV_KIND_STRING ? v : (ig_jv_free(v), jv_null());
}

/* the image's thumbnail, thumbs/K.png, into *t's size (a stand-in if the
 * image cannot be read: it->bad 1); it->bad 2 if it could not be written */
static void
write_thumb(const struct ig_gallery *g, struct item *it, const char *path, struct ig_thumb *t)
{
	struct ig_buf png = { 0 };
	char rel[64], err[512];

	if (ig_thumb_make(t, path, g->thumb, BG, it->err, sizeof it->err) == 0) {
		struct rgb_rows rr = { t->rgb, t->width };

		if (ig_png_encode_rgb(&png, t->width, t->height, 6, rgb_row, &rr, it->err, sizeof it->err) != 0)
			it->bad = 1;
	} else {
		struct ig_placeholder_says says = { .subject = "unreadable" };

		it->bad = 1;
		memset(t, 0, sizeof *t);
		t->width = t->height = g->thumb < 128 ? g->thumb : 128;
		if (ig_placeholder(&png, "unreadable", 0, t->width, t->height, &says, err, sizeof err) != 0)
			snprintf(it->err + strlen(it->err), sizeof it->err - strlen(it->err), "; %.200s", err);
	}
	snprintf(rel, sizeof rel, "thumbs/%ld.png", it->k);
	if (put_file(g, rel, png.p, png.len, err, sizeof err) != 0) {
		snprintf(it->err, sizeof it->err, "%.500s", err);
		it->bad = 2;
	}
	ig_buf_free(&png);
}

/* the image's story, stories/K.js, a script calling igStory */
static void
write_story(const struct ig_gallery *g, struct item *it)
{
	struct ig_buf js = { 0 };
	char rel[64], err[512];

	ig_buf_printf(&js, "igStory(%ld, ", it->k);
	put_script_json(&js, it->story);
	ig_buf_adds(&js, ");\n");
	snprintf(rel, sizeof rel, "stories/%ld.js", it->k);
	if (put_file(g, rel, js.p, js.len, err, sizeof err) != 0) {
		snprintf(it->err, sizeof it->err, "%.500s", err);
		it->bad = 2;
	}
	ig_buf_free(&js);
}

/* the image's line of the page's list: k, id, name, thumb, href, alt,
 * the thumbnail's size and the facets the filters offer */
static void
make_entry(const struct ig_gallery *g, struct item *it, const struct ig_thumb *t)
{
	jv image = ig_get(it->story, "image"), path = ig_get(image, "path"), name = ig_get(image, "name");
	jv gen = ig_get(it->story, "generation"), params = ig_get(gen, "params"), elements = ig_get(params, "elements");
	jv subject = ig_story_field(it->story, "elements"), entry, f;
	struct ig_buf href = { 0 };
	char rel[64], alt[600];

	ig_path_url_from(g->dir, jv_string_value(path), &href);
	snprintf(rel, sizeof rel, "thumbs/%ld.png", it->k);
	snprintf(alt, sizeof alt, "%s%s%s", ig_kind(name) == JV_KIND_STRING ? jv_string_value(name) : "image",
	    ig_kind(subject) == JV_KIND_STRING ? ": " : "", ig_kind(subject) == JV_KIND_STRING ? jv_string_value(subject) : "");
	f = JV_OBJECT(jv_string("theme"), facet(it->story, "theme"), jv_string("variation"), facet(it->story, "variation"),
	    jv_string("preset"), facet(it->story, "preset"), jv_string("status"), facet(it->story, "status"),
	    jv_string("type"), facet(it->story, "type"),
	    jv_string("elements"), ig_kind(elements) == JV_KIND_ARRAY ? jv_copy(elements) : jv_array());
	entry = JV_OBJECT(jv_string("k"), jv_number((double)it->k), jv_string("id"), ig_get(image, "id"),
	    jv_string("name"), ig_kind(name) == JV_KIND_STRING ? jv_copy(name) : jv_string(""),
	    jv_string("thumb"), jv_string(rel), jv_string("href"), jv_string(ig_buf_str(&href)),
	    jv_string("alt"), jv_string(it->bad ? "unreadable image" : alt),
	    jv_string("tw"), jv_number(t->width), jv_string("th"), jv_number(t->height), jv_string("f"), f);
	put_script_json(&it->entry, entry);
	ig_buf_adds(&it->entry, ",\n");
	jv_free(entry);
	ig_buf_free(&href);
	ig_jv_free(subject);
	ig_jv_free(image);
	ig_jv_free(path);
	ig_jv_free(name);
	ig_jv_free(gen);
	ig_jv_free(params);
	ig_jv_free(elements);
}

/* on a pool thread: the image's files, and its entry in the page */
static void
make_item(void *ctx, void *p, int worker)
{
	struct ig_gallery *g = ctx;
	struct item *it = p;
	jv image = ig_get(it->story, "image"), path = ig_get(image, "path");
	struct ig_thumb t;

	(void)worker;
	write_thumb(g, it, jv_string_value(path), &t);
	if (it->bad != 2)
		write_story(g, it);
	make_entry(g, it, &t);
	ig_thumb_free(&t);
	ig_jv_free(image);
	ig_jv_free(path);
}

static void
item_done(void *ctx, void *p)
{
	struct ig_gallery *g = ctx;
	struct item *it = p;

	if (it->bad) {
		ig_err_at(it->file, it->line, "%s", it->err);
		g->unreadable++;
	}
	if (it->bad == 2 && !g->failed) {
		g->failed = 1;
		snprintf(g->err, sizeof g->err, "%s", it->err);
	}
	if (!g->failed && ig_write_all(g->index.fd, it->entry.p, it->entry.len) != 0) {
		g->failed = 1;
		snprintf(g->err, sizeof g->err, "%.400s: %s", g->index.tmp, strerror(errno));
	}
	jv_free(it->story);
	ig_buf_free(&it->entry);
	free((char *)it->file);
	free(it);
}

/* the template from from to to (or its end), @TITLE@ and @THUMB@ filled */
static void
template_part(struct ig_buf *b, const char *from, const char *to, const char *title, uint32_t thumb)
{
	for (const char *p = from; to ? p < to : *p; p++) {
		if (strncmp(p, "@TITLE@", 7) == 0) {
			for (const char *t = title; *t; t++)
				switch (*t) {
				case '<': ig_buf_adds(b, "&lt;"); break;
				case '>': ig_buf_adds(b, "&gt;"); break;
				case '&': ig_buf_adds(b, "&amp;"); break;
				case '"': ig_buf_adds(b, "&quot;"); break;
				default: ig_buf_addc(b, *t);
				}
			p += 6;
		} else if (strncmp(p, "@THUMB@", 7) == 0) {
			ig_buf_printf(b, "%u", thumb / 2 > 96 ? thumb / 2 : 96);
			p += 6;
		} else {
			ig_buf_addc(b, *p);
		}
	}
}

struct ig_gallery *
ig_gallery_open(const char *dir, uint32_t thumb, const char *title, char *err, size_t errlen)
{
	struct ig_gallery *g = ig_malloc(sizeof *g);
	struct ig_root none = { -1, NULL };
	struct ig_buf head = { 0 }, path = { 0 };
	const char *mark = strstr(ig_gallery_html, ITEMS_MARK);
	int rc;

	memset(g, 0, sizeof *g);
	g->thumb = thumb;
	g->title = ig_strdup(title);
	if ((rc = ig_path_absolute(dir, &g->dir)) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(rc));
		free(g->title);
		free(g);
		return NULL;
	}
	ig_buf_printf(&path, "%s/index.html", g->dir);
	if (ig_tmpfile_open(&g->index, &none, ig_buf_str(&path), err, errlen) != 0) {
		ig_buf_free(&path);
		free(g->dir);
		free(g->title);
		free(g);
		return NULL;
	}
	ig_buf_free(&path);
	template_part(&head, ig_gallery_html, mark, title, thumb);
	if (ig_write_all(g->index.fd, head.p, head.len) != 0) {
		g->failed = 1;
		snprintf(g->err, sizeof g->err, "%.400s: %s", g->index.tmp, strerror(errno));
	}
	ig_buf_free(&head);
	g->pool = ig_pool_new(ig_cpus(), 0, make_item, item_done, g);
	return g;
}

void
ig_gallery_add(struct ig_gallery *g, jv story, const char *file, long line)
{
	struct item *it = ig_malloc(sizeof *it);

	memset(it, 0, sizeof *it);
	it->k = ++g->count;
	it->story = story;
	it->file = ig_strdup(file);
	it->line = line;
	ig_pool_submit(g->pool, it, 1);
	ig_pool_reap(g->pool, 0);
}

int
ig_gallery_close(struct ig_gallery *g, long *unreadable, char *err, size_t errlen)
{
	struct ig_buf tail = { 0 };
	const char *mark = strstr(ig_gallery_html, ITEMS_MARK);
	int rc = 0;

	ig_pool_free(g->pool);
	*unreadable = g->unreadable;
	template_part(&tail, mark + strlen(ITEMS_MARK), NULL, g->title, g->thumb);
	if (!g->failed && ig_write_all(g->index.fd, tail.p, tail.len) != 0) {
		g->failed = 1;
		snprintf(g->err, sizeof g->err, "%.400s: %s", g->index.tmp, strerror(errno));
	}
	ig_buf_free(&tail);
	if (g->failed) {
		snprintf(err, errlen, "%s", g->err);
		ig_tmpfile_abandon(&g->index);
		rc = -1;
	} else {
		rc = ig_tmpfile_commit(&g->index, err, errlen);
	}
	free(g->dir);
	free(g->title);
	free(g);
	return rc;
}
