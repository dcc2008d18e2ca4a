/* gridrun.c - ig-grid's engine: settings per map, the file, the records */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "err.h"
#include "gridrun.h"
#include "url.h"
#include "hash.h"
#include "json.h"
#include "lines.h"
#include "model.h"
#include "path.h"
#include "pngw.h"
#include "raster.h"
#include "uuid.h"

struct run {
	const struct ig_grid_options *o;
	jv grids;		/* map_grids records of the stream, by image_id */
	struct ig_hasher *hasher;
	struct ig_buf line;
	int rejected;
	int system;		/* a failure of the machine's, not the input's */
	struct ig_root root;	/* --out-dir, or none */
};

/* one image's grid, as its map_grids record and the options say */
struct settings {
	struct ig_grid g;
	int enabled;
	char color[16];		/* as given, for the records */
	char grid_id[IG_UUID_TEXT];
};

static void
emit(struct run *r, jv v)
{
	ig_json_put_line(&r->line, v);
}

/* the image's map_grids record: the stream's, else the store's */
static jv
find_grid(struct run *r, const char *image_id)
{
	struct ig_store *s = r->o->store;
	const struct ig_collection *c;
	jv mg = jv_object_get(jv_copy(r->grids), jv_string(image_id));
	MDB_txn *txn;
	MDB_val val;
	int rc;

	if (jv_is_valid(mg) || !s || !(c = ig_model_find(s->m, "map_grids")))
		return mg;
	jv_free(mg);
	mg = jv_invalid();
	if ((rc = ig_store_begin(s, 1, &txn)))
		ig_die(IG_EXIT_SYSTEM, "store %s: %s", s->path, mdb_strerror(rc));
	rc = ig_store_get_unique(s, txn, c, "image_id", jv_string(image_id), &val);
	if (rc && rc != MDB_NOTFOUND)
		ig_die(IG_EXIT_SYSTEM, "store %s: %s", s->path, mdb_strerror(rc));
	if (rc == 0 && !ig_stored_deleted(&val))
		mg = ig_json_parse(val.mv_data, val.mv_size, NULL, 0);
	mg = jv_is_valid(mg) ? mg : jv_invalid();
	mdb_txn_abort(txn);
	return mg;
}

/* a map_grids record's settings, where no option overrides them */
static int
from_map_grid(const struct ig_grid_options *o, jv mg, struct settings *st, char *err, size_t errlen)
{
	/* the bounds are the model's; ig-grid adds its own largest size */
	const struct ig_field *fsize = ig_model_field("map_grids", "size");
	const struct ig_field *fopacity = ig_model_field("map_grids", "opacity");
	int rc = 0;
	jv v = ig_get(mg, "size");

	if (jv_get_kind(v) == JV_KIND_NUMBER && !(o->set & IG_SET_SIZE)) {
		double d = jv_number_value(v);

		if (d != floor(d) || d < fsize->min || d > IG_GRID_SIZE_MAX) {
			snprintf(err, errlen, "its map_grids size %g is no whole number of pixels from %g", d,
			    fsize->min);
			rc = -1;
		}
		st->g.size = (int)d;
	}
	jv_free(v);
	v = ig_get(mg, "color");
	if (!rc && jv_get_kind(v) == JV_KIND_STRING && !(o->set & IG_SET_COLOR)) {
		const char *s = jv_string_value(v);

		if (strlen(s) >= sizeof st->color ||
		    ig_color_parse(s, strlen(s), &st->g.line.color) != 0) {
			snprintf(err, errlen, "its map_grids color %.40s is not #rgb, #rgba, #rrggbb or #rrggbbaa", s);
			rc = -1;
		} else {
			snprintf(st->color, sizeof st->color, "%s", s);
		}
	}
	jv_free(v);
	v = ig_get(mg, "opacity");
	if (!rc && jv_get_kind(v) == JV_KIND_NUMBER && !(o->set & IG_SET_OPACITY)) {
		double d = jv_number_value(v);

		if (!(d >= fopacity->min && d <= fopacity->max)) {
			snprintf(err, errlen, "its map_grids opacity %g is not from %g to %g", d, fopacity->min,
			    fopacity->max);
			rc = -1;
		}
		st->g.line.opacity = d;
	}
	jv_free(v);
	v = ig_get(mg, "enabled");
	st->enabled = jv_get_kind(v) != JV_KIND_FALSE;
	jv_free(v);
	return rc;
}

static int
settings_of(struct run *r, const char *image_id, struct settings *st, char *err, size_t errlen)
{
	const struct ig_grid_options *o = r->o;
	jv mg = find_grid(r, image_id);
	const char *id;
	int rc = 0;

	st->g = o->grid;
	st->enabled = 1;
	snprintf(st->color, sizeof st->color, "%s", o->color);
	if ((id = jv_is_valid(mg) ? ig_str(mg, "id") : NULL))
		snprintf(st->grid_id, sizeof st->grid_id, "%s", id);
	else
		ig_uuid_v5_text(ig_ns_grids, image_id, strlen(image_id), st->grid_id);
	if (jv_is_valid(mg))
		rc = from_map_grid(o, mg, st, err, errlen);
	jv_free(mg);
	/* every Nth line: its own color if given, else the line's */
	if (!(o->set & IG_SET_EVERY_COLOR))
		st->g.major.color = st->g.line.color;
	st->g.major.opacity = st->g.line.opacity;
	return rc;
}

/* map.png -> map.grid.png beside it, named absolutely; under an output
 * root, at the source's path from the working directory when it is under
 * it, else at its whole absolute path (as cp --parents would) */
static char *
gridded_path(const struct run *r, const char *src, char *err, size_t errlen)
{
	const struct ig_grid_options *o = r->o;
	struct ig_buf b = { 0 };
	char *abs = NULL, *cwd = NULL, *out;
	const char *rel, *base, *dot;
	size_t stem, cl;
	int rc;

	if (o->out_dir && !(src[0] == '/' ? !ig_path_leaves_root(src + 1) : !ig_path_leaves_root(src))) {
		snprintf(err, errlen, "%.300s would leave the output root %.300s", src, o->out_dir);
		return NULL;
	}
	if ((rc = ig_path_absolute(src, &abs)) || !(cwd = getcwd(NULL, 0))) {
		snprintf(err, errlen, "%.300s: %s", src, strerror(rc ? rc : errno));
		free(abs);
		return NULL;
	}
	rel = abs;
	cl = strlen(cwd);
	if (o->out_dir) {
		if (strncmp(abs, cwd, cl) == 0 && abs[cl] == '/')
			rel = abs + cl + 1;
		ig_buf_adds(&b, r->root.path);
		ig_buf_addc(&b, '/');
	}
	base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	dot = strrchr(base, '.');
	stem = dot && dot != base ? (size_t)(dot - rel) : strlen(rel);
	ig_buf_add(&b, rel, stem);
	ig_buf_adds(&b, o->suffix);
	ig_buf_adds(&b, ".png");
	free(cwd);
	rc = ig_path_absolute(ig_buf_str(&b), &out);
	ig_buf_free(&b);
	if (rc == 0 && strcmp(out, abs) == 0) {
		snprintf(err, errlen, "%.300s would be written over: give a --suffix", src);
		free(out);
		out = NULL;
	} else if (rc) {
		snprintf(err, errlen, "%.300s: %s", src, strerror(rc));
		out = NULL;
	}
	free(abs);
	return out;
}

static int
pen_grey(const struct ig_pen *p)
{
	return p->color.rgb[0] == p->color.rgb[1] && p->color.rgb[1] == p->color.rgb[2];
}

/* the overlay's style: how the grid looks */
static jv
style_of(const struct settings *st)
{
	const struct ig_grid *g = &st->g;
	static const char *labels[] = { NULL, "alpha", "numeric" };
	jv s = JV_OBJECT(jv_string("color"), jv_string(st->color), jv_string("opacity"), jv_number(g->line.opacity),
	    jv_string("width"), jv_number(g->line.width));

	if (g->every) {
		char c[16];

		snprintf(c, sizeof c, "#%02x%02x%02x", g->major.color.rgb[0] >> 8, g->major.color.rgb[1] >> 8,
		    g->major.color.rgb[2] >> 8);
		s = jv_object_set(s, jv_string("every"), jv_number(g->every));
		s = jv_object_set(s, jv_string("every_color"), jv_string(c));
		s = jv_object_set(s, jv_string("every_width"), jv_number(g->major.width));
	}
	s = jv_object_set(s, jv_string("dash"), g->dash_on ?
	    JV_ARRAY(jv_number(g->dash_on), jv_number(g->dash_off)) : jv_null());
	return jv_object_set(s, jv_string("labels"), labels[g->labels] ? jv_string(labels[g->labels]) : jv_null());
}

/* the overlay's data: where the grid is */
static jv
geometry_of(const struct ig_grid *g, uint32_t w, uint32_t h)
{
	long cols, rows;

	ig_grid_cells(g, w, h, &cols, &rows);
	return JV_OBJECT(jv_string("grid"), jv_string(ig_grid_type_name(g->type, g->even)),
	    jv_string("foundry_type"), jv_number(ig_grid_foundry_type(g->type, g->even)),
	    jv_string("size"), jv_number(g->size),
	    jv_string("offset"), JV_OBJECT(jv_string("x"), jv_number(g->offx), jv_string("y"), jv_number(g->offy)),
	    jv_string("columns"), jv_number((double)cols), jv_string("rows"), jv_number((double)rows));
}

/* 1 if dst exists and its ig-grid chunk says what this run would write */
static int
current(const char *dst, const char *desc)
{
	char *text = ig_png_file_text(dst, "ig-grid");
	int same = text && strcmp(text, desc) == 0;

	free(text);
	return same;
}

/* decode, blend, encode: the gridded PNG under a temporary name (t, left
 * for the caller to commit), its facts (f) taken from the bytes as they are
 * written. A file made from the same source (by its sha256) with the same
 * settings is current, and left as it is (t->fd is -1); its facts are read
 * from it. */
static int
render(struct run *r, const struct settings *st, const char *src, const char *src_sha256,
    const char *dst, struct ig_tmpfile *t, uint32_t *w, uint32_t *h, struct ig_facts *f,
    char *err, size_t errlen)
{
	const struct ig_grid_options *o = r->o;
	const struct ig_grid *g = &st->g;
	int grey = pen_grey(&g->line) && (!g->every || pen_grey(&g->major));
	char why[400];
	struct ig_raster rs;
	struct ig_pngenc *enc = NULL;
	struct ig_grid_raster *gr = NULL;
	unsigned char *row = NULL;
	struct ig_buf json = { 0 }, ascii = { 0 };
	int rc = -1;
	jv desc;

	memset(f, 0, sizeof *f);
	t->fd = -1;
	if (ig_raster_open(&rs, src, grey ? 0 : IG_RASTER_COLOR, why, sizeof why) != 0) {
		snprintf(err, errlen, "%.300s: %s", src, why);
		goto out;
	}
	*w = rs.width;
	*h = rs.height;
	if ((uint32_t)g->size > rs.width || (uint32_t)g->size > rs.height) {
		snprintf(err, errlen, "grid size %d is larger than the %" PRIu32 " x %" PRIu32 " image %.300s",
		    g->size, rs.width, rs.height, src);
		goto out;
	}
	/* the file says how it was gridded, beside the source's own text */
	desc = jv_object_merge(geometry_of(g, rs.width, rs.height), style_of(st));
	desc = jv_object_set(desc, jv_string("level"), jv_number(o->level));
	desc = jv_object_set(desc, jv_string("strategy"), jv_string(ig_png_strategy_name(o->strategy)));
	desc = jv_object_set(desc, jv_string("filter"), jv_string(ig_png_filter_name(o->filter)));
	if (src_sha256)
		desc = jv_object_set(desc, jv_string("source_sha256"), jv_string(src_sha256));
	ig_json_write(&json, desc);
	jv_free(desc);
	ig_json_ascii(&ascii, json.p, json.len);
	if (src_sha256 && current(dst, ig_buf_str(&ascii))) {
		ig_hash_file(r->hasher, dst, f);
		rc = 0;
		goto out;
	}
	ig_png_text_chunk(&rs.head, "ig-grid", ascii.p, ascii.len, 0, NULL, NULL);
	if (ig_tmpfile_open(t, &r->root, dst, err, errlen) != 0) {
		r->system |= ig_errno_is_system(errno);
		goto out;
	}
	enc = ig_pngenc_new(t->fd, rs.width, rs.height, rs.channels, rs.depth, o->level, o->strategy,
	    o->filter, o->threads, &rs.head);
	ig_hash_begin(r->hasher, f);
	ig_pngenc_hash(enc, r->hasher, f);
	gr = ig_grid_raster_new(g, rs.width, rs.height);
	row = ig_malloc(rs.rowbytes);
	for (uint32_t y = 0; y < rs.height; y++) {
		if (ig_raster_row(&rs, row) != 0) {
			snprintf(err, errlen, "%.300s: %s", src, why);
			goto out;
		}
		ig_grid_blend_row(gr, y, row, rs.channels, rs.depth);
		if (ig_pngenc_row(enc, row) != 0)
			break;	/* a write failed: finish says why */
	}
	if (ig_raster_finish(&rs) != 0) {
		snprintf(err, errlen, "%.300s: %s", src, why);
		goto out;
	}
	if (ig_pngenc_finish(enc, &rs.tail, why, sizeof why) != 0) {
		/* only writes fail here: the machine's failure */
		snprintf(err, errlen, "%.300s: %s", t->tmp, why);
		r->system = 1;
		goto out;
	}
	ig_hash_end(r->hasher, f);
	rc = 0;
out:
	if (rc != 0 && t->fd >= 0)
		ig_tmpfile_abandon(t);
	ig_imghdr_free(&f->img);	/* a run cut short leaves the reader open */
	ig_pngenc_free(enc);
	ig_grid_raster_free(gr);
	free(row);
	ig_raster_close(&rs);
	ig_buf_free(&json);
	ig_buf_free(&ascii);
	return rc;
}

/* A Universal VTT file: the gridded map with its pixels per cell, so a
 * tabletop imports it to scale. Its image is base64 streamed from the PNG
 * read at src; it goes beside dst, under a temporary name (t) the caller
 * commits. */
static int
write_uvtt(struct run *r, const struct settings *st, const char *src, const char *dst,
    struct ig_tmpfile *t, uint32_t w, uint32_t h, char *err, size_t errlen)
{
	const struct ig_grid *g = &st->g;
	size_t n = strlen(dst);
	char *path = ig_malloc(n + 2);
	unsigned char in[3 * 16384];
	struct ig_buf b = { 0 };
	FILE *f = NULL;
	int rc = -1;
	size_t got;

	snprintf(path, n + 2, "%.*s.uvtt", (int)(n - 4), dst);
	if (ig_tmpfile_open(t, &r->root, path, err, errlen) != 0) {
		r->system |= ig_errno_is_system(errno);
		goto out;
	}
	if (!(f = fopen(src, "rb"))) {
		snprintf(err, errlen, "%.300s: %s", src, strerror(errno));
		r->system = 1;
		goto out;
	}
	ig_buf_printf(&b, "{\"format\":0.3,\"resolution\":{\"map_origin\":{\"x\":0,\"y\":0},"
	    "\"map_size\":{\"x\":");
	ig_json_write_number(&b, (double)w / g->size);
	ig_buf_adds(&b, ",\"y\":");
	ig_json_write_number(&b, (double)h / g->size);
	ig_buf_printf(&b, "},\"pixels_per_grid\":%d},\"line_of_sight\":[],\"objects_line_of_sight\":[],"
	    "\"portals\":[],\"environment\":{\"baked_lighting\":true,\"ambient_light\":\"ffffffff\"},"
	    "\"lights\":[],\"image\":\"", g->size);
	do {
		got = fread(in, 1, sizeof in, f);
		ig_base64_encode(&b, in, got);
		if (got < sizeof in)
			ig_buf_adds(&b, "\"}\n");
		if (ig_write_all(t->fd, b.p, b.len) != 0) {
			snprintf(err, errlen, "%.300s: %s", t->tmp, strerror(errno));
			r->system = 1;
			goto out;
		}
		b.len = 0;
	} while (got == sizeof in);
	if (ferror(f)) {
		snprintf(err, errlen, "%.300s: %s", src, strerror(errno));
		r->system = 1;
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && t->fd >= 0)
		ig_tmpfile_abandon(t);
	if (f)
		fclose(f);
	ig_buf_free(&b);
	free(path);
	return rc;
}

/* the gridded PNG and its .uvtt, each whole, into place: the side file
 * first, so that no map is under its name while its sidecar could still
 * fail; a PNG that cannot follow takes the side file back out */
static int
commit_files(struct run *r, struct ig_tmpfile *png, struct ig_tmpfile *uvtt, char *err, size_t errlen)
{
	char *side = uvtt->fd >= 0 ? ig_strdup(uvtt->path) : NULL;
	int rc = 0;

	if (uvtt->fd >= 0 && ig_tmpfile_commit(uvtt, err, errlen) != 0)
		rc = -1;
	if (rc != 0 && png->fd >= 0)
		ig_tmpfile_abandon(png);
	else if (png->fd >= 0 && ig_tmpfile_commit(png, err, errlen) != 0) {
		rc = -1;
		if (side)
			unlink(side);
	}
	if (rc != 0)
		r->system = 1;
	free(side);
	return rc;
}

static void
grid_image(struct run *r, jv rec, const char *file, long lineno)
{
	const struct ig_grid_options *o = r->o;
	const char *id = ig_str(rec, "id"), *src = ig_str(rec, "path");
	char err[1024], gid[IG_UUID_TEXT], oid[IG_UUID_TEXT], name[IG_UUID_TEXT + 8];
	struct settings st;
	struct ig_facts f;
	struct ig_tmpfile png, uvtt;
	char *dst = NULL;
	uint32_t w = 0, h = 0;
	uint8_t u[16];
	jv img, ov, v;

	if (!id || ig_uuid_parse(id, u) != 0 || !src) {
		ig_err_at(file, lineno, "an images record to grid needs its id and path");
		r->rejected++;
		return;
	}
	if (settings_of(r, id, &st, err, sizeof err) != 0) {
		ig_err_at(file, lineno, "image %s: %s", id, err);
		r->rejected++;
		return;
	}
	if (!st.enabled)
		return;	/* the image passed on untouched */
	png.fd = uvtt.fd = -1;
	if (!(dst = gridded_path(r, src, err, sizeof err)) ||
	    !ig_image_place_ok(dst, ig_url_base(NULL), err, sizeof err) ||
	    render(r, &st, src, ig_str(rec, "sha256"), dst, &png, &w, &h, &f, err, sizeof err) != 0 ||
	    (o->uvtt && write_uvtt(r, &st, png.fd >= 0 ? png.tmp : dst, dst, &uvtt, w, h, err, sizeof err) != 0) ||
	    (!f.err[0] && !f.img.err[0] && commit_files(r, &png, &uvtt, err, sizeof err) != 0)) {
		ig_err_at(file, lineno, "image %s: %s", id, err);
		r->rejected++;
		if (png.fd >= 0)
			ig_tmpfile_abandon(&png);
		free(dst);
		return;
	}
	if (f.err[0] || f.img.err[0]) {
		ig_err_at(file, lineno, "image %s: %.300s: %s", id, dst, f.err[0] ? f.err : f.img.err);
		r->rejected++;
		if (png.fd >= 0)
			ig_tmpfile_abandon(&png);
		if (uvtt.fd >= 0)
			ig_tmpfile_abandon(&uvtt);
		free(dst);
		return;
	}
	/* the copy is on disk before any record names it */
	if (ig_path_syncfs(dst) != 0) {
		ig_err_at(file, lineno, "image %s: syncing %.300s: %s", id, dst, strerror(errno));
		r->rejected++;
		r->system = 1;
		free(dst);
		return;
	}
	if (o->uvtt && (st.g.offx % st.g.size || st.g.offy % st.g.size))
		ig_warn("%s:%ld: image %s: a .uvtt file cannot say the grid's offset", file, lineno, id);
	emit(r, JV_OBJECT(jv_string("collection"), jv_string("map_grids"), jv_string("id"), jv_string(st.grid_id),
	    jv_string("image_id"), jv_string(id), jv_string("enabled"), jv_true(),
	    jv_string("size"), jv_number(st.g.size), jv_string("color"), jv_string(st.color),
	    jv_string("opacity"), jv_number(st.g.line.opacity)));
	/* the gridded copy: the original's kind and story, its own facts */
	ig_uuid_v5_text(ig_ns_images, dst, strlen(dst), gid);
	img = jv_object_merge(JV_OBJECT(jv_string("collection"), jv_string("images"), jv_string("id"),
	    jv_string(gid)), ig_image_place(dst, ig_url_base(NULL)));
	img = jv_object_set(img, jv_string("format"), jv_string("png"));
	img = jv_object_set(img, jv_string("width"), jv_number(w));
	img = jv_object_set(img, jv_string("height"), jv_number(h));
	img = jv_object_set(img, jv_string("size"), jv_number((double)f.size));
	img = jv_object_set(img, jv_string("sha256"), jv_string(f.sha256));
	img = jv_object_set(img, jv_string("xxh128"), jv_string(f.xxh128));
	static const char *const kept[] = { "type", "subtype", "theme", "generation_params", "origin",
	    "generation_id" };
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
		if (jv_get_kind(v = ig_get(rec, kept[i])) != JV_KIND_INVALID)
			img = jv_object_set(img, jv_string(kept[i]), v);
	img = jv_object_set(img, jv_string("style_data"), JV_OBJECT(jv_string("grid"), style_of(&st)));
	img = jv_object_set(img, jv_string("source_id"), jv_string(id));
	img = jv_object_set(img, jv_string("source_type"), jv_string("images"));
	emit(r, img);
	snprintf(name, sizeof name, "%s:grid", id);
	ig_uuid_v5_text(ig_ns_overlays, name, strlen(name), oid);
	ov = JV_OBJECT(jv_string("collection"), jv_string("image_overlays"), jv_string("id"), jv_string(oid),
	    jv_string("image_id"), jv_string(id), jv_string("type"), jv_string("grid"),
	    jv_string("name"), jv_string("grid"));
	ov = jv_object_set(ov, jv_string("description"), jv_string(ig_grid_type_name(st.g.type, st.g.even)));
	v = geometry_of(&st.g, w, h);
	v = jv_object_set(v, jv_string("image_id"), jv_string(gid));
	v = jv_object_set(v, jv_string("path"), jv_string(dst));
	ov = jv_object_set(ov, jv_string("data"), v);
	ov = jv_object_set(ov, jv_string("style"), style_of(&st));
	emit(r, ov);
	free(dst);
}

static void
take_line(void *ctx, const char *file, long lineno, char *line, size_t n)
{
	struct run *r = ctx;
	char err[1024];
	jv v = ig_json_parse(line, n, err, sizeof err), del;
	const char *coll, *type, *image_id;

	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		ig_err_at(file, lineno, "%s", jv_is_valid(v) ? "not a JSON object" : err);
		r->rejected++;
		jv_free(v);
		return;
	}
	ig_put_line(line, n);
	ig_check_stdout();
	coll = ig_str(v, "collection");
	type = ig_str(v, "type");
	del = ig_get(v, "is_deleted");
	if (coll && strcmp(coll, "map_grids") == 0 && (image_id = ig_str(v, "image_id"))) {
		r->grids = jv_object_set(r->grids, jv_string(image_id), jv_copy(v));
	} else if (coll && strcmp(coll, "images") == 0 && (r->o->all || (type && strcmp(type, "map") == 0)) &&
	    jv_get_kind(del) != JV_KIND_TRUE) {
		grid_image(r, v, file, lineno);
		/* an image takes a while: what is done goes on at once */
		fflush(stdout);
		ig_check_stdout();
	}
	jv_free(del);
	jv_free(v);
}

int
ig_grid_run(const struct ig_grid_options *o, char **files, int nfiles)
{
	struct run r = { o, jv_object(), ig_hasher_new(), { 0 }, 0, 0, { -1, NULL } };
	int rc;

	if (o->out_dir && (rc = ig_root_open(&r.root, o->out_dir)) != 0) {
		ig_warn("%s: %s", o->out_dir, strerror(rc));
		return IG_EXIT_SYSTEM;
	}
	r.rejected += ig_lines_each(files, nfiles, take_line, &r);
	ig_root_close(&r.root);
	jv_free(r.grids);
	ig_hasher_free(r.hasher);
	ig_buf_free(&r.line);
	return r.system ? IG_EXIT_SYSTEM : r.rejected ? IG_EXIT_REJECT : IG_EXIT_OK;
}
