/* gen.c - the generation engine: jobs claimed, transfers, retries, files, records
 *
 * The order of things follows ig(7)'s contract: a job is claimed before it
 * starts (claim.h), its file is written under a temporary name and renamed,
 * the file system is synced once for every group of finished files, and only
 * then do the records naming them leave. A run that stops gives back what it
 * had started and passes on, unchanged, what it had not.
 */
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
#include "claim.h"
#include "err.h"
#include "gen.h"
#include "genrec.h"
#include "hash.h"
#include "json.h"
#include "lines.h"
#include "path.h"
#include "placeholder.h"
#include "pool.h"
#include "record.h"

#define MAX_ANSWER (256u << 20)	/* an answer larger than this is refused */
#define DURABLE_BATCH 64	/* finished files per sync, at most */
#define LINGER_MAX 4096		/* claims kept for jobs the store has not settled */
#define LINGER_WAIT_MS 3000	/* at the end, for the recorder to commit */

struct engine {
	const struct ig_gen_options *o;
	struct ig_task_run run;
	struct ig_store *store;
	const struct ig_collection *jobs;	/* generations, and its lifecycle */
	char *root;			/* the output root, absolute */
	int root_fd;
	struct ig_pool *pool;		/* answers are decoded, written, hashed here */
	struct ig_hasher **hashers;	/* one per pool thread */
	int threads, finishing;		/* answers in the pool */
	struct ig_job **window;		/* read ahead, waiting to start */
	int nwindow, cap;
	struct ig_job **durable;	/* finished, waiting for the sync */
	int ndurable, capdurable;
	uint8_t (*linger)[16];		/* claims of jobs printed but not yet settled in the store */
	int nlinger, caplinger;
	double linger_checked;
	int inflight;
	struct ig_job **flying;		/* in flight, for a stop to give back */
	int nflying, capflying;
	CURLM *multi;
	struct ig_hasher *hasher;
	double last_start;
	long done, failed, total, refused;
	int quota, transient, reader_gone;
	double t0;
	struct ig_buf line;
};

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static int
stopping(const struct engine *e)
{
	return stop_signal || e->quota || e->reader_gone;
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Output: once the reader is gone nothing more can be said, and the run
 * stops as if told to (what the store was told is put right at the end). */
static void
put_raw(struct engine *e, const char *s, size_t n)
{
	if (e->reader_gone)
		return;
	fwrite(s, 1, n, stdout);
	putchar('\n');
	if (ferror(stdout))
		e->reader_gone = 1;
}

static void
emit(struct engine *e, jv v)
{
	e->line.len = 0;
	ig_json_write(&e->line, v);
	ig_jv_free(v);
	put_raw(e, e->line.p, e->line.len);
}

static void
hold(struct ig_job *j, jv v)
{
	ig_json_write(&j->held, v);
	ig_buf_addc(&j->held, '\n');
	ig_jv_free(v);
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

static void
die_store(struct engine *e, int rc)
{
	ig_die(IG_EXIT_SYSTEM, "store %s: %s", e->store->path, mdb_strerror(rc));
}

/* where a job's file goes: under the root, named absolutely */
static char *
out_path(const struct engine *e, const char *rel)
{
	size_t n = strlen(e->root) + strlen(rel) + 2;
	char *p = ig_malloc(n), *abs;

	snprintf(p, n, "%s/%s", e->root, rel);
	if (ig_path_absolute(p, &abs) != 0)
		ig_die(IG_EXIT_SYSTEM, "%s: %s", p, strerror(errno));
	free(p);
	return abs;
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

/* A job's claim is kept after its records leave, until the store shows it
 * settled: until then a recorder down the pipe may not have committed them,
 * and nobody else may take the job up. */
static void
linger(struct engine *e, struct ig_job *j)
{
	if (!j->claimed)
		return;
	j->claimed = 0;
	if (e->nlinger == LINGER_MAX) {
		/* nothing records this run's output in the store: the oldest go */
		ig_claim_drop(e->store->claims, e->linger[0]);
		memmove(e->linger, e->linger + 1, (size_t)(--e->nlinger) * sizeof *e->linger);
	}
	if (e->nlinger == e->caplinger) {
		e->caplinger = e->caplinger ? e->caplinger * 2 : 64;
		e->linger = ig_realloc(e->linger, (size_t)e->caplinger * sizeof *e->linger);
	}
	memcpy(e->linger[e->nlinger++], j->uid, 16);
}

/* the stage the store holds a job at, or -1 if it holds none */
static int
stored_stage(struct engine *e, MDB_txn *txn, const uint8_t id[16], MDB_val *val)
{
	char status[32];
	const char *st;
	int rc = ig_store_get(e->store, txn, e->jobs->index, id, val);

	if (rc == MDB_NOTFOUND)
		return -1;
	if (rc)
		die_store(e, rc);
	/* the stored record's status, without parsing all of it */
	st = memmem(val->mv_data, val->mv_size, "\"status\":\"", 10);
	if (!st)
		return -1;
	st += 10;
	snprintf(status, sizeof status, "%.*s", (int)strcspn(st, "\""), st);
	return ig_stage_of(e->jobs, status);
}

/* claims the store shows settled are let go */
static void
linger_check(struct engine *e)
{
	MDB_txn *txn;
	MDB_val val;
	int rc, k = 0;

	if (!e->nlinger)
		return;
	if ((rc = ig_store_begin(e->store, 1, &txn)))
		die_store(e, rc);
	for (int i = 0; i < e->nlinger; i++) {
		int st = stored_stage(e, txn, e->linger[i], &val);

		if (st >= 0 && st != IG_STAGE_WORKING)
			ig_claim_drop(e->store->claims, e->linger[i]);
		else
			memmove(e->linger[k++], e->linger[i], 16);
	}
	mdb_txn_abort(txn);
	e->nlinger = k;
	e->linger_checked = mono();
}

static void
finish(struct engine *e, struct ig_job *j)
{
	linger(e, j);
	ig_job_free(j);
}

/* A job that will not finish in this run goes back: to ready if it had
 * started, with why on its task, else as it came. */
static void
give_back(struct engine *e, struct ig_job *j, const char *reason)
{
	if (reason)
		snprintf(j->last_error, sizeof j->last_error, "%s", reason);
	if (j->started) {
		emit(e, ig_job_at(j, IG_STAGE_READY));
		emit(e, ig_job_task(j, &e->run, IG_STAGE_READY, jv_null()));
	} else {
		emit(e, jv_copy(j->rec));
	}
	finish(e, j);
}

/* what the job itself caused: it ends in error */
static void
fail_job(struct engine *e, struct ig_job *j, const char *reason)
{
	snprintf(j->last_error, sizeof j->last_error, "%s", reason);
	ig_err_at(j->file, j->lineno, "job %s: %s", j->id, reason);
	emit(e, ig_job_at(j, IG_STAGE_FAILED));
	if (j->started)
		emit(e, ig_job_task(j, &e->run, IG_STAGE_FAILED, jv_null()));
	e->failed++;
	finish(e, j);
}

/* The finished files are made durable, then their records leave; a
 * failed sync is a failed attempt, and the job goes back. */
static void
durable_flush(struct engine *e)
{
	int rc;
	char why[300];

	if (!e->ndurable)
		return;
	rc = syncfs(e->root_fd);
	snprintf(why, sizeof why, "syncing %s: %s", e->root, strerror(errno));
	for (int i = 0; i < e->ndurable; i++) {
		struct ig_job *j = e->durable[i];

		if (rc == 0) {
			if (j->held.len)
				put_raw(e, j->held.p, j->held.len - 1);
			finish(e, j);
		} else {
			e->transient = 1;
			e->done--;
			give_back(e, j, why);
		}
	}
	if (rc != 0)
		ig_warn("%s: the jobs stay queued", why);
	e->ndurable = 0;
}

static void
durable_add(struct engine *e, struct ig_job *j)
{
	if (e->ndurable == e->capdurable) {
		e->capdurable = e->capdurable ? e->capdurable * 2 : DURABLE_BATCH;
		e->durable = ig_realloc(e->durable, (size_t)e->capdurable * sizeof *e->durable);
	}
	e->durable[e->ndurable++] = j;
	if (e->ndurable >= DURABLE_BATCH)
		durable_flush(e);
}

/* the file is written and its facts are known: every record of the job,
 * held until the file is on disk */
static void
record_done(struct engine *e, struct ig_job *j, const char *path, jv meta, int origin_placeholder,
    const struct ig_facts *f)
{
	char *pp = j->source_placeholder[0] ? out_path(e, j->source_placeholder) : NULL;

	hold(j, ig_job_at(j, IG_STAGE_SUCCEEDED));
	hold(j, jv_object_set(meta, jv_string("sha256"), jv_string(f->sha256)));
	hold(j, ig_job_image(j, path, pp, f, origin_placeholder ? "placeholder" : "generated", e->o->url_base));
	hold(j, ig_job_task(j, &e->run, IG_STAGE_SUCCEEDED,
	    JV_OBJECT(jv_string("path"), jv_string(path), jv_string("sha256"), jv_string(f->sha256))));
	free(pp);
	e->done++;
	durable_add(e, j);
}

/* a job's image, written and hashed: what a pool thread does with an
 * answer, so nothing here prints or makes an id */
struct written {
	jv meta;		/* the metadata record, without sha256 */
	char *path;
	struct ig_facts f;
	int transient;		/* the failure says nothing of the job (disk full) */
	char err[512];		/* why it failed, or empty */
};

static jv
now_text(void)
{
	char t[IG_TIME_TEXT];

	ig_time_format(ig_now_us(), t);
	return jv_string(t);
}

/* the image bytes with the provenance inside, written under the output root */
static void
write_image(struct engine *e, struct ig_job *j, struct ig_hasher *h, const unsigned char *p, size_t n,
    const char *mime, const char *model, const char *response_id, int origin_placeholder,
    struct written *w)
{
	struct ig_buf file = { 0 };

	w->path = out_path(e, j->output);
	w->meta = ig_job_metadata(j, model, response_id, now_text());
	w->err[0] = '\0';
	w->transient = 0;
	if (ig_job_provenance(&file, j, p, n, mime, model, w->meta, origin_placeholder, w->err,
	    sizeof w->err) != 0) {
		/* the answer's fault */
	} else if (write_atomically(w->path, file.p, file.len, w->err, sizeof w->err) != 0) {
		w->transient = 1;
	} else {
		/* the facts of the bytes written, as ig-hash would read them */
		ig_hash_begin(h, &w->f);
		ig_hash_feed(h, &w->f, file.p, file.len);
		ig_hash_end(h, &w->f);
		if (w->f.img.err[0])
			snprintf(w->err, sizeof w->err, "%.200s: %.300s", w->path, w->f.img.err);
	}
	ig_buf_free(&file);
}

/* on the main thread: the job's records, or its failure */
static void
conclude_image(struct engine *e, struct ig_job *j, struct written *w, int origin_placeholder)
{
	if (w->err[0] && w->transient) {
		e->transient = 1;
		ig_err_at(j->file, j->lineno, "job %s: %s (it stays queued)", j->id, w->err);
		give_back(e, j, w->err);
		jv_free(w->meta);
	} else if (w->err[0]) {
		fail_job(e, j, w->err);
		jv_free(w->meta);
	} else {
		record_done(e, j, w->path, w->meta, origin_placeholder, &w->f);
	}
	free(w->path);
}

static void
finish_image(struct engine *e, struct ig_job *j, const unsigned char *p, size_t n, const char *mime,
    const char *model, const char *response_id, int origin_placeholder)
{
	struct written w;

	write_image(e, j, e->hasher, p, n, mime, model, response_id, origin_placeholder, &w);
	conclude_image(e, j, &w, origin_placeholder);
}

/* A job whose file exists, names this job in its provenance and is a sound
 * image is done already, whatever its format: its records are made again
 * from the file and nothing is asked of the model. */
static int
resume(struct engine *e, struct ig_job *j)
{
	char *path = out_path(e, j->output), *text = ig_job_file_metadata(path), needle[80];
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
run_placeholder(struct engine *e, struct ig_job *j)
{
	struct ig_buf png = { 0 };
	char err[256];

	if (ig_placeholder(&png, j->prompt, j->seed, j->width, j->height, err, sizeof err) != 0)
		fail_job(e, j, err);
	else
		finish_image(e, j, (unsigned char *)png.p, png.len, "image/png", "placeholder", NULL, 1);
	ig_buf_free(&png);
}

/* --placeholders: the stand-in images that placeholder_path names; the
 * job stays queued, for the model to replace the stand-in */
static void
make_placeholder(struct engine *e, struct ig_job *j)
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
		finish(e, j);
		return;
	}
	path = out_path(e, j->placeholder);
	if (access(path, F_OK) != 0 &&
	    (ig_placeholder(&png, j->prompt, j->seed, j->width, j->height, err, sizeof err) != 0 ||
	    write_atomically(path, png.p, png.len, err, sizeof err) != 0)) {
		ig_err_at(j->file, j->lineno, "job %s: %s", j->id, err);
		e->refused++;
	} else if (ig_hash_file(e->hasher, path, &f) == 0 && !f.img.err[0]) {
		hold(j, ig_job_image(j, path, NULL, &f, "placeholder", e->o->url_base));
	}
	hold(j, jv_copy(j->rec));
	ig_buf_free(&png);
	free(path);
	durable_add(e, j);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct ig_job *j = arg;

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
	struct ig_job *j = arg;
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
prepare_transfer(struct engine *e, struct ig_job *j)
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

/* an attempt begins: it is counted on the job's task */
static void
attempt(struct engine *e, struct ig_job *j)
{
	j->attempts++;
	j->last_attempt_us = ig_now_us();
	emit(e, ig_job_task(j, &e->run, IG_STAGE_WORKING, jv_null()));
}

static void
start_transfer(struct engine *e, struct ig_job *j)
{
	if (!j->easy)
		prepare_transfer(e, j);
	attempt(e, j);
	j->answer.len = 0;
	j->header_wait = -1;
	curl_multi_add_handle(e->multi, j->easy);
	e->inflight++;
	if (e->nflying == e->capflying) {
		e->capflying = e->capflying ? e->capflying * 2 : 64;
		e->flying = ig_realloc(e->flying, (size_t)e->capflying * sizeof *e->flying);
	}
	e->flying[e->nflying++] = j;
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
window_add(struct engine *e, struct ig_job *j)
{
	if (e->nwindow == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 64;
		e->window = ig_realloc(e->window, (size_t)e->cap * sizeof *e->window);
	}
	e->window[e->nwindow++] = j;
}

/* the highest priority that may start now, first come among equals */
static struct ig_job *
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
		struct ig_job *j = e->window[best];

		memmove(e->window + best, e->window + best + 1,
		    (size_t)(e->nwindow - best - 1) * sizeof *e->window);
		e->nwindow--;
		return j;
	}
}


/* a finished transfer, on its way through the pool */
struct answer {
	struct ig_job *j;
	long http;
	struct ig_answer a;
	struct written w;	/* when the answer held an image */
};

/* what an answer says; the key never reaches a message */
static void
read_answer(struct engine *e, struct answer *an)
{
	struct ig_answer *a = &an->a;
	struct ig_job *j = an->j;
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
	struct ig_job *j = an->j;

	snprintf(j->last_error, sizeof j->last_error, "%s", a->reason);
	switch (a->outcome) {
	case IG_IMAGE:
		j->last_error[0] = '\0';
		conclude_image(e, j, &an->w, 0);
		break;
	case IG_RETRY:
		if (stopping(e)) {
			/* the run is stopping: the next one tries it again */
			give_back(e, j, NULL);
		} else if (j->attempts <= e->o->max_retries) {
			j->not_before = mono() + backoff(e->o, j->attempts, a->wait);
			emit(e, ig_job_task(j, &e->run, IG_STAGE_READY, jv_null()));
			window_add(e, j);
		} else {
			/* what failed says nothing of the job: a later run tries again */
			e->transient = 1;
			ig_err_at(j->file, j->lineno, "job %s: %s, after %d attempts (it stays queued)",
			    j->id, a->reason, j->attempts);
			give_back(e, j, NULL);
		}
		break;
	case IG_QUOTA:
		/* the day's quota is gone: this job and the rest stay queued */
		if (!e->quota)
			ig_warn("%s: stopping, the remaining jobs stay queued", a->reason);
		e->quota = 1;
		give_back(e, j, NULL);
		break;
	case IG_FAILED:
		fail_job(e, j, a->reason);
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
	for (int i = 0; i < e->nflying; i++)
		if (e->flying[i] == an->j) {
			e->flying[i] = e->flying[--e->nflying];
			break;
		}
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

/* transfers cut short by a signal: their jobs go back */
static void
abort_inflight(struct engine *e)
{
	while (e->nflying) {
		struct ig_job *j = e->flying[--e->nflying];

		curl_multi_remove_handle(e->multi, j->easy);
		e->inflight--;
		give_back(e, j, "the run was stopped");
	}
}

/* a line of input: a job that may start joins the window, the rest passes */
static void
take_line(struct engine *e, const char *file, long lineno, const char *line, size_t n)
{
	char err[512];
	jv v;
	const char *coll, *status;
	struct ig_job *j;
	int stage;

	if (stopping(e)) {
		/* a stopped run passes on what it has not read, as it came */
		put_raw(e, line, n);
		return;
	}
	v = ig_json_parse(line, n, err, sizeof err);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		ig_err_at(file, lineno, "%s", jv_is_valid(v) ? "not a JSON object" : err);
		e->refused++;
		jv_free(v);
		return;
	}
	coll = ig_str(v, "collection");
	status = ig_str(v, "status");
	stage = coll && strcmp(coll, e->jobs->name) == 0 ? ig_stage_of(e->jobs, status) : -1;
	/* ready, or working: perhaps abandoned, which its claim tells */
	if (stage != IG_STAGE_READY && stage != IG_STAGE_WORKING) {
		put_raw(e, line, n);
		jv_free(v);
		return;
	}
	j = ig_job_new(v, file, lineno);
	if (!j->id[0] || !j->prompt || !j->output) {
		ig_err_at(file, lineno, "a queued job needs a UUID id, a prompt and an output_path");
		e->refused++;
		emit(e, jv_copy(j->rec));
		ig_job_free(j);
		return;
	}
	e->total++;
	window_add(e, j);
}

/* The claim first: 1 if this run may work on the job now. Otherwise what
 * the store says of it passes on (another live run holds it, or it is
 * settled already), or the line as it came where the store has none. */
static int
claim(struct engine *e, struct ig_job *j)
{
	int held = ig_claim_take(e->store->claims, j->uid), st, rc;
	char task_id[IG_UUID_TEXT];
	uint8_t tid[16];
	MDB_txn *txn;
	MDB_val val;

	if (held < 0)
		ig_die(IG_EXIT_SYSTEM, "store %s: claims: %s", e->store->path, strerror(errno));
	j->claimed = held == 1;
	if ((rc = ig_store_begin(e->store, 1, &txn)))
		die_store(e, rc);
	st = stored_stage(e, txn, j->uid, &val);
	if (j->claimed && (st < 0 || st == IG_STAGE_READY || st == IG_STAGE_WORKING)) {
		/* attempts go on from what earlier runs made */
		const struct ig_collection *tc = ig_model_find(e->store->m, "generation_tasks");
		MDB_val tv;
		const char *a;

		ig_uuid_v5_text(ig_ns_tasks, j->id, strlen(j->id), task_id);
		ig_uuid_parse(task_id, tid);
		rc = ig_store_get(e->store, txn, tc->index, tid, &tv);
		if (rc && rc != MDB_NOTFOUND)
			die_store(e, rc);
		if (rc == 0 && (a = memmem(tv.mv_data, tv.mv_size, "\"attempts\":", 11)))
			j->attempts = atoi(a + 11);
		mdb_txn_abort(txn);
		return 1;
	}
	if (st >= 0)
		put_raw(e, val.mv_data, val.mv_size);
	else
		emit(e, jv_copy(j->rec));
	mdb_txn_abort(txn);
	if (j->claimed)
		ig_claim_drop(e->store->claims, j->uid);
	j->claimed = 0;
	return 0;
}

/* start what may start: jobs in flight, the rate limit, resumed files */
static void
start_jobs(struct engine *e)
{
	const struct ig_gen_options *o = e->o;
	double now = mono();
	struct ig_job *j;

	while (!stopping(e) && (o->backend == IG_PLACEHOLDER || o->placeholders ||
	    e->inflight < o->jobs)) {
		if (o->per_minute > 0 && now - e->last_start < 60 / o->per_minute)
			break;
		if (!(j = window_take(e, now)))
			break;
		if (!j->started) {
			if (!claim(e, j)) {
				ig_job_free(j);
				continue;
			}
			if (ig_path_leaves_root(j->output)) {
				/* refused before it starts: queued -> error */
				fail_job(e, j, "output_path leaves the output root (absolute, or ..)");
				continue;
			}
			if (o->placeholders) {
				make_placeholder(e, j);
				continue;
			}
			emit(e, ig_job_at(j, IG_STAGE_WORKING));
			j->started = 1;
			if (resume(e, j))
				continue;
		}
		e->last_start = now;
		if (o->backend == IG_PLACEHOLDER) {
			attempt(e, j);
			run_placeholder(e, j);
			progress(e);
		} else {
			start_transfer(e, j);
		}
	}
}

/* jobs that never finished go back, or leave as they came */
static void
leave_window(struct engine *e)
{
	for (int i = 0; i < e->nwindow; i++)
		give_back(e, e->window[i], NULL);
	e->nwindow = 0;
}

/* the end of a run: the claims are let go once the store shows the jobs
 * settled, waiting a little for a recorder down the pipe; if the reader is
 * gone, what the store was told of this run's jobs is put right */
static void
settle_claims(struct engine *e)
{
	struct stat st;
	double until = mono() + LINGER_WAIT_MS / 1000.0;

	if (fflush(stdout) != 0 || ferror(stdout))
		e->reader_gone = 1;
	if (!e->reader_gone && fstat(1, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		/* the reader's end of input, so that it commits (--strict does
		 * only then); stdout stays a stream, onto /dev/null */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null < 0 || dup2(null, 1) < 0)
			ig_die(IG_EXIT_SYSTEM, "/dev/null: %s", strerror(errno));
		close(null);
		while (e->nlinger && mono() < until) {
			struct timespec ts = { 0, 20000000L };

			linger_check(e);
			if (e->nlinger)
				nanosleep(&ts, NULL);
		}
	}
	for (int i = 0; i < e->nlinger; i++)
		ig_claim_drop(e->store->claims, e->linger[i]);
	e->nlinger = 0;
	if (e->reader_gone) {
		long n = 0;
		int rc = ig_record_recover_all(e->store, &n);

		if (rc)
			die_store(e, rc);
		ig_warn("output closed: the run stopped; %ld job%s it had started given back in the store",
		    n, n == 1 ? "" : "s");
	}
}

/* the output root, made and opened: files are named under it absolutely */
static void
open_root(struct engine *e)
{
	int rc;

	if (ig_path_absolute(e->o->out_dir, &e->root) != 0)
		ig_die(IG_EXIT_SYSTEM, "%s: %s", e->o->out_dir, strerror(errno));
	if ((rc = ig_path_mkdirs(e->root)))
		ig_die(IG_EXIT_SYSTEM, "%s: %s", e->root, strerror(rc));
	if ((e->root_fd = open(e->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		ig_die(IG_EXIT_SYSTEM, "%s: %s", e->root, strerror(errno));
}

/* wait for what is due: the network, a retry's time or the rate limit, or input */
static void
wait_for_work(struct engine *e, struct ig_lines *r, int eof, int window_max)
{
	const struct ig_gen_options *o = e->o;
	CURLMsg *msg;
	int left, running;

	if (e->multi && e->inflight) {
		curl_multi_poll(e->multi, NULL, 0, 100, NULL);
		curl_multi_perform(e->multi, &running);
		while ((msg = curl_multi_info_read(e->multi, &left)))
			if (msg->msg == CURLMSG_DONE)
				transfer_done(e, msg->easy_handle, msg->data.result);
	} else if (e->nwindow) {
		double due = 1e18, now = mono();
		int ms;

		for (int i = 0; i < e->nwindow; i++)
			if (e->window[i]->not_before < due)
				due = e->window[i]->not_before;
		if (o->per_minute > 0 && e->last_start + 60 / o->per_minute > due)
			due = e->last_start + 60 / o->per_minute;
		ms = due - now > 0.1 ? 100 : due - now < 0.001 ? 1 : (int)((due - now) * 1000);
		if (!eof && e->nwindow < window_max) {
			ig_lines_wait(r, ms);
		} else {
			struct timespec ts = { 0, (long)ms * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
}

int
ig_gen_run(const struct ig_gen_options *o, char **files, int nfiles)
{
	struct engine e = { 0 };
	struct ig_store store;
	struct sigaction sa = { 0 };
	int window_max = o->jobs * 4 > 64 ? o->jobs * 4 : 64;
	int fi = 0, eof = 1, status, rc;
	struct ig_lines r;
	const char *name = NULL;
	char err[512];

	e.o = o;
	e.t0 = mono();
	e.last_start = -1e9;
	e.run.backend = o->backend == IG_GEMINI ? "gemini" : o->backend == IG_OPENAI ? "openai" : "placeholder";
	e.run.max_retries = o->max_retries;
	e.run.retry_delay = o->retry_delay;
	if ((rc = ig_store_open(&store, ig_store_default(o->store), 0, err, sizeof err)))
		ig_die(IG_EXIT_SYSTEM, "%s", err);
	e.store = &store;
	e.jobs = ig_model_find(store.m, "generations");
	open_root(&e);
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
	/* a reader that goes away is a stop, not a death */
	signal(SIGPIPE, SIG_IGN);
	if (o->backend != IG_PLACEHOLDER) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || !(e.multi = curl_multi_init()))
			ig_die(IG_EXIT_SYSTEM, "curl initialisation failed");
		curl_multi_setopt(e.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)o->jobs);
	}
	for (;;) {
		/* read ahead while there is room and input ready; once stopped,
		 * read everything, to pass it on */
		while (stopping(&e) || e.nwindow < window_max) {
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
				if (!ig_lines_wait(&r, e.inflight || e.nwindow || stopping(&e) ? 0 : 200) &&
				    !(stopping(&e) && !e.inflight && !e.finishing))
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
		if (stop_signal)
			abort_inflight(&e);
		start_jobs(&e);
		if (e.inflight == 0 && e.finishing) {
			/* only answers being written: wait for them */
			ig_pool_reap(e.pool, 1);
			continue;
		}
		if (stopping(&e) && e.inflight == 0)
			leave_window(&e);
		if (eof && fi >= nfiles && e.nwindow == 0 && e.inflight == 0)
			break;
		/* about to wait: the finished files go to disk, then their
		 * records down the pipe */
		durable_flush(&e);
		fflush(stdout);
		if (ferror(stdout))
			e.reader_gone = 1;
		if (e.nlinger && mono() - e.linger_checked > 0.2)
			linger_check(&e);
		wait_for_work(&e, &r, eof, window_max);
	}
	ig_pool_free(e.pool);
	durable_flush(&e);
	settle_claims(&e);
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
	free(e.flying);
	free(e.durable);
	free(e.linger);
	close(e.root_fd);
	free(e.root);
	ig_store_close(&store);
	status = stop_signal == SIGINT ? 130 : stop_signal == SIGTERM ? 143 :
	    e.transient || e.quota || e.reader_gone ? IG_EXIT_SYSTEM :
	    e.failed || e.refused ? IG_EXIT_REJECT : IG_EXIT_OK;
	return status;
}
