/* gencollect.c - ig-gen --collect and --cancel: remote batches settled
 *
 * The job lines read name their batches (params.remote_batch); each batch
 * is polled once a run. Waiting, its lines pass on as they came. Ended
 * without results (failed, cancelled, expired), every job the store says
 * it holds goes back to queued, the state on its task. Succeeded, its
 * results are read as they arrive, a JSONL line or an inlined response at
 * a time: the images' base64 goes to a spool file beside the outputs (one
 * whose name is gone at once), and the pool decodes each into its file
 * exactly as an online answer is (genfile.c), with the records held until
 * the files are on disk. The batch's jobs come from the store, not from
 * the lines: a result whose job the store no longer says the batch holds
 * (collected already) changes nothing, and a job with no result ends in
 * error once the results are whole. A run stopped half-way leaves what it
 * had not written held by the batch, for the next run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "err.h"
#include "json.h"
#include "record.h"

#define BIG_STRING 65536
#define SPOOL_BUFFER (256u << 10)
#define SPOOL_ROTATE ((off_t)256 << 20)	/* a spool this long is left to drain, a new one begun */

/* the base64 of results' images, as it came */
struct spool {
	struct ig_tmpfile t;
	off_t len;		/* in the file */
	struct ig_buf buf;	/* not yet */
	int refs;		/* results in the pool reading it */
	int current;		/* still written to */
};

struct range {
	off_t off, len;
};

struct batch {
	char name[200], holder[300], state[64];
	enum ig_batch_action action;
	int unsettled;		/* the poll failed, or results were cut short: its lines pass on */
	struct ig_buf ids;	/* its jobs in the store, 16 bytes each, sorted */
	struct ig_buf mark;	/* a byte a job: 1 its result was seen, 2 this run settled it */
};

struct collect {
	struct engine *e;
	struct ig_gbatch g;
	struct ig_batch_api api;
	struct batch **batches;
	int nbatches;
	struct batch *b;		/* being settled */
	struct spool *sp;
	struct ig_scan scan;
	struct range *ranges;		/* the scan's long strings */
	int nranges, capranges;
	long lineno;			/* in the results */
	int too_long;
	int failed;			/* the spool could not be written */
	char why[300];
};

/* a result on its way through the pool */
struct item {
	struct ig_job *j;
	struct spool *sp;
	struct range r;
	struct ig_buf bytes;		/* or a small image, decoded */
	struct gen_image img;
	char mime[64], response_id[128];
	struct written w;
};

static struct spool *
spool_new(struct collect *c)
{
	struct spool *sp = ig_malloc(sizeof *sp);

	memset(sp, 0, sizeof *sp);
	gen_spool_open(c->e, &sp->t);
	sp->current = 1;
	return sp;
}

static void
spool_drop(struct spool *sp)
{
	if (sp->refs || sp->current)
		return;
	ig_tmpfile_abandon(&sp->t);
	ig_buf_free(&sp->buf);
	free(sp);
}

static int
spool_flush(struct collect *c)
{
	struct spool *sp = c->sp;

	if (sp->buf.len && ig_write_all(sp->t.fd, sp->buf.p, sp->buf.len) != 0) {
		snprintf(c->why, sizeof c->why, "%.200s: %s", sp->t.tmp, strerror(errno));
		c->failed = 1;
		return -1;
	}
	sp->len += (off_t)sp->buf.len;
	sp->buf.len = 0;
	return 0;
}

static int
sink_open(void *ctx, int k)
{
	struct collect *c = ctx;

	if (k != c->nranges)
		return -1;
	if (c->nranges == c->capranges) {
		c->capranges = c->capranges ? c->capranges * 2 : 8;
		c->ranges = ig_realloc(c->ranges, (size_t)c->capranges * sizeof *c->ranges);
	}
	c->ranges[c->nranges].off = c->sp->len + (off_t)c->sp->buf.len;
	c->ranges[c->nranges++].len = 0;
	return 0;
}

static int
sink_write(void *ctx, int k, const unsigned char *p, size_t n)
{
	struct collect *c = ctx;

	if (c->sp->buf.len + n > SPOOL_BUFFER && spool_flush(c) != 0)
		return -1;
	ig_buf_add(&c->sp->buf, p, n);
	c->ranges[k].len += (off_t)n;
	return 0;
}

static int
id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* where the batch's job is among its ids, or -1 */
static long
job_index(const struct batch *b, const uint8_t id[16])
{
	const uint8_t *p = b->ids.len ? bsearch(id, b->ids.p, b->ids.len / 16, 16, id_cmp) : NULL;

	return p ? (long)((p - (const uint8_t *)b->ids.p) / 16) : -1;
}

/* the store's job at the batch's index i, claimed for this run, or NULL */
static struct ig_job *
claim_job(struct collect *c, long i, const char *file, long lineno)
{
	struct batch *b = c->b;
	jv rec = gen_stored_job(c->e, (uint8_t *)b->ids.p + i * 16);
	struct ig_job *j;

	if (!jv_is_valid(rec))
		return NULL;
	j = ig_job_new(rec, file, lineno);
	snprintf(j->remote_batch, sizeof j->remote_batch, "%s", b->name);
	snprintf(j->remote_api, sizeof j->remote_api, "%s", c->api.name);
	j->started = 1;
	if (!gen_claim_held(c->e, j, b->holder)) {
		ig_job_free(j);
		return NULL;
	}
	b->mark.p[i] = 2;
	return j;
}

static void
collect_work(void *ctx, void *item, int worker)
{
	struct engine *e = ctx;
	struct item *it = item;

	if (it->bytes.len) {
		it->img.p = (unsigned char *)it->bytes.p;
		it->img.n = it->bytes.len;
		gen_write_image(e, it->j, e->hashers[worker], &it->img, &it->w);
	} else {
		gen_write_spooled(e, it->j, e->hashers[worker], it->sp->t.fd, it->sp->t.tmp, it->r.off, it->r.len,
		    &it->img, &it->w);
	}
}

static void
collect_done(void *ctx, void *item)
{
	struct engine *e = ctx;
	struct item *it = item;

	e->finishing--;
	if (it->sp) {
		it->sp->refs--;
		spool_drop(it->sp);
	}
	if (!it->w.err[0] && it->w.cost > 0)
		e->spent += it->w.cost;
	gen_conclude_image(e, it->j, &it->w, 0);
	ig_buf_free(&it->bytes);
	free(it);
}

/* a job's result: its image to the pool, or the job's end */
static void
take_result(struct collect *c, struct ig_job *j, struct ig_answer *a)
{
	struct engine *e = c->e;
	struct item *it;
	char err[512];
	struct ig_body body = { 0 };

	if (gen_prepare_job(e, j, err, sizeof err)) {
		jv_free(a->usage);
		gen_fail_job(e, j, err);
		return;
	}
	gen_batch_price(j, &c->api);
	gen_batch_body(j, &body, &j->wire);
	ig_body_free(&body);
	{
		char where[300];

		snprintf(where, sizeof where, "/v1beta/models/%s:batchGenerateContent", j->model);
		j->wire = JV_OBJECT(jv_string("path"), jv_string(where), jv_string("batch"), jv_string(c->b->name),
		    jv_string("body"), j->wire);
	}
	if (a->outcome == IG_IMAGE && a->stream >= 0 && (a->stream >= c->nranges || ig_scan_bad(&c->scan, a->stream))) {
		a->outcome = IG_FAILED;
		snprintf(a->reason, sizeof a->reason, "the answer's image is not base64");
	}
	if (a->outcome == IG_RETRY || a->outcome == IG_QUOTA) {
		/* a try that did not happen: the job is runnable again */
		jv_free(a->usage);
		ig_err_at(j->file, j->lineno, "job %s: %s (it is queued again)", j->id, a->reason);
		gen_give_back(e, j, a->reason);
		return;
	}
	if (a->outcome != IG_IMAGE) {
		jv_free(a->usage);
		gen_fail_job(e, j, a->reason);
		return;
	}
	it = ig_malloc(sizeof *it);
	memset(it, 0, sizeof *it);
	it->j = j;
	snprintf(it->mime, sizeof it->mime, "%s", a->mime);
	snprintf(it->response_id, sizeof it->response_id, "%s", a->response_id);
	it->img = (struct gen_image){ .mime = it->mime, .model = j->model, .response_id = it->response_id,
	    .usage = a->usage, .cost = ig_price_of_usage(&j->set.price, a->usage, 1) };
	a->usage = jv_invalid();
	if (a->stream >= 0) {
		it->sp = c->sp;
		it->sp->refs++;
		it->r = c->ranges[a->stream];
	} else {
		it->bytes = a->image;
		a->image = (struct ig_buf){ 0 };
	}
	e->finishing++;
	ig_pool_submit(e->pool, it, 1);
}

/* an entry of the results: a JSONL line, or an inlined response */
static void
take_entry(struct collect *c, jv entry, long lineno)
{
	struct ig_answer a = { 0 };
	char key[64];
	uint8_t id[16];
	long i;
	struct ig_job *j;

	ig_gemini_batch_entry(entry, &a, key, sizeof key);
	i = ig_uuid_parse(key, id) == 0 ? job_index(c->b, id) : -1;
	/* not the batch's, or collected already: nothing changes */
	if (i < 0 || c->b->mark.p[i]) {
		jv_free(a.usage);
		ig_buf_free(&a.image);
		return;
	}
	c->b->mark.p[i] = 1;
	if (!(j = claim_job(c, i, c->b->name, lineno))) {
		jv_free(a.usage);
		ig_buf_free(&a.image);
		return;
	}
	take_result(c, j, &a);
	ig_buf_free(&a.image);
}

static void
line_end(struct collect *c)
{
	char err[256];

	c->lineno++;
	ig_scan_end(&c->scan);
	if (spool_flush(c) == 0 && c->too_long) {
		ig_err_at(c->b->name, c->lineno, "a result line past %zu bytes of JSON: left out", (size_t)IG_LINE_MAX);
		c->e->refused++;
	} else if (!c->failed && c->scan.kept.len) {
		jv v = ig_json_parse(ig_buf_str(&c->scan.kept), c->scan.kept.len, err, sizeof err);

		if (ig_kind(v) == JV_KIND_OBJECT) {
			take_entry(c, v, c->lineno);
		} else {
			ig_err_at(c->b->name, c->lineno, "a result line that is no JSON object: %s", err);
			c->e->refused++;
			ig_jv_free(v);
		}
	}
	ig_scan_reset(&c->scan);
	c->nranges = 0;
	c->too_long = 0;
	if (c->sp->len > SPOOL_ROTATE && !c->failed) {
		c->sp->current = 0;
		spool_drop(c->sp);
		c->sp = spool_new(c);
	}
	/* finished images leave as they come */
	ig_pool_reap(c->e->pool, 0);
	gen_durable_flush(c->e);
	fflush(stdout);
}

/* the responses file, as it arrives: a line at a time */
static int
on_results(void *ctx, const char *p, size_t n)
{
	struct collect *c = ctx;

	while (n && !c->failed && !ig_gen_signal) {
		const char *nl = memchr(p, '\n', n);
		size_t m = nl ? (size_t)(nl - p) : n;

		if (!c->too_long && ig_scan_feed(&c->scan, p, m) != 0)
			c->failed = 1;
		if (c->scan.kept.len > IG_LINE_MAX)
			c->too_long = 1;
		if (nl) {
			line_end(c);
			m++;
		}
		p += m;
		n -= m;
	}
	return c->failed || ig_gen_signal ? -1 : 0;
}

static int
on_answer(void *ctx, const char *p, size_t n)
{
	struct collect *c = ctx;

	if (ig_scan_feed(&c->scan, p, n) != 0)
		c->failed = 1;
	else if (c->scan.kept.len > IG_LINE_MAX)
		snprintf(c->why, sizeof c->why, "the batch's answer is past %zu bytes of JSON", (size_t)IG_LINE_MAX);
	return c->failed || c->why[0] ? -1 : 0;
}

/* the batch's jobs that had no result end in error */
static void
fail_unanswered(struct collect *c)
{
	for (long i = 0; (size_t)i < c->b->ids.len / 16; i++) {
		struct ig_job *j;

		if (c->b->mark.p[i] || !(j = claim_job(c, i, c->b->name, 0)))
			continue;
		gen_fail_job(c->e, j, "the batch's results hold no answer for it");
	}
}

/* every job the batch holds, runnable again */
static void
requeue(struct collect *c)
{
	char why[300];

	snprintf(why, sizeof why, "the remote batch %s ended %s", c->b->name, c->b->state);
	for (long i = 0; (size_t)i < c->b->ids.len / 16; i++) {
		struct ig_job *j = c->b->mark.p[i] ? NULL : claim_job(c, i, c->b->name, 0);

		if (j)
			gen_give_back(c->e, j, why);
	}
}

static void
read_results(struct collect *c, jv op)
{
	jv file = ig_get_path(jv_copy(op), "metadata", "output", "responsesFile"), inl;
	struct ig_gbatch_result res;

	if (ig_kind(file) != JV_KIND_STRING) {
		ig_jv_free(file);
		file = ig_get_path(jv_copy(op), "response", "responsesFile", NULL);
	}
	if (ig_kind(file) == JV_KIND_STRING) {
		ig_scan_reset(&c->scan);
		c->scan.max_streams = IG_SCAN_STREAMS;
		c->nranges = 0;
		if (!ig_gbatch_name_ok(jv_string_value(file), "files/")) {
			ig_warn("batch %s: its responses file is no files/ name", c->b->name);
			c->b->unsettled = 1;
		} else if (ig_gbatch_download(&c->g, jv_string_value(file), on_results, c, &res) != 0) {
			ig_warn("batch %s: its results: %s; what was not written stays for the next --collect",
			    c->b->name, c->failed ? c->why : res.reason);
			c->b->unsettled = 1;
		} else if (c->scan.kept.len || c->nranges) {
			line_end(c);	/* a last line with no newline */
		}
		ig_jv_free(file);
	} else {
		ig_jv_free(file);
		inl = ig_get_path(jv_copy(op), "metadata", "output", "inlinedResponses");
		if (ig_kind(inl) != JV_KIND_OBJECT) {
			ig_jv_free(inl);
			inl = ig_get_path(jv_copy(op), "response", "inlinedResponses", NULL);
		}
		file = ig_get(inl, "inlinedResponses");
		ig_jv_free(inl);
		if (ig_kind(file) == JV_KIND_ARRAY)
			jv_array_foreach(file, i, entry)
				take_entry(c, entry, i + 1);
		else
			c->b->unsettled = 1, ig_warn("batch %s: succeeded, with no results in its answer", c->b->name);
		ig_jv_free(file);
	}
	ig_pool_reap(c->e->pool, 1);
	if (!c->b->unsettled && !ig_gen_signal)
		fail_unanswered(c);
}

/* the batch polled, and settled if it has ended */
static void
settle(struct collect *c, struct batch *b)
{
	struct ig_gbatch_result res;
	char err[256];
	const char *name;
	jv op, state;

	c->b = b;
	ig_remote_holder(c->api.name, b->name, b->holder, sizeof b->holder);
	if (c->e->o->batch == IG_BATCH_CANCEL && ig_gbatch_cancel(&c->g, b->name, &res) != 0) {
		ig_warn("batch %s: cancel: %s", b->name, res.reason);
		c->e->transient = 1;
	}
	c->sp = spool_new(c);
	ig_scan_reset(&c->scan);
	c->scan.max_streams = 1 << 30;	/* inlined results: an image a job */
	c->nranges = 0;
	c->why[0] = '\0';
	c->failed = 0;
	if (ig_gbatch_get(&c->g, b->name, on_answer, c, &res) != 0) {
		ig_warn("batch %s: %s; its jobs stay as they are", b->name, c->why[0] ? c->why : res.reason);
		b->unsettled = 1;
		c->e->transient = 1;
		if (res.outcome == IG_QUOTA)
			c->e->quota = 1;
		goto out;
	}
	ig_scan_end(&c->scan);
	if (spool_flush(c) != 0) {
		ig_warn("batch %s: %s", b->name, c->why);
		b->unsettled = c->e->transient = 1;
		goto out;
	}
	op = ig_json_parse(ig_buf_str(&c->scan.kept), c->scan.kept.len, err, sizeof err);
	state = ig_get_path(jv_copy(op), "metadata", "state", NULL);
	if (ig_kind(state) != JV_KIND_STRING) {
		ig_jv_free(state);
		state = ig_get(op, "state");
	}
	b->action = ig_kind(state) == JV_KIND_STRING ? ig_batch_state(IG_API_GEMINI, jv_string_value(state), &name) :
	    IG_BATCH_UNKNOWN;
	snprintf(b->state, sizeof b->state, "%s", ig_kind(state) == JV_KIND_STRING ? name : "no state");
	ig_jv_free(state);
	if (b->action == IG_BATCH_UNKNOWN) {
		ig_warn("batch %s: state %s is none db/models.json knows; its jobs stay as they are", b->name, b->state);
		b->unsettled = c->e->transient = 1;
	} else if (b->action != IG_BATCH_WAIT) {
		gen_remote_jobs(c->e, b->holder, &b->ids);
		if (b->ids.len)
			qsort(b->ids.p, b->ids.len / 16, 16, id_cmp);
		for (size_t i = 0; i < b->ids.len / 16; i++)
			ig_buf_addc(&b->mark, 0);
		if (b->action == IG_BATCH_REQUEUE)
			requeue(c);
		else
			read_results(c, op);
		if (b->unsettled)
			c->e->transient = 1;
	}
	ig_jv_free(op);
out:
	c->sp->current = 0;
	spool_drop(c->sp);
	c->sp = NULL;
	ig_pool_reap(c->e->pool, 1);
	gen_durable_flush(c->e);
	fflush(stdout);
}

static struct batch *
batch_of(struct collect *c, const char *name)
{
	struct batch *b;

	for (int i = 0; i < c->nbatches; i++)
		if (strcmp(c->batches[i]->name, name) == 0)
			return c->batches[i];
	b = ig_malloc(sizeof *b);
	memset(b, 0, sizeof *b);
	snprintf(b->name, sizeof b->name, "%s", name);
	c->batches = ig_realloc(c->batches, (size_t)(c->nbatches + 1) * sizeof *c->batches);
	c->batches[c->nbatches++] = b;
	settle(c, b);
	return b;
}

/* a line read: the lines of a batch still running pass on; those of a
 * settled one have said what they had to */
static void
collect_line(void *ctx, const char *name, long lineno, char *line, size_t n)
{
	struct collect *c = ctx;
	struct engine *e = c->e;
	jv v;
	const char *batch;
	struct batch *b;
	uint8_t id[16];
	long i;
	int stage;

	if (gen_stopping(e)) {
		gen_put_raw(e, line, n);
		return;
	}
	if (!jv_is_valid(v = gen_line_record(e, name, lineno, line, n, &stage, &e->refused)))
		return;
	{
		jv params = ig_get(v, "params");

		batch = ig_str(params, "remote_batch");
		ig_jv_free(params);
	}
	/* ig_str borrows from v, which holds params */
	if (stage != IG_STAGE_WORKING || !batch ||
	    !ig_gbatch_name_ok(batch, "batches/") || !ig_str(v, "id") || ig_uuid_parse(ig_str(v, "id"), id) != 0) {
		gen_put_raw(e, line, n);
		ig_jv_free(v);
		return;
	}
	b = batch_of(c, batch);
	i = job_index(b, id);
	if (b->action == IG_BATCH_WAIT || b->unsettled || b->action == IG_BATCH_UNKNOWN) {
		gen_put_raw(e, line, n);
	} else if (i < 0 || b->mark.p[i] != 2) {
		/* settled before, or by another run: what the store says */
		jv stored = gen_stored_job(e, id);

		if (jv_is_valid(stored))
			gen_emit(e, stored);
		else
			gen_put_raw(e, line, n);
	}
	ig_jv_free(v);
	fflush(stdout);
}

int
gen_batch_collect(struct engine *e, char **files, int nfiles)
{
	struct collect c = { .e = e };
	struct ig_scan_sink sink = { sink_open, sink_write, &c };

	if (ig_batch_api_of(IG_API_GEMINI, &c.api) != 0)
		ig_die(IG_EXIT_SYSTEM, "db/models.json has no Batch API for gemini");
	gen_batch_connect(e, &c.g);
	ig_scan_init(&c.scan, BIG_STRING, &sink);
	gen_pool_start(e, ig_cpus(), 0, collect_work, collect_done);
	e->refused += ig_lines_each(files, nfiles, collect_line, &c);
	gen_pool_stop(e);
	for (int i = 0; i < c.nbatches; i++) {
		ig_buf_free(&c.batches[i]->ids);
		ig_buf_free(&c.batches[i]->mark);
		free(c.batches[i]);
	}
	free(c.batches);
	free(c.ranges);
	ig_scan_free(&c.scan);
	ig_gbatch_free(&c.g);
	curl_global_cleanup();
	return 0;
}
