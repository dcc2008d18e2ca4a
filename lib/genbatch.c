/* genbatch.c - ig-gen --batch: queued jobs submitted to the Gemini Batch API
 *
 * The jobs read are claimed and checked as online (gen.c), grouped by
 * model, and each group's requests (the online path's own bodies, keyed by
 * job id) are written to a file beside the outputs, with the jobs' lines
 * to another: memory holds a job at a time, whatever the batch's size. At
 * the end of input, or when a group's file would pass the API's limit, the
 * group becomes a remote batch: sent inline when it is small, else uploaded
 * as JSONL. Only once the batch exists are its jobs printed as running,
 * held by the batch (claimed_by remote:gemini:batches/ID, and
 * params.remote_batch), so a run stopped before that leaves them queued. A
 * group whose batch could not be made stays queued, with the reason on its
 * tasks. --collect and --cancel are in gencollect.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "engine.h"
#include "err.h"
#include "json.h"

#define KEY_PREFIX "{\"key\":\""
#define REQUEST_PREFIX "\",\"request\":"

void
gen_spool_open(struct engine *e, struct ig_tmpfile *t)
{
	char path[4200], err[512];

	snprintf(path, sizeof path, "%s/.ig-batch", e->root.path);
	if (ig_tmpfile_open(t, &e->root, path, err, sizeof err) != 0)
		ig_die(IG_EXIT_SYSTEM, "%s", err);
	/* nothing of it outlives the run, however it ends */
	if (unlinkat(t->dirfd, t->tmpname, 0) != 0)
		ig_die(IG_EXIT_SYSTEM, "%s: %s", t->tmp, strerror(errno));
}

static void
spool_write(struct ig_tmpfile *t, const void *p, size_t n)
{
	if (ig_write_all(t->fd, p, n) != 0)
		ig_die(IG_EXIT_SYSTEM, "%s: %s", t->tmp, strerror(errno));
}

void
gen_batch_connect(struct engine *e, struct ig_gbatch *g)
{
	memset(g, 0, sizeof *g);
	g->endpoint = e->o->endpoint;
	g->key = e->o->key;
	g->timeout = e->o->timeout;
	g->max_retries = e->o->max_retries;
	g->retry_delay = e->o->retry_delay;
	g->stop = &ig_gen_signal;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || ig_gbatch_init(g) != 0)
		ig_die(IG_EXIT_SYSTEM, "curl initialisation failed");
}

/* the jobs of one model, on their way to a batch */
struct group {
	char model[128];
	struct ig_tmpfile requests;	/* JSONL: {"key":ID,"request":BODY} */
	struct ig_tmpfile jobs;		/* {"attempts":N,"job":RECORD} */
	uint64_t bytes;
	long n;
	char first[IG_UUID_TEXT];
	struct ig_buf claims;		/* 16 bytes a job */
};

struct submit {
	struct engine *e;
	struct ig_gbatch g;
	struct ig_batch_api api;
	struct group *groups;
	int ngroups;
};

static struct group *
group_of(struct submit *s, const char *model)
{
	struct group *gr;

	for (int i = 0; i < s->ngroups; i++)
		if (strcmp(s->groups[i].model, model) == 0)
			return &s->groups[i];
	s->groups = ig_realloc(s->groups, (size_t)(s->ngroups + 1) * sizeof *s->groups);
	gr = &s->groups[s->ngroups++];
	memset(gr, 0, sizeof *gr);
	snprintf(gr->model, sizeof gr->model, "%s", model);
	gr->requests.fd = gr->jobs.fd = -1;
	return gr;
}

void
gen_batch_body(const struct ig_job *j, struct ig_body *body, jv *wire)
{
	struct ig_request rq = { .model = j->model, .prompt = j->prompt, .seed = j->seed, .has_seed = j->has_seed,
	    .set = &j->set, .send_image_size = j->send_image_size, .inputs = j->inputs, .ninputs = j->ninputs,
	    .passthrough = j->passthrough };

	ig_gemini_body(body, wire, &rq);
}

/* the bytes of a job's JSONL line */
static uint64_t
line_size(const struct ig_job *j, const struct ig_body *body)
{
	return strlen(KEY_PREFIX) + strlen(j->id) + strlen(REQUEST_PREFIX) + body->total + 2;
}

/* the request's body (built), as the online path sends it, after its key */
static void
write_request(struct group *gr, struct ig_job *j, struct ig_body *body)
{
	char piece[65536];
	size_t n;

	spool_write(&gr->requests, KEY_PREFIX, strlen(KEY_PREFIX));
	spool_write(&gr->requests, j->id, strlen(j->id));
	spool_write(&gr->requests, REQUEST_PREFIX, strlen(REQUEST_PREFIX));
	while ((n = ig_body_read(piece, 1, sizeof piece, body)) > 0)
		spool_write(&gr->requests, piece, n);
	spool_write(&gr->requests, "}\n", 2);
}

static void group_submit(struct submit *s, struct group *gr);

static void
group_add(struct submit *s, struct ig_job *j)
{
	struct group *gr = group_of(s, j->model);
	struct ig_buf line = { 0 };
	struct ig_body body = { 0 };
	jv wire = jv_invalid(), rec;
	uint64_t size;

	gen_batch_body(j, &body, &wire);
	ig_jv_free(wire);
	size = line_size(j, &body);
	/* a file the API takes: the group goes before it would pass the limit */
	if (gr->n && gr->bytes + size > s->api.file_max)
		group_submit(s, gr);
	if (gr->requests.fd < 0) {
		gen_spool_open(s->e, &gr->requests);
		gen_spool_open(s->e, &gr->jobs);
	}
	write_request(gr, j, &body);
	ig_body_free(&body);
	gr->bytes += size;
	rec = JV_OBJECT(jv_string("attempts"), jv_number(j->attempts), jv_string("job"), jv_copy(j->rec));
	ig_json_write(&line, rec);
	ig_jv_free(rec);
	ig_buf_addc(&line, '\n');
	spool_write(&gr->jobs, line.p, line.len);
	ig_buf_free(&line);
	if (!gr->n++)
		snprintf(gr->first, sizeof gr->first, "%s", j->id);
	ig_buf_add(&gr->claims, j->uid, 16);
	/* the claim stays until the batch's jobs are printed */
	j->claimed = 0;
	ig_job_free(j);
}

/* the inline form of the group's requests: batchGenerateContent's body */
static void
inline_body(struct group *gr, const char *display, struct ig_buf *b)
{
	struct ig_lines r;
	char *line, path[64];
	ssize_t n;
	size_t skip = strlen(KEY_PREFIX) + IG_UUID_TEXT - 1 + strlen(REQUEST_PREFIX);
	jv head = JV_OBJECT(jv_string("displayName"), jv_string(display));
	int first = 1;

	ig_buf_adds(b, "{\"batch\":");
	ig_json_write(b, head);
	ig_jv_free(head);
	b->len--;	/* the closing brace: inputConfig follows */
	ig_buf_adds(b, ",\"inputConfig\":{\"requests\":{\"requests\":[");
	snprintf(path, sizeof path, "/dev/fd/%d", gr->requests.fd);
	if (ig_lines_open(&r, path) != 0)
		ig_die(IG_EXIT_SYSTEM, "%s: %s", gr->requests.tmp, strerror(errno));
	while ((n = ig_lines_next(&r, &line)) >= 0) {
		if ((size_t)n < skip + 1)
			continue;
		if (!first)
			ig_buf_addc(b, ',');
		first = 0;
		ig_buf_adds(b, "{\"request\":");
		ig_buf_add(b, line + skip, (size_t)n - skip - 1);
		ig_buf_adds(b, ",\"metadata\":{\"key\":\"");
		ig_buf_add(b, line + strlen(KEY_PREFIX), IG_UUID_TEXT - 1);
		ig_buf_adds(b, "\"}}");
	}
	if (n == -2)
		ig_die(IG_EXIT_SYSTEM, "%s: %s", gr->requests.tmp, strerror(errno));
	ig_lines_close(&r);
	ig_buf_adds(b, "]}}}}");
}

/* the group's jobs printed: running in the batch, or, without one,
 * queued as they came, with why on their tasks */
static void
group_print(struct submit *s, struct group *gr, const char *batch, const char *reason)
{
	struct engine *e = s->e;
	struct ig_lines r;
	char *line, path[64];
	ssize_t n;

	snprintf(path, sizeof path, "/dev/fd/%d", gr->jobs.fd);
	if (ig_lines_open(&r, path) != 0)
		ig_die(IG_EXIT_SYSTEM, "%s: %s", gr->jobs.tmp, strerror(errno));
	while ((n = ig_lines_next(&r, &line)) >= 0) {
		char err[256];
		jv v = ig_json_parse(line, (size_t)n, err, sizeof err);
		jv attempts = ig_get(v, "attempts");
		struct ig_job *j = ig_job_new(ig_get(v, "job"), "batch", r.lineno);

		j->attempts = ig_kind(attempts) == JV_KIND_NUMBER ? (int)jv_number_value(attempts) : 0;
		ig_jv_free(attempts);
		ig_jv_free(v);
		if (batch) {
			snprintf(j->remote_batch, sizeof j->remote_batch, "%s", batch);
			snprintf(j->remote_api, sizeof j->remote_api, "%s", s->api.name);
			gen_emit(e, ig_job_at(j, IG_STAGE_WORKING));
			j->attempts++;
			j->last_attempt_us = ig_now_us();
			gen_emit(e, ig_job_task(j, &e->run, IG_STAGE_WORKING, jv_null()));
			e->done++;
		} else {
			snprintf(j->last_error, sizeof j->last_error, "%s", reason);
			gen_emit(e, jv_copy(j->rec));
			gen_emit(e, ig_job_task(j, &e->run, IG_STAGE_READY, jv_null()));
		}
		ig_job_free(j);
	}
	if (n == -2)
		ig_die(IG_EXIT_SYSTEM, "%s: %s", gr->jobs.tmp, strerror(errno));
	ig_lines_close(&r);
	for (size_t i = 0; i + 16 <= gr->claims.len; i += 16)
		gen_linger_id(e, (const uint8_t *)gr->claims.p + i);
}

static void
group_reset(struct group *gr)
{
	ig_tmpfile_abandon(&gr->requests);
	ig_tmpfile_abandon(&gr->jobs);
	gr->requests.fd = gr->jobs.fd = -1;
	gr->bytes = 0;
	gr->n = 0;
	gr->claims.len = 0;
}

/* the group becomes a remote batch, or stays queued */
static void
group_submit(struct submit *s, struct group *gr)
{
	struct engine *e = s->e;
	struct ig_gbatch_result res = { IG_IMAGE, "" };
	char display[256], file[200] = "", batch[200] = "";
	struct stat st;
	int rc = 0;

	if (!gr->n)
		return;
	snprintf(display, sizeof display, "ig %s %ld jobs from %s", gr->model, gr->n, gr->first);
	if (fstat(gr->requests.fd, &st) != 0)
		ig_die(IG_EXIT_SYSTEM, "%s: %s", gr->requests.tmp, strerror(errno));
	if (e->quota || ig_gen_signal) {
		rc = -1;
		snprintf(res.reason, sizeof res.reason, "%s", e->quota ? "the day's quota is spent" : "stopped");
	} else if ((uint64_t)st.st_size + 4096 + (uint64_t)gr->n * 64 < s->api.inline_max) {
		struct ig_buf body = { 0 };

		inline_body(gr, display, &body);
		rc = ig_gbatch_create(&s->g, gr->model, display, NULL, body.p, body.len, batch, sizeof batch, &res);
		ig_buf_free(&body);
	} else {
		rc = ig_gbatch_upload(&s->g, gr->requests.fd, (uint64_t)st.st_size, s->api.file_mime, display, file,
		    sizeof file, &res);
		if (rc == 0)
			rc = ig_gbatch_create(&s->g, gr->model, display, file, NULL, 0, batch, sizeof batch, &res);
	}
	if (rc != 0) {
		if (res.outcome == IG_QUOTA && !e->quota)
			ig_warn("%s: stopping, the remaining jobs stay queued", res.reason);
		if (res.outcome == IG_QUOTA)
			e->quota = 1;
		else if (!ig_gen_signal)
			ig_warn("a batch of %ld %s jobs could not be made: %s; they stay queued", gr->n, gr->model,
			    res.reason);
		e->transient = 1;
	}
	group_print(s, gr, rc == 0 ? batch : NULL, res.reason);
	group_reset(gr);
}

/* a job read: checked as online, then into its model's group */
static void
submit_job(struct submit *s, struct ig_job *j)
{
	struct engine *e = s->e;
	char err[512];

	if (!gen_claim(e, j)) {
		ig_job_free(j);
		return;
	}
	if (!gen_paths_ok(e, j, err, sizeof err)) {
		gen_fail_job(e, j, err);
	} else if (!gen_model_name_ok(j->model)) {
		gen_fail_job(e, j, "params.model is not a model name (letters, digits, '.', '-', '_')");
	} else if (gen_prepare_job(e, j, err, sizeof err)) {
		gen_fail_job(e, j, err);
	} else if (!j->set.batch) {
		snprintf(err, sizeof err, "the Batch API does not serve %s (db/models.json)", j->model);
		gen_fail_job(e, j, err);
	} else {
		/* the budget counts the Batch API's price */
		gen_batch_price(j, &s->api);
		if (e->o->budget > 0 && !gen_within_budget(e, j))
			gen_give_back(e, j, NULL);
		else
			group_add(s, j);
	}
}

void
gen_batch_price(struct ig_job *j, const struct ig_batch_api *api)
{
	struct ig_price *p = &j->set.price;
	double *v[] = { &p->per_image, &p->input_text, &p->input_image, &p->output_image };

	if (j->priced_batch)
		return;
	j->priced_batch = 1;
	for (size_t i = 0; i < sizeof v / sizeof *v; i++)
		if (*v[i] >= 0)
			*v[i] *= api->price_factor;
}

static void
submit_line(void *ctx, const char *name, long lineno, char *line, size_t n)
{
	struct submit *s = ctx;
	struct ig_job *j = gen_job_of_line(s->e, name, lineno, line, n);

	if (j)
		submit_job(s, j);
	fflush(stdout);
}

int
gen_batch_submit(struct engine *e, char **files, int nfiles)
{
	struct submit s = { .e = e };

	if (ig_batch_api_of(IG_API_GEMINI, &s.api) != 0)
		ig_die(IG_EXIT_SYSTEM, "db/models.json has no Batch API for gemini");
	/* no more than the API takes, whatever --inline-max asks */
	if (e->o->inline_max >= 0 && e->o->inline_max < (double)s.api.inline_max)
		s.api.inline_max = (uint64_t)e->o->inline_max;
	gen_batch_connect(e, &s.g);
	e->refused += ig_lines_each(files, nfiles, submit_line, &s);
	for (int i = 0; i < s.ngroups; i++) {
		group_submit(&s, &s.groups[i]);
		ig_buf_free(&s.groups[i].claims);
	}
	free(s.groups);
	ig_gbatch_free(&s.g);
	curl_global_cleanup();
	return 0;
}

int
gen_batch_run(const struct ig_gen_options *o, char **files, int nfiles)
{
	struct engine e = { 0 };
	struct ig_store store;

	gen_engine_open(&e, o, &store);
	gen_catch_signals();
	if (o->batch == IG_BATCH_SUBMIT)
		gen_batch_submit(&e, files, nfiles);
	else
		gen_batch_collect(&e, files, nfiles);
	gen_durable_flush(&e);
	gen_settle_claims(&e);
	gen_engine_close(&e);
	return gen_exit_status(&e);
}
