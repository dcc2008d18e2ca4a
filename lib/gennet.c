/* gennet.c - transfers to the image APIs: requests, answers, retries */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "backend.h"
#include "bounds.h"
#include "engine.h"
#include "err.h"
#include "json.h"
#include "path.h"

/* strings past this are images: sent to a file as they arrive (scan.h) */
#define BIG_STRING 65536
#define RAW_BUFFER (256u << 10)

/* the scanner's sinks: a temporary file beside the output for each long string */
static int
raw_open(void *ctx, int k)
{
	struct ig_job *j = ctx;

	if (ig_tmpfile_open(&j->raw[k], j->root, j->out_abs, j->raw_err, sizeof j->raw_err) != 0) {
		j->raw_errno = errno ? errno : EIO;
		return -1;
	}
	j->nraw = k + 1;
	return 0;
}

/* the spooled characters of stream raw_k to its file: curl hands over 16
 * KiB at a time, a write each would be 128 for a 2 MB answer */
static int
raw_flush(struct ig_job *j)
{
	size_t n = j->raw_buf.len;

	j->raw_buf.len = 0;
	if (n && ig_write_all(j->raw[j->raw_k].fd, j->raw_buf.p, n) != 0) {
		j->raw_errno = errno;
		snprintf(j->raw_err, sizeof j->raw_err, "%.200s: %s", j->raw[j->raw_k].tmp, strerror(errno));
		return -1;
	}
	return 0;
}

static int
raw_write(void *ctx, int k, const unsigned char *p, size_t n)
{
	struct ig_job *j = ctx;

	if ((k != j->raw_k || j->raw_buf.len + n > RAW_BUFFER) && raw_flush(j) != 0)
		return -1;
	j->raw_k = k;
	ig_buf_add(&j->raw_buf, p, n);
	return 0;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct ig_job *j = arg;

	j->answer_bytes += size * n;
	if (j->answer_bytes > IG_ANSWER_MAX) {
		j->answer_too_big = 1;
		return 0;	/* curl reports a write error */
	}
	/* the answer's JSON is kept, its images go to disk as they come */
	if (ig_scan_feed(&j->scan, p, size * n) != 0)
		return 0;
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


/* curl rewinds a body it must send again (a reused connection found dead) */
static int
on_seek(void *arg, curl_off_t offset, int origin)
{
	struct ig_body *b = arg;

	if (origin != SEEK_SET || offset < 0 || (size_t)offset > b->total)
		return CURL_SEEKFUNC_CANTSEEK;
	b->pos = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* an OpenAI edit: its fields as form parts, then its images as files */
static void
edit_form(struct ig_job *j, jv fields)
{
	struct ig_buf text = { 0 };

	if (!(j->form = curl_mime_init(j->easy)))
		ig_die(IG_EXIT_SYSTEM, "curl_mime_init failed");
	jv_object_foreach(fields, k, v) {
		curl_mimepart *part = curl_mime_addpart(j->form);

		text.len = 0;
		if (jv_get_kind(v) == JV_KIND_STRING)
			ig_buf_adds(&text, jv_string_value(v));
		else
			ig_json_write(&text, v);
		if (!part || curl_mime_name(part, jv_string_value(k)) != CURLE_OK ||
		    curl_mime_data(part, ig_buf_str(&text), text.len) != CURLE_OK)
			ig_die(IG_EXIT_SYSTEM, "curl: out of memory");
		jv_free(k);
		jv_free(v);
	}
	for (int i = 0; i < j->ninputs; i++) {
		curl_mimepart *part = curl_mime_addpart(j->form);
		const struct ig_job_input *ji = &j->inputs[i];

		if (!part || curl_mime_name(part, strcmp(ji->role, "mask") == 0 ? "mask" : "image[]") != CURLE_OK ||
		    curl_mime_filedata(part, ji->in->path) != CURLE_OK ||
		    curl_mime_type(part, ji->in->mime) != CURLE_OK)
			ig_die(IG_EXIT_SYSTEM, "curl: cannot send %s", ji->in->path);
	}
	ig_buf_free(&text);
	jv_free(fields);
}

/* the request, its headers and the transfer's options: the same for every
 * attempt, so made once (the easy handle keeps them between attempts) */
static void
prepare_transfer(struct engine *e, struct ig_job *j)
{
	const struct ig_gen_options *o = e->o;
	struct ig_request rq = { .model = j->model, .prompt = j->prompt, .seed = j->seed, .has_seed = j->has_seed,
	    .set = &j->set, .send_image_size = j->send_image_size, .inputs = j->inputs, .ninputs = j->ninputs,
	    .passthrough = j->passthrough };
	char url[4096], hdr[1024], where[300];
	int edit = o->backend == IG_OPENAI && j->ninputs > 0;
	struct ig_scan_sink sink = { raw_open, raw_write, j };
	jv wire;

	if (!(j->easy = curl_easy_init()))
		ig_die(IG_EXIT_SYSTEM, "curl_easy_init failed");
	j->root = &e->root;
	j->out_abs = gen_out_path(e, j->output);
	ig_scan_init(&j->scan, BIG_STRING, &sink);
	if (o->backend == IG_GEMINI) {
		ig_gemini_body(&j->body, &wire, &rq);
		snprintf(where, sizeof where, "/v1beta/models/%s:generateContent", j->model);
		snprintf(hdr, sizeof hdr, "x-goog-api-key: %s", o->key ? o->key : "");
	} else {
		jv fields = ig_openai_fields(&rq, edit, &wire);

		if (edit)
			edit_form(j, fields);
		else
			ig_body_json(&j->body, fields);
		snprintf(where, sizeof where, "/v1/images/%s", edit ? "edits" : "generations");
		snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", o->key ? o->key : "");
	}
	j->wire = JV_OBJECT(jv_string("path"), jv_string(where), jv_string(edit ? "form" : "body"), wire);
	snprintf(url, sizeof url, "%s%s", o->endpoint, where);
	/* a multipart form sets its own Content-Type; no body waits for a 100 */
	if (!edit)
		j->headers = curl_slist_append(NULL, "Content-Type: application/json");
	j->headers = curl_slist_append(j->headers, "Expect:");
	j->headers = curl_slist_append(j->headers, hdr);
	memset(hdr, 0, sizeof hdr);	/* the key lives on only inside curl */
	curl_easy_setopt(j->easy, CURLOPT_URL, url);
	if (edit) {
		curl_easy_setopt(j->easy, CURLOPT_MIMEPOST, j->form);
	} else if (!j->body.ngaps) {
		/* text only: sent with the headers, in one write */
		curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->body.text.p);
		curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body.total);
	} else {
		curl_easy_setopt(j->easy, CURLOPT_POST, 1L);
		curl_easy_setopt(j->easy, CURLOPT_READFUNCTION, ig_body_read);
		curl_easy_setopt(j->easy, CURLOPT_READDATA, &j->body);
		curl_easy_setopt(j->easy, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(j->easy, CURLOPT_SEEKDATA, &j->body);
		curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body.total);
	}
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
	/* an answer is megabytes: 128 KiB a read, not curl's 16, took a
	 * sixteenth off a run at 64 in flight (bench/README.md), for 8 MiB */
	curl_easy_setopt(j->easy, CURLOPT_BUFFERSIZE, 128L << 10);
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
	j->body.pos = 0;
	ig_job_drop_raw(j);
	ig_scan_reset(&j->scan);
	j->answer_bytes = 0;
	j->raw_errno = 0;
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

	ig_buf_str(&j->scan.kept);
	if (e->o->backend == IG_GEMINI)
		ig_gemini_answer(an->http, j->scan.kept.p, j->scan.kept.len, a);
	else
		ig_openai_answer(an->http, j->scan.kept.p, j->scan.kept.len, j->header_wait, a);
	while (e->o->key && *e->o->key && (k = strstr(a->reason, e->o->key)))
		memset(k, '*', strlen(e->o->key));
}

/* on a pool thread: a 200 answer read, its image (in the answer, or in
 * the file its base64 went to) decoded, written with its provenance, and
 * hashed */
void
gen_answer_work(void *ctx, void *item, int worker)
{
	struct engine *e = ctx;
	struct answer *an = item;
	struct ig_answer *a = &an->a;
	struct ig_job *j = an->j;
	struct gen_image img = { .mime = a->mime, .model = j->model, .response_id = a->response_id };

	read_answer(e, an);
	if (a->outcome == IG_IMAGE) {
		img.cost = ig_price_of_usage(&j->set.price, a->usage, e->o->backend == IG_GEMINI);
		img.usage = a->usage;
		a->usage = jv_invalid();
		if (a->stream >= 0 && (a->stream >= j->nraw || ig_scan_bad(&j->scan, a->stream))) {
			a->outcome = IG_FAILED;
			snprintf(a->reason, sizeof a->reason, "the answer's image is not base64");
			jv_free(img.usage);
		} else if (a->stream >= 0) {
			gen_write_streamed(e, j, e->hashers[worker], &j->raw[a->stream], &img, &an->w);
		} else if (ig_answer_image(a) == 0) {
			img.p = (unsigned char *)a->image.p;
			img.n = a->image.len;
			gen_write_image(e, j, e->hashers[worker], &img, &an->w);
		} else {
			jv_free(img.usage);
		}
	}
	jv_free(a->usage);
	ig_buf_free(&a->image);
	/* the images it did not keep (thought images, a failed answer's) */
	ig_job_drop_raw(j);
	/* the main thread may be waiting on the network: done() is due */
	gen_wake(e);
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
		/* what it cost replaces what it was thought to */
		e->committed -= j->committed;
		j->committed = 0;
		if (!an->w.err[0] && an->w.cost > 0)
			e->spent += an->w.cost;
		gen_conclude_image(e, j, &an->w, 0);
		break;
	case IG_RETRY:
		if (gen_stopping(e)) {
			/* the run is stopping: the next one tries it again */
			gen_give_back(e, j, NULL);
		} else if (j->attempts <= e->o->max_retries) {
			j->not_before = mono() + ig_backoff(e->o->retry_delay, j->attempts, a->wait);
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
	case IG_DISK:
		e->transient = 1;
		ig_err_at(j->file, j->lineno, "job %s: %s (it stays queued)", j->id, a->reason);
		gen_give_back(e, j, a->reason);
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
	ig_scan_end(&an->j->scan);
	if (code == CURLE_OK && raw_flush(an->j) != 0)
		code = CURLE_WRITE_ERROR;
	/* an answer may wait its turn in the pool: not holding a buffer */
	ig_buf_free(&an->j->raw_buf);
	if (code == CURLE_OK && an->http == 200) {
		e->finishing++;
		ig_pool_submit(e->pool, an, 1);
		return;
	}
	if (code != CURLE_OK && an->j->raw_errno) {
		/* the disk's fault, not the job's: it stays queued */
		an->a.outcome = ig_errno_is_system(an->j->raw_errno) ? IG_DISK : IG_FAILED;
		snprintf(an->a.reason, sizeof an->a.reason, "%s", an->j->raw_err);
	} else if (code != CURLE_OK && an->j->answer_too_big) {
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
		jv_free(an->a.usage);
	}
	ig_job_drop_raw(an->j);
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

/* curl says which sockets to watch */
static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *ctx, void *socketp)
{
	struct engine *e = ctx;
	struct epoll_event ev = { .data.fd = fd };

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		/* curl may have closed it already: gone from the set either way */
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (epoll_ctl(e->epfd, EPOLL_CTL_MOD, fd, &ev) != 0 &&
	    (errno != ENOENT || epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) != 0))
		ig_die(IG_EXIT_SYSTEM, "epoll_ctl: %s", strerror(errno));
	return 0;
}

static int
on_timer(CURLM *multi, long ms, void *ctx)
{
	struct engine *e = ctx;

	(void)multi;
	e->timer_due = ms < 0 ? -1 : mono() + ms / 1000.0;
	return 0;
}

void
gen_net_open(struct engine *e)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if ((e->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (e->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		ig_die(IG_EXIT_SYSTEM, "epoll: %s", strerror(errno));
	ev.data.fd = e->wakefd;
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->wakefd, &ev) != 0)
		ig_die(IG_EXIT_SYSTEM, "epoll_ctl: %s", strerror(errno));
	e->timer_due = -1;
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
}

void
gen_net_close(struct engine *e)
{
	close(e->epfd);
	close(e->wakefd);
}

void
gen_wake(struct engine *e)
{
	uint64_t one = 1;

	/* a full counter is a wake-up already due */
	if (e->multi && write(e->wakefd, &one, sizeof one) < 0 && errno != EAGAIN)
		ig_die(IG_EXIT_SYSTEM, "eventfd: %s", strerror(errno));
}

/* the transfers curl has finished; how many */
static int
reap_transfers(struct engine *e)
{
	CURLMsg *msg;
	int left, n = 0;

	while ((msg = curl_multi_info_read(e->multi, &left)))
		if (msg->msg == CURLMSG_DONE) {
			transfer_done(e, msg->easy_handle, msg->data.result);
			n++;
		}
	return n;
}

/* Wait for the transfers' sockets, and act on them one at a time: a
 * transfer that ends goes back to the loop at once, so that the next
 * request starts while other answers are still being read. Waiting on
 * them all and reading every answer that is ready before looking (what
 * curl_multi_perform does) held a round's new requests back until the
 * whole round was read, and the rounds went in step (bench/README.md). */
static void
wait_for_transfers(struct engine *e)
{
	struct epoll_event ev[64];
	double now = mono();
	int n, ms = 100, running;

	if (e->timer_due >= 0)
		ms = e->timer_due <= now ? 0 : e->timer_due - now < 0.1 ? (int)((e->timer_due - now) * 1000) + 1 : 100;
	if ((n = epoll_wait(e->epfd, ev, 64, ms)) < 0 && errno != EINTR)
		ig_die(IG_EXIT_SYSTEM, "epoll_wait: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		if (ev[i].data.fd == e->wakefd) {
			uint64_t count;

			if (read(e->wakefd, &count, sizeof count) < 0 && errno != EAGAIN)
				ig_die(IG_EXIT_SYSTEM, "eventfd: %s", strerror(errno));
			continue;
		}
		curl_multi_socket_action(e->multi, ev[i].data.fd,
		    (ev[i].events & (EPOLLIN | EPOLLHUP) ? CURL_CSELECT_IN : 0) |
		    (ev[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
		    (ev[i].events & EPOLLERR ? CURL_CSELECT_ERR : 0), &running);
		if (reap_transfers(e))
			return;	/* the rest are still ready at the next wait */
	}
	if (e->timer_due >= 0 && e->timer_due <= mono()) {
		e->timer_due = -1;
		curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	reap_transfers(e);
}

/* wait for what is due: the network, a retry's time or the rate limit, or input */
void
gen_wait_for_work(struct engine *e, struct ig_lines *r, int eof, int window_max)
{
	const struct ig_gen_options *o = e->o;

	if (e->multi && e->inflight) {
		wait_for_transfers(e);
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
