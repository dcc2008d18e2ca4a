/* ig-hash - content hashes and image facts for files */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hash.h"
#include "json.h"
#include "lines.h"
#include "pool.h"
#include "store.h"
#include "path.h"
#include "url.h"
#include "uuid.h"

const char *ig_prog = "ig-hash";

enum kind { PASS, PATH, RECORD, NOT_UTF8 };

struct job {
	enum kind kind;
	const char *where;	/* file name, or the store */
	long lineno;		/* or 0, with the record's id in where_id */
	char where_id[IG_UUID_TEXT];
	char *line;		/* the input as it came */
	jv obj;			/* a record line, parsed */
	char *path;
	int rc;
	struct ig_facts facts;
};

static int check;
static const char *url_base;	/* ROOT=URL, for the url of what is under ROOT */
static long rejected, checked;
static struct ig_hasher **hashers;
static struct ig_buf out;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: ig-hash [-j jobs] [--url-base root=url] [file ...]\n"
	    "       ig-hash --check [-j jobs] [file ...]\n"
	    "       ig-hash --check --stored [-s store] [-j jobs]\n");
	exit(code);
}

static void
work(void *ctx, void *item, int worker)
{
	struct job *j = item;

	(void)ctx;
	j->rc = ig_hash_file(hashers[worker], j->path, &j->facts);
}

static void __attribute__((format(printf, 2, 3)))
problem(struct job *j, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* a path line is named as the user wrote it */
	if (j->lineno)
		ig_err_at(j->where, j->lineno, "%s: %s", j->kind == PATH ? j->line : j->path, msg);
	else
		ig_warn("%s:%s: %s: %s", j->where, j->where_id, j->path, msg);
	rejected++;
}

/* 1 if the input records field and the file now has something else */
static int
differs(struct job *j, const char *field, const char *now)
{
	jv v = ig_get(j->obj, field);
	int r = jv_get_kind(v) == JV_KIND_STRING && strcmp(jv_string_value(v), now) != 0;

	jv_free(v);
	return r;
}

static void
check_done(struct job *j)
{
	jv sha = ig_get(j->obj, "sha256");

	checked++;
	if (j->rc != 0)
		problem(j, "%s", j->facts.err);
	else if (differs(j, "sha256", j->facts.sha256) || differs(j, "xxh128", j->facts.xxh128))
		problem(j, "content changed: sha256 recorded %s, the file has %s",
		    jv_get_kind(sha) == JV_KIND_STRING ? jv_string_value(sha) : "-", j->facts.sha256);
	jv_free(sha);
}

static jv
with_facts(struct job *j)
{
	const struct ig_facts *f = &j->facts;
	int image = !f->img.err[0];
	jv o;

	if (j->kind == RECORD) {
		o = j->obj;
		j->obj = jv_invalid();
		if (image && !ig_has(o, "collection")) {
			/* "collection" first, as every record prints */
			jv rec = JV_OBJECT(jv_string("collection"), jv_string("images"));

			jv_object_foreach(o, k, v)
				rec = jv_object_set(rec, k, v);
			jv_free(o);
			o = rec;
		}
	} else {
		o = image ? JV_OBJECT(jv_string("collection"), jv_string("images")) : jv_object();
		o = jv_object_set(o, jv_string("path"), jv_string(j->path));
	}
	if (j->kind == RECORD && !check)
		o = jv_object_set(o, jv_string("path"), jv_string(j->path));
	if (image && !check && !ig_has(o, "url")) {
		struct ig_buf url = { 0 };

		if (ig_url_under(&url, url_base, j->path))
			o = jv_object_set(o, jv_string("url"), jv_string(ig_buf_str(&url)));
		ig_buf_free(&url);
	}
	if (image && !ig_has(o, "id")) {
		char text[IG_UUID_TEXT];

		ig_uuid_v5_text(ig_ns_images, j->path, strlen(j->path), text);
		o = jv_object_set(o, jv_string("id"), jv_string(text));
	}
	o = jv_object_set(o, jv_string("format"), jv_string(f->img.format));
	if (image) {
		o = jv_object_set(o, jv_string("width"), jv_number(f->img.width));
		o = jv_object_set(o, jv_string("height"), jv_number(f->img.height));
	} else {
		o = jv_object_delete(o, jv_string("width"));
		o = jv_object_delete(o, jv_string("height"));
	}
	o = jv_object_set(o, jv_string("size"), jv_number((double)f->size));
	o = jv_object_set(o, jv_string("sha256"), jv_string(f->sha256));
	o = jv_object_set(o, jv_string("xxh128"), jv_string(f->xxh128));
	return o;
}

static void
done(void *ctx, void *item)
{
	struct job *j = item;

	(void)ctx;
	if (j->kind == PASS) {
		ig_put_line(j->line, strlen(j->line));
	} else if (j->kind == NOT_UTF8) {
		/* refused, never replaced: no record could name the file */
		ig_err_at(j->where, j->lineno, "a path that is not valid UTF-8");
		rejected++;
	} else if (check) {
		check_done(j);
		if (j->line)
			ig_put_line(j->line, strlen(j->line));
	} else if (j->rc != 0) {
		problem(j, "%s", j->facts.err);
		/* a record whose file is gone still goes on; a bare path ends here */
		if (j->kind == RECORD)
			ig_put_line(j->line, strlen(j->line));
	} else {
		jv o = with_facts(j);

		if (j->facts.img.err[0])
			problem(j, "%s", j->facts.img.err);
		ig_json_put_line(&out, o);
	}
	ig_check_stdout();
	jv_free(j->obj);
	free(j->line);
	free(j->path);
	free(j);
}

/* a path named absolutely, as the store keeps it and names the image by */
static char *
absolute(const char *path)
{
	char *abs;

	return *path && ig_path_absolute(path, &abs) == 0 ? abs : ig_strdup(path);
}

static struct job *
job_from_line(const char *where, long lineno, const char *line, size_t len)
{
	struct job *j = ig_malloc(sizeof *j);
	jv path;

	memset(j, 0, sizeof *j);
	j->where = where;
	j->lineno = lineno;
	j->line = memcpy(ig_malloc(len + 1), line, len);
	j->line[len] = '\0';
	j->obj = ig_json_parse(j->line, len, NULL, 0);
	if (jv_get_kind(j->obj) != JV_KIND_OBJECT) {
		/* not a JSON object: the line is a path */
		jv_free(j->obj);
		j->obj = jv_invalid();
		j->kind = check ? PASS : ig_utf8_valid(line, len) ? PATH : NOT_UTF8;
		j->path = absolute(line);
		return j;
	}
	path = ig_get(j->obj, "path");
	j->kind = PASS;
	if (jv_get_kind(path) == JV_KIND_STRING) {
		jv coll = ig_get(j->obj, "collection");

		if ((!jv_is_valid(coll) || (jv_get_kind(coll) == JV_KIND_STRING &&
		    strcmp(jv_string_value(coll), "images") == 0)) &&
		    (!check || ig_has(j->obj, "sha256"))) {
			j->kind = RECORD;
			/* a check reads the path it was given; a new record is named absolutely */
			j->path = check ? ig_strdup(jv_string_value(path)) : absolute(jv_string_value(path));
		}
		jv_free(coll);
	}
	jv_free(path);
	return j;
}

static void
hash_line(void *ctx, const char *name, long lineno, char *line, size_t n)
{
	struct job *j = job_from_line(name, lineno, line, n);

	ig_pool_submit(ctx, j, j->kind != PASS && j->kind != NOT_UTF8);
}

/* the stored images, a few hundred at a time so no read stays open long */
static void
check_stored(struct ig_pool *pool, const char *dir)
{
	struct ig_store s;
	char err[512];
	uint8_t last[16];
	int have_last = 0, more = 1, rc;
	int images;

	if (ig_store_open(&s, dir, 1, err, sizeof err))
		ig_die(IG_EXIT_SYSTEM, "%s", err);
	images = ig_model_find(s.m, "images")->index;
	while (more && s.opened) {
		MDB_txn *txn;
		MDB_cursor *cur;
		MDB_val k = { 16, last }, v;
		int count = 0;

		if ((rc = ig_store_begin(&s, 1, &txn)) ||
		    (rc = mdb_cursor_open(txn, s.colls[images], &cur)))
			ig_die(IG_EXIT_SYSTEM, "store %s: %s", dir, mdb_strerror(rc));
		rc = have_last ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) :
		    mdb_cursor_get(cur, &k, &v, MDB_FIRST);
		if (rc == 0 && have_last && memcmp(k.mv_data, last, 16) == 0)
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		for (; rc == 0 && count < 256; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), count++) {
			struct job *j;

			memcpy(last, k.mv_data, 16);
			have_last = 1;
			if (ig_stored_deleted(&v))
				continue;
			j = job_from_line(dir, 0, v.mv_data, v.mv_size);
			ig_uuid_format(last, j->where_id);
			/* the store is checked, not printed */
			free(j->line);
			j->line = NULL;
			ig_pool_submit(pool, j, j->kind != PASS && j->kind != NOT_UTF8);
		}
		if (rc && rc != MDB_NOTFOUND)
			ig_die(IG_EXIT_SYSTEM, "store %s: %s", dir, mdb_strerror(rc));
		more = rc == 0;
		mdb_cursor_close(cur);
		mdb_txn_abort(txn);
	}
	ig_store_close(&s);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "stored", no_argument, NULL, 'S' },
		{ "store", required_argument, NULL, 's' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "url-base", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *store_opt = NULL;
	int jobs = 1, stored = 0, c;
	struct ig_pool *pool;
	char *end;

	url_base = ig_url_base(NULL);
	while ((c = getopt_long(argc, argv, "j:s:h", longopts, NULL)) != -1)
		switch (c) {
		case 'c': check = 1; break;
		case 'S': stored = 1; break;
		case 's': store_opt = optarg; break;
		case 'u': url_base = optarg; break;
		case 'j':
			jobs = (int)strtol(optarg, &end, 10);
			if (*end || jobs < 1 || jobs > 256)
				ig_die(IG_EXIT_USAGE, "-j takes a number from 1 to 256");
			break;
		case 'h': usage(0); break;
		default: usage(IG_EXIT_USAGE);
		}
	if ((stored && (!check || optind < argc)) || (store_opt && !stored))
		usage(IG_EXIT_USAGE);
	signal(SIGPIPE, SIG_IGN);
	hashers = ig_malloc((size_t)jobs * sizeof *hashers);
	for (int i = 0; i < jobs; i++)
		hashers[i] = ig_hasher_new();
	pool = ig_pool_new(jobs, 0, work, done, NULL);
	if (stored)
		check_stored(pool, ig_store_default(store_opt));
	else
		rejected += ig_lines_each(argv + optind, argc - optind, hash_line, pool);
	ig_pool_free(pool);
	if (stored)
		printf("{\"checked\":%ld,\"failed\":%ld}\n", checked, rejected);
	for (int i = 0; i < jobs; i++)
		ig_hasher_free(hashers[i]);
	free(hashers);
	ig_buf_free(&out);
	ig_close_stdout();
	return rejected ? IG_EXIT_REJECT : IG_EXIT_OK;
}
