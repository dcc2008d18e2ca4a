/* gen.c - the generation engine: jobs, transfers, retries, files, records */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "backend.h"
#include "clock.h"
#include "err.h"
#include "gen.h"
#include "hash.h"
#include "json.h"
#include "lines.h"
#include "path.h"
#include "placeholder.h"
#include "pool.h"
#include "pngw.h"
#include "uuid.h"

#define MAX_ANSWER (256u << 20)	/* an answer larger than this is refused */
#define PROVENANCE_KEY "ig_metadata"

/* IPTC's label for how an image was made, in an XMP packet (iTXt, since its
 * header carries a byte-order mark): trained models, or plain algorithms */
static const char xmp_format[] =
    "<?xpacket begin=\"\xef\xbb\xbf\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>"
    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
    "<rdf:Description rdf:about=\"\" xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\">"
    "<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/%s</Iptc4xmpExt:DigitalSourceType>"
    "</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>";

struct job {
	jv rec;			/* the job as it came */
	const char *file;
	long lineno;
	char id[IG_UUID_TEXT];
	char meta_id[IG_UUID_TEXT];	/* made on the main thread: uuid5 is not thread-safe */
	jv params;
	const char *prompt, *output, *placeholder, *model;
	long long seed;
	int has_seed;
	uint32_t width, height;
	char size[32];
	double priority;
	int attempts;
	double not_before;	/* monotonic seconds */
	char last_error[512];
	int64_t last_attempt_us;
	CURL *easy;
	struct curl_slist *headers;
	struct ig_buf request, answer;
	double header_wait;
	char source_placeholder[4096];
};

struct engine {
	const struct ig_gen_options *o;
	struct ig_pool *pool;		/* answers are decoded, written, hashed here */
	struct ig_hasher **hashers;	/* one per pool thread */
	int threads, finishing;		/* answers in the pool */
	struct job **window;	/* read ahead, waiting to start */
	int nwindow, cap;
	int inflight;
	CURLM *multi;
	struct ig_hasher *hasher;
	double last_start;
	long done, failed, total, refused;
	int quota;
	double t0;
	struct ig_buf line;
};

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
emit(struct engine *e, jv v)
{
	ig_json_put_line(&e->line, v);
}

static void
progress(struct engine *e)
{
	double t = mono() - e->t0;

	if (!e->o->progress)
		return;
	fprintf(stderr, "\rig-gen: %ld done, %ld failed, %d running, %d waiting, %.1f jobs/s ",
	    e->done, e->failed, e->inflight, e->nwindow, t > 0 ? e->done / t : 0.0);
}

static struct job *
job_new(jv rec, const char *file, long lineno)
{
	struct job *j = ig_malloc(sizeof *j);
	jv v;
	unsigned w = 1024, h = 1024;

	memset(j, 0, sizeof *j);
	j->rec = rec;
	j->file = file;
	j->lineno = lineno;
	snprintf(j->id, sizeof j->id, "%s", ig_str(rec, "id") ? ig_str(rec, "id") : "");
	ig_uuid_v5_text(ig_ns_metadata, j->id, strlen(j->id), j->meta_id);
	j->params = ig_get(rec, "params");
	if (jv_get_kind(j->params) != JV_KIND_OBJECT) {
		jv_free(j->params);
		j->params = jv_object();
	}
	j->prompt = ig_str(rec, "prompt");
	j->output = ig_str(rec, "output_path");
	j->placeholder = ig_str(rec, "placeholder_path");
	j->model = ig_str(j->params, "model") ? ig_str(j->params, "model") : "gemini-2.5-flash-image";
	v = ig_get(j->params, "seed");
	if ((j->has_seed = jv_get_kind(v) == JV_KIND_NUMBER))
		j->seed = (long long)jv_number_value(v);
	jv_free(v);
	if (ig_str(j->params, "size"))
		sscanf(ig_str(j->params, "size"), "%ux%u", &w, &h);
	j->width = w >= 1 && w <= 16384 ? w : 1024;
	j->height = h >= 1 && h <= 16384 ? h : 1024;
	snprintf(j->size, sizeof j->size, "%ux%u", j->width, j->height);
	v = ig_get(j->params, "priority");
	j->priority = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : 0;
	jv_free(v);
	return j;
}

static void
job_free(struct job *j)
{
	jv_free(j->rec);
	jv_free(j->params);
	ig_buf_free(&j->request);
	ig_buf_free(&j->answer);
	curl_slist_free_all(j->headers);
	if (j->easy)
		curl_easy_cleanup(j->easy);
	free(j);
}

/* the whole file at once, atomically (path.h) */
static int
write_atomically(const char *path, const void *p, size_t n, char *err, size_t errlen)
{
	char tmp[IG_TMP_PATH];
	int fd = ig_tmpfile_open(path, tmp, sizeof tmp, err, errlen);

	if (fd < 0)
		return -1;
	if (ig_write_all(fd, p, n) != 0) {
		snprintf(err, errlen, "%.400s: %s", tmp, strerror(errno));
		ig_tmpfile_abandon(fd, tmp);
		return -1;
	}
	return ig_tmpfile_commit(fd, tmp, path, err, errlen);
}

static char *
out_path(const struct engine *e, const char *rel)
{
	size_t n = strlen(e->o->out_dir) + strlen(rel) + 2;
	char *p = ig_malloc(n);

	if (strcmp(e->o->out_dir, ".") == 0)
		snprintf(p, n, "%s", rel);
	else
		snprintf(p, n, "%s/%s", e->o->out_dir, rel);
	return p;
}

static jv
stamp_now(void)
{
	char t[IG_TIME_TEXT];

	ig_time_format(ig_now_us(), t);
	return jv_string(t);
}

static jv
job_with_status(struct job *j, const char *status)
{
	jv r = jv_object_set(jv_copy(j->rec), jv_string("status"), jv_string(status));

	if (strcmp(status, "done") == 0 || strcmp(status, "error") == 0)
		r = jv_object_set(r, jv_string("finished_at"), stamp_now());
	return r;
}

static void
emit_task(struct engine *e, struct job *j, const char *status, jv result)
{
	char id[IG_UUID_TEXT], at[IG_TIME_TEXT];
	jv t;

	ig_uuid_v5_text(ig_ns_tasks, j->id, strlen(j->id), id);
	t = JV_OBJECT(jv_string("collection"), jv_string("generation_tasks"), jv_string("id"), jv_string(id));
	t = jv_object_set(t, jv_string("type"), jv_string("generate_image"));
	t = jv_object_set(t, jv_string("status"), jv_string(status));
	t = jv_object_set(t, jv_string("priority"), jv_number(j->priority));
	t = jv_object_set(t, jv_string("params"), JV_OBJECT(jv_string("generation_id"), jv_string(j->id),
	    jv_string("backend"), jv_string(e->o->backend == IG_GEMINI ? "gemini" :
	    e->o->backend == IG_OPENAI ? "openai" : "placeholder"), jv_string("model"), jv_string(j->model)));
	t = jv_object_set(t, jv_string("result"), result);
	t = jv_object_set(t, jv_string("attempts"), jv_number(j->attempts));
	t = jv_object_set(t, jv_string("last_error"), j->last_error[0] ? jv_string(j->last_error) : jv_null());
	if (j->last_attempt_us) {
		ig_time_format(j->last_attempt_us, at);
		t = jv_object_set(t, jv_string("last_attempt"), jv_string(at));
	}
	t = jv_object_set(t, jv_string("retry_count"), jv_number(j->attempts > 1 ? j->attempts - 1 : 0));
	t = jv_object_set(t, jv_string("max_retries"), jv_number(e->o->max_retries));
	t = jv_object_set(t, jv_string("retry_delay"), jv_number(ceil(e->o->retry_delay)));
	t = jv_object_set(t, jv_string("generation_id"), jv_string(j->id));
	emit(e, t);
}

static void
fail_job(struct engine *e, struct job *j, const char *reason)
{
	snprintf(j->last_error, sizeof j->last_error, "%s", reason);
	ig_err_at(j->file, j->lineno, "job %s: %s", j->id, reason);
	emit(e, job_with_status(j, "error"));
	emit_task(e, j, "error", jv_null());
	e->failed++;
}

/* the metadata record, without sha256 when it goes inside the file */
static jv
metadata_record(struct job *j, const char *model, const char *response_id, jv timestamp)
{
	jv m = JV_OBJECT(jv_string("collection"), jv_string("metadata"), jv_string("id"), jv_string(j->meta_id),
	    jv_string("generation_id"), jv_string(j->id), jv_string("prompt"), jv_string(j->prompt));
	m = jv_object_set(m, jv_string("model"), jv_string(model));
	m = jv_object_set(m, jv_string("seed"), j->has_seed ? jv_number((double)j->seed) : jv_null());
	m = jv_object_set(m, jv_string("params"), jv_copy(j->params));
	m = jv_object_set(m, jv_string("timestamp"), timestamp);
	m = jv_object_set(m, jv_string("gemini_response_id"),
	    response_id && *response_id ? jv_string(response_id) : jv_null());
	m = jv_object_set(m, jv_string("source_placeholder"),
	    j->source_placeholder[0] ? jv_string(j->source_placeholder) : jv_null());
	return m;
}

/* AUTOMATIC1111's infotext: the prompt, then key: value pairs (three or
 * more, so PNG-info readers take the line as parameters) */
static void
infotext(struct ig_buf *b, struct job *j, const char *model)
{
	ig_buf_adds(b, j->prompt);
	ig_buf_adds(b, "\n");
	if (j->has_seed) {
		ig_buf_adds(b, "Seed: ");
		ig_buf_add_int(b, j->seed);
		ig_buf_adds(b, ", ");
	}
	ig_buf_printf(b, "Size: %s, Model: ", j->size);
	if (strpbrk(model, ",:\n"))
		ig_json_write_string(b, model, strlen(model));
	else
		ig_buf_adds(b, model);
	ig_buf_adds(b, ", Version: ig");
}

/* the images record of a file a job made */
static jv
image_record(struct engine *e, struct job *j, const char *path, const struct ig_facts *f,
    const char *origin)
{
	char img_id[IG_UUID_TEXT];
	const char *type = ig_str(j->params, "type"), *subtype = ig_str(j->params, "subtype");
	const char *theme = ig_str(j->params, "theme");
	jv img, src = jv_null();

	ig_uuid_v5_text(ig_ns_images, path, strlen(path), img_id);
	img = JV_OBJECT(jv_string("collection"), jv_string("images"), jv_string("id"), jv_string(img_id),
	    jv_string("path"), jv_string(path), jv_string("format"), jv_string(f->img.format));
	img = jv_object_set(img, jv_string("width"), jv_number(f->img.width));
	img = jv_object_set(img, jv_string("height"), jv_number(f->img.height));
	img = jv_object_set(img, jv_string("size"), jv_number((double)f->size));
	img = jv_object_set(img, jv_string("sha256"), jv_string(f->sha256));
	img = jv_object_set(img, jv_string("xxh128"), jv_string(f->xxh128));
	/* what the plan said, else the model's defaults */
	img = jv_object_set(img, jv_string("type"), type ? jv_string(type) : ig_model_default("images", "type"));
	img = jv_object_set(img, jv_string("subtype"),
	    subtype ? jv_string(subtype) : ig_model_default("images", "subtype"));
	img = jv_object_set(img, jv_string("theme"), theme ? jv_string(theme) : ig_model_default("images", "theme"));
	img = jv_object_set(img, jv_string("generation_params"), jv_copy(j->params));
	img = jv_object_set(img, jv_string("origin"), jv_string(origin));
	img = jv_object_set(img, jv_string("generation_id"), jv_string(j->id));
	if (strcmp(origin, "generated") == 0 && j->source_placeholder[0]) {
		char *pp = out_path(e, j->source_placeholder), src_id[IG_UUID_TEXT];

		ig_uuid_v5_text(ig_ns_images, pp, strlen(pp), src_id);
		src = jv_string(src_id);
		img = jv_object_set(img, jv_string("source_type"), jv_string("images"));
		free(pp);
	}
	return jv_object_set(img, jv_string("source_id"), src);
}

/* the file is written and its facts are known: every record of the job */
static void
record_done(struct engine *e, struct job *j, const char *path, jv meta, int origin_placeholder,
    const struct ig_facts *f)
{
	emit(e, job_with_status(j, "done"));
	meta = jv_object_set(meta, jv_string("sha256"), jv_string(f->sha256));
	emit(e, meta);
	emit(e, image_record(e, j, path, f, origin_placeholder ? "placeholder" : "generated"));
	emit_task(e, j, "done", JV_OBJECT(jv_string("path"), jv_string(path), jv_string("sha256"), jv_string(f->sha256)));
	e->done++;
}

/* a job's image, written and read back: what a pool thread does with an
 * answer, so nothing here prints or makes an id */
struct written {
	jv meta;		/* the metadata record, without sha256 */
	char *path;
	struct ig_facts f;
	char err[512];		/* why it failed, or empty */
};

/* the image bytes with the provenance inside, written under the output root */
static void
write_image(struct engine *e, struct job *j, struct ig_hasher *h, const unsigned char *p, size_t n,
    const char *mime, const char *model, const char *response_id, int origin_placeholder,
    struct written *w)
{
	struct ig_buf meta_json = { 0 }, ascii = { 0 }, info = { 0 }, file = { 0 };
	struct ig_text texts[3];
	char xmp[1024];
	int rc;

	w->path = out_path(e, j->output);
	w->meta = metadata_record(j, model, response_id, stamp_now());
	w->err[0] = '\0';
	ig_json_write(&meta_json, w->meta);
	ig_json_ascii(&ascii, meta_json.p, meta_json.len);
	infotext(&info, j, model);
	texts[0] = (struct ig_text){ "parameters", ig_buf_str(&info) };
	texts[1] = (struct ig_text){ PROVENANCE_KEY, ig_buf_str(&ascii) };
	snprintf(xmp, sizeof xmp, xmp_format, origin_placeholder ? "algorithmicMedia" : "trainedAlgorithmicMedia");
	texts[2] = (struct ig_text){ "XML:com.adobe.xmp", xmp };
	if (strstr(mime, "jpeg"))
		rc = ig_jpeg_add_comment(&file, p, n, texts[0].text);
	else
		rc = ig_png_add_text(&file, p, n, texts, 3);
	if (rc != 0)
		snprintf(w->err, sizeof w->err, "%s", strstr(mime, "jpeg") ? "the answer's JPEG is not a JPEG" :
		    "the answer's image is not a PNG");
	else if (write_atomically(w->path, file.p, file.len, w->err, sizeof w->err) == 0) {
		/* the facts of the bytes written, as ig-hash would read them */
		ig_hash_begin(h, &w->f);
		ig_hash_feed(h, &w->f, file.p, file.len);
		ig_hash_end(h, &w->f);
		if (w->f.img.err[0])
			snprintf(w->err, sizeof w->err, "%.200s: %.300s", w->path, w->f.img.err);
	}
	ig_buf_free(&meta_json);
	ig_buf_free(&ascii);
	ig_buf_free(&info);
	ig_buf_free(&file);
}

/* on the main thread: the job's records, or its failure */
static void
conclude_image(struct engine *e, struct job *j, struct written *w, int origin_placeholder)
{
	if (w->err[0]) {
		fail_job(e, j, w->err);
		jv_free(w->meta);
	} else {
		record_done(e, j, w->path, w->meta, origin_placeholder, &w->f);
	}
	free(w->path);
}

static void
finish_image(struct engine *e, struct job *j, const unsigned char *p, size_t n, const char *mime,
    const char *model, const char *response_id, int origin_placeholder)
{
	struct written w;

	write_image(e, j, e->hasher, p, n, mime, model, response_id, origin_placeholder, &w);
	conclude_image(e, j, &w, origin_placeholder);
}

/* A job whose file exists, names this job in its provenance chunk and is a
 * sound image is done already: its records are printed again and nothing is
 * redone. The chunk comes before the image data, so the head of the file
 * says; the one read of the whole file is the hashing. */
static int
resume(struct engine *e, struct job *j)
{
	char *path = out_path(e, j->output), *text = ig_png_file_text(path, PROVENANCE_KEY), needle[80];
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
		record_done(e, j, path, meta, model && strcmp(model, "placeholder") == 0, &f);
		done = 1;
	} else {
		jv_free(meta);
	}
	free(text);
	free(path);
	return done;
}

static void
run_placeholder(struct engine *e, struct job *j)
{
	struct ig_buf png = { 0 };
	char err[256];

	j->attempts = 1;
	j->last_attempt_us = ig_now_us();
	if (ig_placeholder(&png, j->prompt, j->seed, j->width, j->height, err, sizeof err) != 0)
		fail_job(e, j, err);
	else
		finish_image(e, j, (unsigned char *)png.p, png.len, "image/png", "placeholder", NULL, 1);
	ig_buf_free(&png);
}

/* --placeholders: the stand-in images that placeholder_path names */
static void
make_placeholder(struct engine *e, struct job *j)
{
	struct ig_buf png = { 0 };
	char err[512], *path;
	struct ig_facts f;

	if (j->placeholder && ig_path_leaves_root(j->placeholder)) {
		ig_err_at(j->file, j->lineno, "job %s: placeholder_path leaves the output root", j->id);
		e->refused++;
	}
	if (!j->placeholder || ig_path_leaves_root(j->placeholder)) {
		emit(e, jv_copy(j->rec));
		return;
	}
	path = out_path(e, j->placeholder);
	if (access(path, F_OK) != 0 &&
	    (ig_placeholder(&png, j->prompt, j->seed, j->width, j->height, err, sizeof err) != 0 ||
	    write_atomically(path, png.p, png.len, err, sizeof err) != 0)) {
		ig_err_at(j->file, j->lineno, "job %s: %s", j->id, err);
		e->refused++;
	} else if (ig_hash_file(e->hasher, path, &f) == 0 && !f.img.err[0]) {
		jv img = image_record(e, j, path, &f, "placeholder");

		emit(e, img);
	}
	/* the job stays queued, for the model to replace the stand-in */
	emit(e, jv_copy(j->rec));
	ig_buf_free(&png);
	free(path);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct job *j = arg;

	if (j->answer.len + size * n > MAX_ANSWER)
		return 0;	/* curl reports a write error */
	if (j->answer.len == 0) {
		curl_off_t total = -1;

		/* room for the whole answer at once: growing by doubling
		 * copies a 2 MB answer twice over */
		curl_easy_getinfo(j->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total);
		if (total > 0 && total <= (curl_off_t)MAX_ANSWER)
			ig_buf_grow(&j->answer, (size_t)total + 1);
	}
	ig_buf_add(&j->answer, p, size * n);
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct job *j = arg;
	size_t len = size * n;
	char line[256];

	snprintf(line, sizeof line, "%.*s", (int)(len < 255 ? len : 255), p);
	if (strncasecmp(line, "retry-after-ms:", 15) == 0)
		j->header_wait = strtod(line + 15, NULL) / 1000;
	else if (strncasecmp(line, "retry-after:", 12) == 0 && j->header_wait < 0)
		j->header_wait = strtod(line + 12, NULL);
	return len;
}

/* the request, its headers and the transfer's options: the same for every
 * attempt, so made once (the easy handle keeps them between attempts) */
static void
prepare_transfer(struct engine *e, struct job *j)
{
	const struct ig_gen_options *o = e->o;
	char url[4096], hdr[1024];
	struct ig_buf ref = { 0 };
	const char *mime = "image/png";

	if (o->backend == IG_GEMINI) {
		/* a placeholder on disk goes with the prompt */
		if (j->placeholder && !ig_path_leaves_root(j->placeholder)) {
			char *pp = out_path(e, j->placeholder);
			FILE *f = fopen(pp, "rb");

			if (f) {
				char chunk[65536];
				size_t n;

				while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
					ig_buf_add(&ref, chunk, n);
				fclose(f);
				if (ref.len > 2 && (unsigned char)ref.p[0] == 0xff)
					mime = "image/jpeg";
				snprintf(j->source_placeholder, sizeof j->source_placeholder, "%s", j->placeholder);
			}
			free(pp);
		}
		{
			/* the plan's aspect ratio, else the nearest to the size */
			jv config = ig_get(j->params, "config");
			const char *aspect = ig_str(config, "aspect_ratio");

			ig_gemini_request(&j->request, j->prompt, j->seed, j->has_seed,
			    aspect ? aspect : ig_aspect_ratio(j->width, j->height),
			    ref.len ? (unsigned char *)ref.p : NULL, ref.len, mime);
			jv_free(config);
		}
		snprintf(url, sizeof url, "%s/v1beta/models/%s:generateContent", o->endpoint, j->model);
		snprintf(hdr, sizeof hdr, "x-goog-api-key: %s", o->key ? o->key : "");
	} else {
		ig_openai_request(&j->request, j->model, j->prompt, j->size);
		snprintf(url, sizeof url, "%s/v1/images/generations", o->endpoint);
		snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", o->key ? o->key : "");
	}
	ig_buf_free(&ref);
	j->headers = curl_slist_append(NULL, "Content-Type: application/json");
	j->headers = curl_slist_append(j->headers, hdr);
	memset(hdr, 0, sizeof hdr);	/* the key lives on only inside curl */
	if (!(j->easy = curl_easy_init()))
		ig_die(IG_EXIT_SYSTEM, "curl_easy_init failed");
	curl_easy_setopt(j->easy, CURLOPT_URL, url);
	curl_easy_setopt(j->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->request.p);
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE, (long)j->request.len);
	curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->headers);
	curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(j->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(j->easy, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
	curl_easy_setopt(j->easy, CURLOPT_TIMEOUT, o->timeout);
	curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(j->easy, CURLOPT_ACCEPT_ENCODING, "");
}

static void
start_transfer(struct engine *e, struct job *j)
{
	if (!j->easy)
		prepare_transfer(e, j);
	j->attempts++;
	j->last_attempt_us = ig_now_us();
	j->answer.len = 0;
	j->header_wait = -1;
	curl_multi_add_handle(e->multi, j->easy);
	e->inflight++;
}

/* exponential from retry_delay, with jitter, at least what the server asked */
static double
backoff(const struct ig_gen_options *o, int attempts, double asked)
{
	uint32_t r = 0;
	double d = o->retry_delay * pow(2, attempts - 1);

	if (d > 60)
		d = 60;
	if (getrandom(&r, sizeof r, 0) == sizeof r)
		d *= 0.8 + 0.4 * (r / 4294967296.0);
	return asked > d ? asked : d;
}

static void
window_add(struct engine *e, struct job *j)
{
	if (e->nwindow == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 64;
		e->window = ig_realloc(e->window, (size_t)e->cap * sizeof *e->window);
	}
	e->window[e->nwindow++] = j;
}

/* the highest priority that may start now, first come among equals */
static struct job *
window_take(struct engine *e, double now)
{
	int best = -1;

	for (int i = 0; i < e->nwindow; i++)
		if (e->window[i]->not_before <= now &&
		    (best < 0 || e->window[i]->priority > e->window[best]->priority))
			best = i;
	if (best < 0)
		return NULL;
	{
		struct job *j = e->window[best];

		memmove(e->window + best, e->window + best + 1,
		    (size_t)(e->nwindow - best - 1) * sizeof *e->window);
		e->nwindow--;
		return j;
	}
}

/* a finished transfer, on its way through the pool */
struct answer {
	struct job *j;
	long http;
	struct ig_answer a;
	struct written w;	/* when the answer held an image */
};

/* what an answer says; the key never reaches a message */
static void
read_answer(struct engine *e, struct answer *an)
{
	struct ig_answer *a = &an->a;
	struct job *j = an->j;
	char *k;

	ig_buf_str(&j->answer);
	if (e->o->backend == IG_GEMINI)
		ig_gemini_answer(an->http, j->answer.p, j->answer.len, a);
	else
		ig_openai_answer(an->http, j->answer.p, j->answer.len, j->header_wait, a);
	while (e->o->key && *e->o->key && (k = strstr(a->reason, e->o->key)))
		memset(k, '*', strlen(e->o->key));
}

/* on a pool thread: a 200 answer read, its image decoded, written with
 * its provenance, and hashed */
static void
answer_work(void *ctx, void *item, int worker)
{
	struct engine *e = ctx;
	struct answer *an = item;
	struct ig_answer *a = &an->a;

	read_answer(e, an);
	if (a->outcome == IG_IMAGE && ig_answer_image(a) == 0)
		write_image(e, an->j, e->hashers[worker], (unsigned char *)a->image.p, a->image.len,
		    a->mime, an->j->model, a->response_id, 0, &an->w);
	ig_buf_free(&a->image);
	/* the main thread may be waiting on the network: done() is due */
	curl_multi_wakeup(e->multi);
}

/* on the main thread: the job's end, or its next try */
static void
settle(struct engine *e, struct answer *an)
{
	struct ig_answer *a = &an->a;
	struct job *j = an->j;

	snprintf(j->last_error, sizeof j->last_error, "%s", a->reason);
	switch (a->outcome) {
	case IG_IMAGE:
		j->last_error[0] = '\0';
		conclude_image(e, j, &an->w, 0);
		job_free(j);
		break;
	case IG_RETRY:
		if (stop_signal || e->quota) {
			/* the run is stopping: the next one tries it again */
			emit(e, jv_copy(j->rec));
			emit_task(e, j, "pending", jv_null());
			job_free(j);
		} else if (j->attempts <= e->o->max_retries) {
			j->not_before = mono() + backoff(e->o, j->attempts, a->wait);
			window_add(e, j);
		} else {
			fail_job(e, j, a->reason);
			job_free(j);
		}
		break;
	case IG_QUOTA:
		/* the day's quota is gone: this job and the rest stay queued */
		if (!e->quota)
			ig_warn("%s: stopping, the remaining jobs stay queued", a->reason);
		e->quota = 1;
		emit(e, jv_copy(j->rec));
		emit_task(e, j, "pending", jv_null());
		job_free(j);
		break;
	case IG_FAILED:
		fail_job(e, j, a->reason);
		job_free(j);
		break;
	}
	ig_buf_free(&a->image);
	free(an);
	progress(e);
}

static void
answer_done(void *ctx, void *item)
{
	struct engine *e = ctx;

	e->finishing--;
	settle(e, item);
}

/* An answer of 200 holds an image or says why not: the pool reads it. Any
 * other is read here at once, so a quota or a retry's wait takes hold
 * before another transfer starts. */
static void
transfer_done(struct engine *e, CURL *easy, CURLcode code)
{
	struct answer *an = ig_malloc(sizeof *an);

	memset(an, 0, sizeof *an);
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&an->j);
	curl_multi_remove_handle(e->multi, easy);
	e->inflight--;
	if (code == CURLE_OK)
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &an->http);
	if (code == CURLE_OK && an->http == 200) {
		e->finishing++;
		ig_pool_submit(e->pool, an, 1);
		return;
	}
	if (code != CURLE_OK) {
		an->a.outcome = IG_RETRY;
		an->a.wait = -1;
		snprintf(an->a.reason, sizeof an->a.reason, "transport: %s", curl_easy_strerror(code));
	} else {
		read_answer(e, an);
	}
	settle(e, an);
}

/* a line of input: a queued job joins the window, the rest passes */
static void
take_line(struct engine *e, const char *file, long lineno, const char *line, size_t n)
{
	char err[512];
	jv v = ig_json_parse(line, n, err, sizeof err);
	const char *coll, *status;
	struct job *j;

	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		ig_err_at(file, lineno, "%s", jv_is_valid(v) ? "not a JSON object" : err);
		e->refused++;
		jv_free(v);
		return;
	}
	coll = ig_str(v, "collection");
	status = ig_str(v, "status");
	if (!coll || strcmp(coll, "generations") != 0 || !status || strcmp(status, "queued") != 0) {
		ig_put_line(line, n);
		ig_check_stdout();
		jv_free(v);
		return;
	}
	j = job_new(v, file, lineno);
	if (!j->id[0] || !j->prompt || !j->output) {
		ig_err_at(file, lineno, "a queued job needs id, prompt and output_path");
		e->refused++;
		emit(e, jv_copy(j->rec));
		job_free(j);
		return;
	}
	if (ig_path_leaves_root(j->output)) {
		fail_job(e, j, "output_path leaves the output root (absolute, or ..)");
		job_free(j);
		return;
	}
	e->total++;
	window_add(e, j);
}

/* start what may start: jobs in flight, the rate limit, resumed files */
static void
start_jobs(struct engine *e)
{
	const struct ig_gen_options *o = e->o;
	double now = mono();
	struct job *j;

	while (!stop_signal && !e->quota && (o->backend == IG_PLACEHOLDER || o->placeholders ||
	    e->inflight < o->jobs)) {
		if (o->per_minute > 0 && now - e->last_start < 60 / o->per_minute)
			break;
		if (!(j = window_take(e, now)))
			break;
		if (o->placeholders) {
			make_placeholder(e, j);
			job_free(j);
			continue;
		}
		if (j->attempts == 0 && resume(e, j)) {
			job_free(j);
			continue;
		}
		e->last_start = now;
		if (j->attempts == 0)
			emit(e, job_with_status(j, "running"));
		if (o->backend == IG_PLACEHOLDER) {
			run_placeholder(e, j);
			job_free(j);
			progress(e);
		} else {
			start_transfer(e, j);
		}
	}
}

/* jobs that never finished leave as they came: queued */
static void
leave_queued(struct engine *e)
{
	for (int i = 0; i < e->nwindow; i++) {
		struct job *j = e->window[i];

		emit(e, jv_copy(j->rec));
		if (j->attempts)
			emit_task(e, j, "pending", jv_null());
		job_free(j);
	}
	e->nwindow = 0;
}

int
ig_gen_run(const struct ig_gen_options *o, char **files, int nfiles)
{
	struct engine e = { 0 };
	struct sigaction sa = { 0 };
	int window_max = o->jobs * 4 > 64 ? o->jobs * 4 : 64;
	int fi = 0, eof = 1, status;
	struct ig_lines r;
	const char *name = NULL;

	e.o = o;
	e.t0 = mono();
	e.last_start = -1e9;
	e.hasher = ig_hasher_new();
	/* answers are decoded, written and hashed on every core: at 64 in
	 * flight one thread could not keep up with 1.5 MB images */
	e.threads = o->backend == IG_PLACEHOLDER ? 1 : ig_cpus();
	e.hashers = ig_malloc((size_t)e.threads * sizeof *e.hashers);
	for (int i = 0; i < e.threads; i++)
		e.hashers[i] = ig_hasher_new();
	e.pool = ig_pool_new(e.threads, answer_work, answer_done, &e);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (o->backend != IG_PLACEHOLDER) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || !(e.multi = curl_multi_init()))
			ig_die(IG_EXIT_SYSTEM, "curl initialisation failed");
		curl_multi_setopt(e.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)o->jobs);
	}
	for (;;) {
		CURLMsg *msg;
		int left, running;

		/* read ahead while there is room and input ready */
		while (!stop_signal && !e.quota && e.nwindow < window_max) {
			char *line;
			ssize_t n;

			if (eof) {
				if (fi >= nfiles)
					break;
				name = strcmp(files[fi], "-") == 0 ? "stdin" : files[fi];
				if (ig_lines_open(&r, files[fi++]) != 0) {
					ig_warn("%s: %s", name, strerror(errno));
					e.refused++;
					continue;
				}
				eof = 0;
			}
			/* block on input only when nothing else is going on */
			if (!ig_lines_buffered(&r)) {
				fflush(stdout);
				if (!ig_lines_wait(&r, e.inflight || e.nwindow ? 0 : 200))
					break;
			}
			if ((n = ig_lines_next(&r, &line)) == -1) {
				ig_lines_close(&r);
				eof = 1;
				continue;
			}
			if (n == -2)
				ig_die(IG_EXIT_SYSTEM, "%s: %s", name, strerror(errno));
			if (strspn(line, " \t\r") < (size_t)n)
				take_line(&e, name, r.lineno, line, (size_t)n);
		}
		ig_pool_reap(e.pool, 0);
		start_jobs(&e);
		if (e.inflight == 0 && e.finishing) {
			/* only answers being written: wait for them */
			ig_pool_reap(e.pool, 1);
			continue;
		}
		if (eof && fi >= nfiles && e.nwindow == 0 && e.inflight == 0)
			break;
		if ((stop_signal || e.quota) && e.inflight == 0)
			break;
		/* about to wait: what happened so far goes down the pipe now */
		fflush(stdout);
		ig_check_stdout();
		if (e.multi && e.inflight) {
			curl_multi_poll(e.multi, NULL, 0, 100, NULL);
			curl_multi_perform(e.multi, &running);
			while ((msg = curl_multi_info_read(e.multi, &left)))
				if (msg->msg == CURLMSG_DONE)
					transfer_done(&e, msg->easy_handle, msg->data.result);
		} else if (e.nwindow) {
			/* waiting for a retry's time or the rate limit: sleep
			 * until then, or until input comes */
			double due = 1e18, now = mono();
			int ms;

			for (int i = 0; i < e.nwindow; i++)
				if (e.window[i]->not_before < due)
					due = e.window[i]->not_before;
			if (o->per_minute > 0 && e.last_start + 60 / o->per_minute > due)
				due = e.last_start + 60 / o->per_minute;
			ms = due - now > 0.1 ? 100 : due - now < 0.001 ? 1 : (int)((due - now) * 1000);
			if (!eof && e.nwindow < window_max) {
				ig_lines_wait(&r, ms);
			} else {
				struct timespec ts = { 0, (long)ms * 1000000L };

				nanosleep(&ts, NULL);
			}
		}
	}
	ig_pool_free(e.pool);
	leave_queued(&e);
	/* what this run wrote is on disk before it says it is done */
	ig_path_sync(o->out_dir);
	if (!eof)
		ig_lines_close(&r);
	if (o->progress)
		fputc('\n', stderr);
	if (e.multi) {
		curl_multi_cleanup(e.multi);
		curl_global_cleanup();
	}
	ig_hasher_free(e.hasher);
	for (int i = 0; i < e.threads; i++)
		ig_hasher_free(e.hashers[i]);
	free(e.hashers);
	ig_buf_free(&e.line);
	free(e.window);
	status = stop_signal == SIGINT ? 130 : stop_signal == SIGTERM ? 143 :
	    e.failed || e.refused || e.quota ? IG_EXIT_REJECT : IG_EXIT_OK;
	return status;
}
