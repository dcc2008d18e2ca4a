/* ig-sheet - contact sheets and a static gallery of the images in a stream */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gallery.h"
#include "json.h"
#include "lines.h"
#include "sheet.h"
#include "story.h"

const char *ig_prog = "ig-sheet";

#define LABEL_FIELDS_MAX 8

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: ig-sheet [--png file] [--html dir] [--columns n] [--thumb px]\n"
	    "                [--label fields] [--per-page n] [--title text] [-s store] [file ...]\n");
	exit(code);
}

struct run {
	struct ig_store store;
	int have_store;
	struct ig_sheet *sheet;
	struct ig_gallery *gallery;
	char *fields[LABEL_FIELDS_MAX];
	int nfields;
	long refused;
};

/* the image's label: a line a field, those it has */
static void
label_of(const struct run *r, jv story, struct ig_buf *out)
{
	out->len = 0;
	for (int i = 0; i < r->nfields; i++) {
		jv v = ig_story_field(story, r->fields[i]);

		if (ig_kind(v) == JV_KIND_STRING)
			ig_buf_printf(out, "%s%s", out->len ? "\n" : "", jv_string_value(v));
		ig_jv_free(v);
	}
	ig_buf_addc(out, '\0');
}

static void
take(void *ctx, const char *name, long lineno, char *line, size_t n)
{
	struct run *r = ctx;
	char err[512];
	jv rec, coll, path, story;
	MDB_txn *txn = NULL;
	int rc;

	ig_put_line(line, n);
	rec = ig_json_parse(line, n, err, sizeof err);
	coll = ig_get(rec, "collection");
	path = ig_get(rec, "path");
	if (ig_kind(coll) != JV_KIND_STRING || strcmp(jv_string_value(coll), "images") != 0) {
		ig_jv_free(rec);
		goto out;
	}
	if (ig_kind(path) != JV_KIND_STRING) {
		ig_err_at(name, lineno, "an images record without a path");
		r->refused++;
		ig_jv_free(rec);
		goto out;
	}
	if (r->have_store && (rc = ig_store_begin(&r->store, 1, &txn)))
		ig_die(IG_EXIT_SYSTEM, "store %s: %s", r->store.path, ig_store_strerror(&r->store, rc));
	rc = ig_story(r->have_store ? &r->store : NULL, txn, rec, &story);
	if (txn)
		mdb_txn_abort(txn);
	if (rc)
		ig_die(IG_EXIT_SYSTEM, "store %s: %s", r->store.path, ig_store_strerror(&r->store, rc));
	if (r->sheet) {
		struct ig_buf label = { 0 };

		label_of(r, story, &label);
		ig_sheet_add(r->sheet, jv_string_value(path), label.p, name, lineno);
		ig_buf_free(&label);
	}
	if (r->gallery)
		ig_gallery_add(r->gallery, jv_copy(story), name, lineno);
	jv_free(story);
out:
	ig_jv_free(coll);
	ig_jv_free(path);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "png", required_argument, NULL, 'p' },
		{ "html", required_argument, NULL, 'H' },
		{ "columns", required_argument, NULL, 'c' },
		{ "thumb", required_argument, NULL, 't' },
		{ "label", required_argument, NULL, 'l' },
		{ "per-page", required_argument, NULL, 'P' },
		{ "title", required_argument, NULL, 'T' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ig_sheet_opts so = { NULL, 6, 256, 0, 0 };
	const char *html = NULL, *store_opt = NULL, *title = "ig gallery";
	char *labels = NULL, err[512], *stdin_only[] = { "-" };
	struct run r = { 0 };
	long unreadable = 0, bad;
	int c, failed = 0;

	while ((c = getopt_long(argc, argv, "hs:", longopts, NULL)) != -1)
		switch (c) {
		case 'p': so.path = optarg; break;
		case 'H': html = optarg; break;
		case 'c': so.columns = (int)ig_opt_number("--columns", optarg, 1, 1000, 1); break;
		case 't': so.thumb = (uint32_t)ig_opt_number("--thumb", optarg, 16, 4096, 1); break;
		case 'l': labels = optarg; break;
		case 'P': so.per_page = (long)ig_opt_number("--per-page", optarg, 1, 1000000, 1); break;
		case 'T': title = optarg; break;
		case 's': store_opt = optarg; break;
		case 'h': usage(0); break;
		default: usage(IG_EXIT_USAGE);
		}
	if (!so.path && !html)
		ig_die(IG_EXIT_USAGE, "nothing to make: --png FILE, --html DIR, or both");
	labels = ig_strdup(labels ? labels : "name,size,seed,theme");
	for (char *tok = strtok(labels, ","); tok && r.nfields < LABEL_FIELDS_MAX; tok = strtok(NULL, ","))
		if (*tok)
			r.fields[r.nfields++] = tok;
	so.label_lines = r.nfields;
	r.have_store = ig_store_open_optional(&r.store, store_opt);
	if (so.path)
		r.sheet = ig_sheet_new(&so);
	if (html && !(r.gallery = ig_gallery_open(html, so.thumb, title, err, sizeof err)))
		ig_die(IG_EXIT_SYSTEM, "%s", err);
	r.refused += ig_lines_each(optind < argc ? argv + optind : stdin_only, optind < argc ? argc - optind : 1,
	    take, &r);
	ig_check_stdout();
	if (r.sheet && ig_sheet_write(r.sheet, &bad, err, sizeof err) != 0) {
		ig_warn("%s", err);
		failed = 1;
	}
	unreadable += r.sheet ? bad : 0;
	if (r.gallery && ig_gallery_close(r.gallery, &bad, err, sizeof err) != 0) {
		ig_warn("%s", err);
		failed = 1;
	}
	/* an image both could not read is one image */
	if (r.gallery && !r.sheet)
		unreadable += bad;
	ig_sheet_free(r.sheet);
	if (r.have_store)
		ig_store_close(&r.store);
	free(labels);
	ig_close_stdout();
	return failed ? IG_EXIT_SYSTEM : r.refused || unreadable ? IG_EXIT_REJECT : IG_EXIT_OK;
}
