/* gennet.c - transfers to the image APIs: requests, answers, retries */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <math.h>
#include <strings.h>
#include <sys/random.h>

#include "backend.h"
#include "bounds.h"
#include "engine.h"
#include "err.h"
#include "json.h"
#include "path.h"

/* the most of an answer's buffer its Content-Length alone can claim */
#define ANSWER_PREGROW ((curl_off_t)32 << 20)

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct ig_job *j = arg;

	if (j->answer.len + size * n > IG_ANSWER_MAX) {
		j->answer_too_big = 1;
		return 0;	/* curl reports a write error */
	}
	if (j->answer.len == 0) {
		curl_off_t total = -1;

		/* room for the whole answer at once: growing by doubling
		 * copies a 2 MB answer twice over; but a length is a claim,
		 * so no more than ANSWER_PREGROW is taken on its word */
		curl_easy_getinfo(j->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total);
		if (total > 0)
			ig_buf_grow(&j->answer, (size_t)(total < ANSWER_PREGROW ? total : ANSWER_PREGROW) + 1);
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
		if (j->placeholder) {
			char *pp = gen_out_path(e, j->placeholder);
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
void
gen_attempt(struct engine *e, struct ig_job *j)
{
	j->attempts++;
	j->last_attempt_us = ig_now_us();
	gen_emit(e, ig_job_task(j, &e->run, IG_STAGE_WORKING, jv_null()));
}

void
gen_start_transfer(struct engine *e, struct ig_job *j)
{
	if (!j->easy)
		prepare_transfer(e, j);
	gen_attempt(e, j);
	j->answer.len = 0;
	j->answer_too_big = 0;
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
void
gen_answer_work(void *ctx, void *item, int worker)
{
	struct engine *e = ctx;
	struct answer *an = item;
	struct ig_answer *a = &an->a;

	read_answer(e, an);
	if (a->outcome == IG_IMAGE && ig_answer_image(a) == 0)
		gen_write_image(e, an->j, e->hashers[worker], (unsigned char *)a->image.p, a->image.len,
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
		gen_conclude_image(e, j, &an->w, 0);
		break;
	case IG_RETRY:
		if (gen_stopping(e)) {
			/* the run is stopping: the next one tries it again */
			gen_give_back(e, j, NULL);
		} else if (j->attempts <= e->o->max_retries) {
			j->not_before = mono() + backoff(e->o, j->attempts, a->wait);
			gen_emit(e, ig_job_task(j, &e->run, IG_STAGE_READY, jv_null()));
			gen_window_add(e, j);
		} else {
			/* what failed says nothing of the job: a later run tries again */
			e->transient = 1;
			ig_err_at(j->file, j->lineno, "job %s: %s, after %d attempts (it stays queued)",
			    j->id, a->reason, j->attempts);
			gen_give_back(e, j, NULL);
		}
		break;
	case IG_QUOTA:
		/* the day's quota is gone: this job and the rest stay queued */
		if (!e->quota)
			ig_warn("%s: stopping, the remaining jobs stay queued", a->reason);
		e->quota = 1;
		gen_give_back(e, j, NULL);
		break;
	case IG_FAILED:
		gen_fail_job(e, j, a->reason);
		break;
	}
	ig_buf_free(&a->image);
	free(an);
	gen_progress(e);
}

void
gen_answer_done(void *ctx, void *item)
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
	if (code != CURLE_OK && an->j->answer_too_big) {
		/* the same request would get the same answer */
		an->a.outcome = IG_FAILED;
		snprintf(an->a.reason, sizeof an->a.reason,
		    "the answer is more than %zu MiB, the largest answer (see ig(7), RESOURCE LIMITS)",
		    IG_ANSWER_MAX >> 20);
	} else if (code != CURLE_OK) {
		an->a.outcome = IG_RETRY;
		an->a.wait = -1;
		snprintf(an->a.reason, sizeof an->a.reason, "transport: %s", curl_easy_strerror(code));
	} else {
		read_answer(e, an);
	}
	settle(e, an);
}

/* transfers cut short by a signal: their jobs go back */
void
gen_abort_inflight(struct engine *e)
{
	while (e->nflying) {
		struct ig_job *j = e->flying[--e->nflying];

		curl_multi_remove_handle(e->multi, j->easy);
		e->inflight--;
		gen_give_back(e, j, "the run was stopped");
	}
}

/* wait for what is due: the network, a retry's time or the rate limit, or input */
void
gen_wait_for_work(struct engine *e, struct ig_lines *r, int eof, int window_max)
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

/* A model's name goes into Gemini's URL path: only a model id's characters
 * may, so that no name can turn the request into another (../, ?, #). */
int
gen_model_name_ok(const char *name)
{
	size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_");

	return n > 0 && name[n] == '\0' && strstr(name, "..") == NULL;
}
