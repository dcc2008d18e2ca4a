/* gembatch.c - the Gemini Batch API's calls (gembatch.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "gembatch.h"
#include "json.h"
#include "path.h"

#define ERROR_BODY_MAX (1u << 20)	/* of an answer other than 200, kept to read why */

struct call {
	const char *method;
	char url[4096];
	struct curl_slist *headers;
	const char *body;		/* a body in memory, */
	size_t body_len;
	int fd;				/* or one read from a file, or -1 */
	uint64_t fd_size, fd_at;
	ig_gbatch_sink sink;
	void *ctx;
	int stream;			/* a long answer: a stall ends it, not a timeout */
	/* the answer */
	long http;
	int sunk;			/* bytes reached the sink: no second try */
	int sink_failed;
	struct ig_buf err;
	char upload_url[2048];
	double header_wait;
	struct ig_gbatch *g;
};

int
ig_gbatch_init(struct ig_gbatch *g)
{
	return (g->easy = curl_easy_init()) ? 0 : -1;
}

void
ig_gbatch_free(struct ig_gbatch *g)
{
	if (g->easy)
		curl_easy_cleanup(g->easy);
	g->easy = NULL;
}

int
ig_gbatch_name_ok(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(name, prefix, n) != 0 || !name[n] || strlen(name) > 180 || strstr(name, ".."))
		return 0;
	for (const char *p = name + n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.'))
			return 0;
	return 1;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct call *c = arg;
	size_t len = size * n;

	curl_easy_getinfo(c->g->easy, CURLINFO_RESPONSE_CODE, &c->http);
	if (c->http != 200) {
		if (c->err.len + len <= ERROR_BODY_MAX)
			ig_buf_add(&c->err, p, len);
		return len;
	}
	if (!c->sink)
		return len;
	c->sunk = 1;
	if (c->sink(c->ctx, p, len) != 0) {
		c->sink_failed = 1;
		return 0;
	}
	return len;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct call *c = arg;
	size_t len = size * n, k;

	if (len > 18 && strncasecmp(p, "x-goog-upload-url:", 18) == 0) {
		for (k = 18; k < len && (p[k] == ' ' || p[k] == '\t'); k++)
			;
		snprintf(c->upload_url, sizeof c->upload_url, "%.*s", (int)(len - k), p + k);
		c->upload_url[strcspn(c->upload_url, "\r\n")] = '\0';
	} else if (len > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
		c->header_wait = strtod(p + 12, NULL);
	}
	return len;
}

static size_t
on_read(char *dst, size_t size, size_t n, void *arg)
{
	struct call *c = arg;
	size_t want = size * n;
	ssize_t got;

	if (c->fd_at >= c->fd_size)
		return 0;
	if (want > c->fd_size - c->fd_at)
		want = (size_t)(c->fd_size - c->fd_at);
	if ((got = ig_pread_full(c->fd, dst, want, (off_t)c->fd_at)) <= 0)
		return CURL_READFUNC_ABORT;
	c->fd_at += (uint64_t)got;
	return (size_t)got;
}

static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct call *c = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	return c->g->stop && *c->g->stop;
}

/* the call's headers: the key's among them, then wiped here */
static void
add_key(struct ig_gbatch *g, struct call *c)
{
	char hdr[1024];

	snprintf(hdr, sizeof hdr, "x-goog-api-key: %s", g->key ? g->key : "");
	c->headers = curl_slist_append(c->headers, hdr);
	memset(hdr, 0, sizeof hdr);
}

static void
wipe_key(struct ig_gbatch *g, char *s)
{
	char *k;

	while (g->key && *g->key && (k = strstr(s, g->key)))
		memset(k, '*', strlen(g->key));
}

static void
setup(struct ig_gbatch *g, struct call *c)
{
	CURL *h = g->easy;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	if (c->stream) {
		/* a responses file may take longer than any timeout: only a
		 * transfer that stalls for the timeout ends */
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, g->timeout);
	} else {
		curl_easy_setopt(h, CURLOPT_TIMEOUT, g->timeout);
	}
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 128L << 10);
	if (strcmp(c->method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (c->fd >= 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, c);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->fd_size);
	} else {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body ? c->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
	}
}

static void
pause_for(struct ig_gbatch *g, double seconds)
{
	double until = (double)time(NULL) + seconds;

	while (!(g->stop && *g->stop) && (double)time(NULL) < until) {
		struct timespec ts = { 0, 100000000L };

		nanosleep(&ts, NULL);
	}
}

/* the call made, tried again while the API asks for it; 0 on 200 */
static int
perform(struct ig_gbatch *g, struct call *c, struct ig_gbatch_result *r)
{
	for (int attempt = 1;; attempt++) {
		struct ig_answer a = { 0 };
		CURLcode code;

		c->http = 0;
		c->sunk = c->sink_failed = 0;
		c->err.len = 0;
		c->fd_at = 0;
		c->header_wait = -1;
		c->upload_url[0] = '\0';
		setup(g, c);
		code = curl_easy_perform(g->easy);
		curl_easy_getinfo(g->easy, CURLINFO_RESPONSE_CODE, &c->http);
		if (code == CURLE_OK && c->http == 200)
			return 0;
		if (c->sink_failed) {
			/* the caller's sink knows why */
			r->outcome = IG_DISK;
			snprintf(r->reason, sizeof r->reason, "%.400s: the answer could not be kept", c->url);
			return -1;
		}
		if (code != CURLE_OK) {
			a.outcome = g->stop && *g->stop ? IG_FAILED : IG_RETRY;
			a.wait = -1;
			snprintf(a.reason, sizeof a.reason, "%s", curl_easy_strerror(code));
		} else {
			ig_buf_str(&c->err);
			ig_gemini_answer(c->http, c->err.p, c->err.len, &a);
			jv_free(a.usage);
			ig_buf_free(&a.image);
			if (a.wait < 0)
				a.wait = c->header_wait;
		}
		wipe_key(g, a.reason);
		r->outcome = a.outcome;
		snprintf(r->reason, sizeof r->reason, "%s", a.reason);
		/* what reached the sink cannot be taken back: the caller decides */
		if (a.outcome != IG_RETRY || c->sunk || attempt > g->max_retries || (g->stop && *g->stop))
			return -1;
		pause_for(g, ig_backoff(g->retry_delay, attempt, a.wait));
	}
}

static void
call_begin(struct ig_gbatch *g, struct call *c, const char *method)
{
	memset(c, 0, sizeof *c);
	c->g = g;
	c->method = method;
	c->fd = -1;
	add_key(g, c);
	c->headers = curl_slist_append(c->headers, "Expect:");
}

static void
call_end(struct call *c)
{
	curl_slist_free_all(c->headers);
	ig_buf_free(&c->err);
}

/* a small JSON answer's string at a path, into out */
static int
answer_name(const char *body, size_t n, const char *a, const char *b, const char *prefix, char *out,
    size_t outlen, struct ig_gbatch_result *r)
{
	char err[256];
	jv v = ig_json_parse(body, n, err, sizeof err), x = ig_get(v, a), y = b ? ig_get(x, b) : jv_copy(x);
	int ok = ig_kind(y) == JV_KIND_STRING && ig_gbatch_name_ok(jv_string_value(y), prefix);

	if (ok)
		snprintf(out, outlen, "%s", jv_string_value(y));
	ig_jv_free(y);
	ig_jv_free(x);
	ig_jv_free(v);
	if (!ok) {
		r->outcome = IG_FAILED;
		snprintf(r->reason, sizeof r->reason, "the answer names no %s...", prefix);
	}
	return ok ? 0 : -1;
}

static int
keep(void *ctx, const char *p, size_t n)
{
	struct ig_buf *b = ctx;

	if (b->len + n > ERROR_BODY_MAX)
		return -1;
	ig_buf_add(b, p, n);
	return 0;
}

int
ig_gbatch_upload(struct ig_gbatch *g, int fd, uint64_t size, const char *mime, const char *display,
    char *name, size_t n, struct ig_gbatch_result *r)
{
	struct call c;
	struct ig_buf meta = { 0 }, answer = { 0 };
	char hdr[300], upload[2048];
	jv m = JV_OBJECT(jv_string("file"), JV_OBJECT(jv_string("display_name"), jv_string(display)));
	int rc;

	ig_json_write(&meta, m);
	ig_jv_free(m);
	call_begin(g, &c, "POST");
	snprintf(c.url, sizeof c.url, "%s/upload/v1beta/files", g->endpoint);
	c.headers = curl_slist_append(c.headers, "X-Goog-Upload-Protocol: resumable");
	c.headers = curl_slist_append(c.headers, "X-Goog-Upload-Command: start");
	snprintf(hdr, sizeof hdr, "X-Goog-Upload-Header-Content-Length: %llu", (unsigned long long)size);
	c.headers = curl_slist_append(c.headers, hdr);
	snprintf(hdr, sizeof hdr, "X-Goog-Upload-Header-Content-Type: %s", mime);
	c.headers = curl_slist_append(c.headers, hdr);
	c.headers = curl_slist_append(c.headers, "Content-Type: application/json");
	c.body = meta.p;
	c.body_len = meta.len;
	rc = perform(g, &c, r);
	snprintf(upload, sizeof upload, "%s", c.upload_url);
	call_end(&c);
	ig_buf_free(&meta);
	if (rc)
		return -1;
	/* the key goes only where it came from */
	if (strncmp(upload, g->endpoint, strlen(g->endpoint)) != 0 || upload[strlen(g->endpoint)] != '/') {
		r->outcome = IG_FAILED;
		snprintf(r->reason, sizeof r->reason, "the upload's start answered no x-goog-upload-url under %s",
		    g->endpoint);
		return -1;
	}
	call_begin(g, &c, "POST");
	snprintf(c.url, sizeof c.url, "%s", upload);
	c.headers = curl_slist_append(c.headers, "X-Goog-Upload-Offset: 0");
	c.headers = curl_slist_append(c.headers, "X-Goog-Upload-Command: upload, finalize");
	c.fd = fd;
	c.fd_size = size;
	c.sink = keep;
	c.ctx = &answer;
	rc = perform(g, &c, r);
	call_end(&c);
	if (rc == 0)
		rc = answer_name(answer.p, answer.len, "file", "name", "files/", name, n, r);
	ig_buf_free(&answer);
	return rc;
}

int
ig_gbatch_create(struct ig_gbatch *g, const char *model, const char *display, const char *file,
    const char *body, size_t len, char *name, size_t n, struct ig_gbatch_result *r)
{
	struct call c;
	struct ig_buf made = { 0 }, answer = { 0 };
	int rc;

	if (file) {
		jv b = JV_OBJECT(jv_string("batch"), JV_OBJECT(jv_string("displayName"), jv_string(display),
		    jv_string("inputConfig"), JV_OBJECT(jv_string("fileName"), jv_string(file))));

		ig_json_write(&made, b);
		ig_jv_free(b);
		body = made.p;
		len = made.len;
	}
	call_begin(g, &c, "POST");
	snprintf(c.url, sizeof c.url, "%s/v1beta/models/%s:batchGenerateContent", g->endpoint, model);
	c.headers = curl_slist_append(c.headers, "Content-Type: application/json");
	c.body = body;
	c.body_len = len;
	c.sink = keep;
	c.ctx = &answer;
	rc = perform(g, &c, r);
	call_end(&c);
	ig_buf_free(&made);
	/* an Operation: its metadata is the batch, whose name is the batch's */
	if (rc == 0 && answer_name(answer.p, answer.len, "metadata", "name", "batches/", name, n, r) != 0)
		rc = answer_name(answer.p, answer.len, "name", NULL, "batches/", name, n, r);
	ig_buf_free(&answer);
	return rc;
}

/* a GET whose 200 answer goes to sink */
static int
get_to(struct ig_gbatch *g, const char *url, ig_gbatch_sink sink, void *ctx, struct ig_gbatch_result *r)
{
	struct call c;
	int rc;

	call_begin(g, &c, "GET");
	snprintf(c.url, sizeof c.url, "%s", url);
	c.sink = sink;
	c.ctx = ctx;
	c.stream = 1;
	rc = perform(g, &c, r);
	call_end(&c);
	return rc;
}

int
ig_gbatch_get(struct ig_gbatch *g, const char *batch, ig_gbatch_sink sink, void *ctx,
    struct ig_gbatch_result *r)
{
	char url[4096];

	snprintf(url, sizeof url, "%s/v1beta/%s", g->endpoint, batch);
	return get_to(g, url, sink, ctx, r);
}

int
ig_gbatch_download(struct ig_gbatch *g, const char *file, ig_gbatch_sink sink, void *ctx,
    struct ig_gbatch_result *r)
{
	char url[4096];

	snprintf(url, sizeof url, "%s/download/v1beta/%s:download?alt=media", g->endpoint, file);
	return get_to(g, url, sink, ctx, r);
}

int
ig_gbatch_cancel(struct ig_gbatch *g, const char *batch, struct ig_gbatch_result *r)
{
	struct call c;
	int rc;

	call_begin(g, &c, "POST");
	snprintf(c.url, sizeof c.url, "%s/v1beta/%s:cancel", g->endpoint, batch);
	c.headers = curl_slist_append(c.headers, "Content-Type: application/json");
	c.body = "{}";
	c.body_len = 2;
	rc = perform(g, &c, r);
	call_end(&c);
	return rc;
}
