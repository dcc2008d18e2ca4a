/* genfile.c - a job's image written under the output root, with its provenance */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "engine.h"
#include "err.h"
#include "json.h"
#include "path.h"
#include "placeholder.h"
#include "url.h"

/* where a job's file goes: under the root, named absolutely */
char *
gen_out_path(const struct engine *e, const char *rel)
{
	size_t n = strlen(e->root.path) + strlen(rel) + 2;
	char *p = ig_malloc(n), *abs;

	snprintf(p, n, "%s/%s", e->root.path, rel);
	if (ig_path_absolute(p, &abs) != 0)
		ig_die(IG_EXIT_SYSTEM, "%s: %s", p, strerror(errno));
	free(p);
	return abs;
}

int
gen_job_paths_ok(const struct engine *e, const struct ig_job *j, char *err, size_t errlen)
{
	jv paths = JV_OBJECT(jv_string("output_path"), jv_string(j->output));
	int ok;

	if (j->placeholder)
		paths = jv_object_set(paths, jv_string("placeholder_path"), jv_string(j->placeholder));
	ok = !ig_model_check_some(e->jobs, paths, err, errlen);
	jv_free(paths);
	return ok;
}

int
gen_paths_ok(const struct engine *e, const struct ig_job *j, char *err, size_t errlen)
{
	const char *rels[] = { j->output, j->placeholder };
	int ok = 1;

	for (int i = 0; ok && i < 2; i++) {
		char *abs;

		if (!rels[i])
			continue;
		if (ig_path_leaves_root(rels[i])) {
			snprintf(err, errlen, "%s leaves the output root (absolute, or ..)",
			    i ? "placeholder_path" : "output_path");
			return 0;
		}
		abs = gen_out_path(e, rels[i]);
		ok = ig_image_place_ok(abs, e->o->url_base, err, errlen);
		free(abs);
	}
	return ok;
}

/* the whole file at once, atomically, beneath the output root (path.h) */
static int
write_atomically(const struct engine *e, const char *path, const void *p, size_t n,
    char *err, size_t errlen)
{
	struct ig_tmpfile t;

	if (ig_tmpfile_open(&t, &e->root, path, err, errlen) != 0)
		return -1;
	if (ig_write_all(t.fd, p, n) != 0) {
		int saved = errno;

		snprintf(err, errlen, "%.400s: %s", t.tmp, strerror(errno));
		ig_tmpfile_abandon(&t);
		errno = saved;
		return -1;
	}
	return ig_tmpfile_commit(&t, err, errlen);
}

static jv
now_text(void)
{
	char t[IG_TIME_TEXT];

	ig_time_format(ig_file_time_us(), t);
	return jv_string(t);
}

static void
written_begin(struct engine *e, struct ig_job *j, struct gen_image *img, struct written *w)
{
	w->path = gen_out_path(e, j->output);
	w->meta = ig_job_metadata(j, img->model, img->response_id, img->usage, img->cost, now_text());
	img->usage = jv_invalid();
	w->cost = img->cost;
	w->err[0] = '\0';
	w->transient = 0;
}

/* the image bytes with the provenance inside, written under the output root */
void
gen_write_image(struct engine *e, struct ig_job *j, struct ig_hasher *h, struct gen_image *img,
    struct written *w)
{
	struct ig_buf file = { 0 }, tail = { 0 };

	written_begin(e, j, img, w);
	if (ig_job_provenance(&file, &tail, j, img->p, img->n, img->n, img->mime, img->model, w->meta,
	    img->placeholder, w->err, sizeof w->err) != 0)
		goto out;	/* the answer's fault */
	if (tail.len)
		ig_buf_add(&file, tail.p, tail.len);
	if (write_atomically(e, w->path, file.p, file.len, w->err, sizeof w->err) != 0) {
		/* a full disk is the machine's; a link out of the root is the path's */
		w->transient = ig_errno_is_system(errno);
	} else {
		/* the facts of the bytes written, as ig-hash would read them */
		ig_hash_begin(h, &w->f);
		ig_hash_feed(h, &w->f, file.p, file.len);
		ig_hash_end(h, &w->f);
		if (w->f.img.err[0])
			snprintf(w->err, sizeof w->err, "%.200s: %.300s", w->path, w->f.img.err);
	}
out:
	ig_buf_free(&file);
	ig_buf_free(&tail);
}

/* A streamed image's base64 is read in pieces this size (whole groups of
 * four); its decoded head, where the header and the provenance go, is
 * at least STREAM_HEAD bytes unless the image is smaller. */
#define STREAM_PIECE (256u << 10)
#define STREAM_HEAD (128u << 10)

struct streamed {
	int fd;
	const char *name;		/* the file's, for messages */
	off_t at, end;
	unsigned char *piece;
	struct ig_base64_stream b64;
	struct ig_buf bytes;		/* decoded, not yet written */
	uint64_t decoded;
	int eof;
};

/* the next piece decoded onto sd->bytes: 0, or -1 with why in w */
static int
next_piece(struct streamed *sd, struct written *w)
{
	size_t want = sd->end - sd->at < (off_t)STREAM_PIECE ? (size_t)(sd->end - sd->at) : STREAM_PIECE;
	ssize_t n = ig_pread_full(sd->fd, sd->piece, want, sd->at);
	size_t before = sd->bytes.len;
	int rc;

	if (n < 0) {
		snprintf(w->err, sizeof w->err, "%.400s: %s", sd->name, strerror(errno));
		w->transient = 1;
		return -1;
	}
	sd->at += n;
	sd->eof = n == 0;
	rc = n ? ig_base64_stream(&sd->b64, &sd->bytes, (char *)sd->piece, (size_t)n) :
	    ig_base64_stream_end(&sd->b64, &sd->bytes);
	sd->decoded += sd->bytes.len - before;
	if (rc != 0)
		snprintf(w->err, sizeof w->err, "the answer's image is not base64");
	return rc;
}

/* out written and hashed; the machine's failure (errno) in w */
static int
put(struct ig_tmpfile *t, struct ig_hasher *h, struct written *w, const void *p, size_t n)
{
	if (ig_write_all(t->fd, p, n) != 0) {
		snprintf(w->err, sizeof w->err, "%.400s: %s", t->tmp, strerror(errno));
		w->transient = ig_errno_is_system(errno);
		return -1;
	}
	ig_hash_feed(h, &w->f, p, n);
	return 0;
}

/* what the bytes say they are, whatever the answer claimed; a WebP's
 * size, from its RIFF header, for its provenance */
static const char *
sniffed(const struct ig_buf *b, const char *claimed, uint64_t *total)
{
	const unsigned char *p = (const unsigned char *)b->p;

	*total = b->len;
	if (b->len >= 3 && p[0] == 0xff && p[1] == 0xd8)
		return "image/jpeg";
	if (b->len >= 8 && p[0] == 0x89)
		return "image/png";
	if (b->len >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0) {
		*total = ((uint64_t)p[4] | (uint64_t)p[5] << 8 | (uint64_t)p[6] << 16 | (uint64_t)p[7] << 24) + 8;
		return "image/webp";
	}
	return claimed;
}

void
gen_write_streamed(struct engine *e, struct ig_job *j, struct ig_hasher *h, struct ig_tmpfile *raw,
    struct gen_image *img, struct written *w)
{
	gen_write_spooled(e, j, h, raw->fd, raw->tmp, 0, INT64_MAX, img, w);
	ig_tmpfile_abandon(raw);
}

void
gen_write_spooled(struct engine *e, struct ig_job *j, struct ig_hasher *h, int fd, const char *name, off_t off,
    off_t len, struct gen_image *img, struct written *w)
{
	struct streamed sd = { .fd = fd, .name = name, .at = off, .end = len > INT64_MAX - off ? INT64_MAX : off + len,
	    .piece = ig_malloc(STREAM_PIECE) };
	struct ig_buf head = { 0 }, tail = { 0 };
	struct ig_tmpfile out;
	uint64_t total = 0;
	int rc = 0, opened = 0;

	written_begin(e, j, img, w);
	ig_hash_begin(h, &w->f);
	while (rc == 0 && !sd.eof && sd.bytes.len < STREAM_HEAD)
		rc = next_piece(&sd, w);
	if (rc == 0 && !sd.bytes.len) {
		snprintf(w->err, sizeof w->err, "no image in the answer");
		rc = -1;
	}
	if (rc == 0) {
		img->mime = sniffed(&sd.bytes, img->mime, &total);
		/* the answer's fault, if its image is none of these */
		rc = ig_job_provenance(&head, &tail, j, (unsigned char *)sd.bytes.p, sd.bytes.len, total, img->mime,
		    img->model, w->meta, img->placeholder, w->err, sizeof w->err);
	}
	if (rc == 0 && (rc = ig_tmpfile_open(&out, &e->root, w->path, w->err, sizeof w->err)) != 0)
		w->transient = ig_errno_is_system(errno);
	opened = rc == 0;
	/* the head with its provenance, then the rest as it is decoded */
	if (rc == 0)
		rc = put(&out, h, w, head.p, head.len);
	while (rc == 0 && !sd.eof) {
		sd.bytes.len = 0;
		if ((rc = next_piece(&sd, w)) == 0 && sd.bytes.len)
			rc = put(&out, h, w, sd.bytes.p, sd.bytes.len);
	}
	if (rc == 0 && strcmp(img->mime, "image/webp") == 0 && sd.decoded != total) {
		snprintf(w->err, sizeof w->err, "the answer's WebP is not as long as its header says");
		rc = -1;
	}
	if (rc == 0 && tail.len)
		rc = put(&out, h, w, tail.p, tail.len);
	if (opened && rc != 0)
		ig_tmpfile_abandon(&out);
	else if (opened && (rc = ig_tmpfile_commit(&out, w->err, sizeof w->err)) != 0)
		w->transient = ig_errno_is_system(errno);
	ig_hash_end(h, &w->f);
	if (rc == 0 && w->f.img.err[0])
		snprintf(w->err, sizeof w->err, "%.200s: %.300s", w->path, w->f.img.err);
	ig_base64_stream_free(&sd.b64);
	ig_buf_free(&sd.bytes);
	ig_buf_free(&head);
	ig_buf_free(&tail);
	free(sd.piece);
}

/* on the main thread: the job's records, or its failure */
void
gen_conclude_image(struct engine *e, struct ig_job *j, struct written *w, int origin_placeholder)
{
	if (w->err[0] && w->transient) {
		e->transient = 1;
		ig_err_at(j->file, j->lineno, "job %s: %s (it stays queued)", j->id, w->err);
		gen_give_back(e, j, w->err);
		jv_free(w->meta);
	} else if (w->err[0]) {
		gen_fail_job(e, j, w->err);
		jv_free(w->meta);
	} else {
		gen_record_done(e, j, w->path, w->meta, origin_placeholder, &w->f);
	}
	free(w->path);
}

static void
finish_placeholder(struct engine *e, struct ig_job *j, const unsigned char *p, size_t n)
{
	struct gen_image img = { .p = p, .n = n, .mime = "image/png", .model = "placeholder", .usage = jv_null(),
	    .cost = -1, .placeholder = 1 };
	struct written w;

	gen_write_image(e, j, e->hasher, &img, &w);
	gen_conclude_image(e, j, &w, 1);
}

/* A job whose file exists, names this job in its provenance and is a sound
 * image is done already, whatever its format: its records are made again
 * from the file and nothing is asked of the model. */
int
gen_resume(struct engine *e, struct ig_job *j)
{
	char *path = gen_out_path(e, j->output), *text = ig_job_file_metadata(path), needle[80];
	struct ig_facts f;
	jv meta = jv_invalid();
	int done = 0;

	snprintf(needle, sizeof needle, "\"generation_id\":\"%s\"", j->id);
	if (text && strstr(text, needle))
		meta = ig_json_parse(text, strlen(text), NULL, 0);
	/* a torn file, after a power cut, is no sound image: made again */
	if (jv_get_kind(meta) == JV_KIND_OBJECT && ig_hash_file(e->hasher, path, &f) == 0 && !f.img.err[0]) {
		const char *source = ig_str(meta, "source_placeholder"), *model = ig_str(meta, "model");

		snprintf(j->source_placeholder, sizeof j->source_placeholder, "%s", source ? source : "");
		gen_record_done(e, j, path, meta, model && strcmp(model, "placeholder") == 0, &f);
		done = 1;
	} else {
		jv_free(meta);
	}
	free(text);
	free(path);
	return done;
}

/* a string of the job's params, or NULL */
static const char *
param_str(const struct ig_job *j, const char *key)
{
	jv v = ig_get(j->params, key);
	/* the string lives as long as the job's params */
	const char *s = ig_kind(v) == JV_KIND_STRING ? jv_string_value(v) : NULL;

	jv_free(v);
	return s;
}

/* the job's stand-in image, saying what the job is: its elements (else its
 * prompt), size, theme and variation, batch and number */
static int
placeholder_of(const struct ig_job *j, struct ig_buf *png, char *err, size_t errlen)
{
	struct ig_placeholder_says says = { 0 };
	struct ig_buf subject = { 0 };
	jv elements = ig_get(j->params, "elements"), n = ig_get(j->params, "n");
	int rc;

	if (ig_kind(elements) == JV_KIND_ARRAY)
		jv_array_foreach(elements, i, el) {
			if (ig_kind(el) == JV_KIND_STRING)
				ig_buf_printf(&subject, "%s%s", subject.len ? ", " : "", jv_string_value(el));
			jv_free(el);
		}
	says.subject = subject.len ? ig_buf_str(&subject) : NULL;
	says.theme = param_str(j, "theme");
	says.variation = param_str(j, "variation");
	says.batch = param_str(j, "batch");
	says.n = ig_kind(n) == JV_KIND_NUMBER ? (long)jv_number_value(n) : 0;
	rc = ig_placeholder(png, j->prompt, j->seed, j->width, j->height, &says, err, errlen);
	ig_jv_free(elements);
	ig_jv_free(n);
	ig_buf_free(&subject);
	return rc;
}

void
gen_run_placeholder(struct engine *e, struct ig_job *j)
{
	struct ig_buf png = { 0 };
	char err[256];

	if (placeholder_of(j, &png, err, sizeof err) != 0)
		gen_fail_job(e, j, err);
	else
		finish_placeholder(e, j, (unsigned char *)png.p, png.len);
	ig_buf_free(&png);
}

/* --placeholders: the stand-in images that placeholder_path names; the
 * job stays queued, for the model to replace the stand-in */
void
gen_make_placeholder(struct engine *e, struct ig_job *j)
{
	struct ig_buf png = { 0 };
	char err[512], *path;
	struct ig_facts f;

	/* its paths were checked before it started (gen_paths_ok) */
	if (!j->placeholder) {
		gen_emit(e, jv_copy(j->rec));
		gen_finish(e, j);
		return;
	}
	path = gen_out_path(e, j->placeholder);
	if (access(path, F_OK) != 0 &&
	    (placeholder_of(j, &png, err, sizeof err) != 0 ||
	    write_atomically(e, path, png.p, png.len, err, sizeof err) != 0)) {
		ig_err_at(j->file, j->lineno, "job %s: %s", j->id, err);
		e->refused++;
	} else if (ig_hash_file(e->hasher, path, &f) == 0 && !f.img.err[0]) {
		gen_hold(j, ig_job_image(j, path, NULL, &f, "placeholder", e->o->url_base));
	}
	gen_hold(j, jv_copy(j->rec));
	ig_buf_free(&png);
	free(path);
	gen_durable_add(e, j);
}

/* the output root, made and opened: files are named under it absolutely */
void
gen_open_root(struct engine *e)
{
	int rc;

	if ((rc = ig_root_open(&e->root, e->o->out_dir)) != 0)
		ig_die(IG_EXIT_SYSTEM, "%s: %s", e->o->out_dir, strerror(rc));
}
