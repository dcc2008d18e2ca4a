/* gen.c - the generation engine: jobs read, claimed, started, and the loop
 *
 * The order of things follows ig(7)'s contract: a job is claimed before it
 * starts (claim.h), its file is written under a temporary name and renamed,
 * the file system is synced once for every group of finished files, and only
 * then do the records naming them leave. A run that stops gives back what it
 * had started and passes on, unchanged, what it had not.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>

#include "engine.h"
#include "err.h"
#include "json.h"
#include "path.h"
#include "syncer.h"

volatile sig_atomic_t ig_gen_signal;

static void
on_signal(int sig)
{
	ig_gen_signal = sig;
}

int
gen_stopping(const struct engine *e)
{
	return ig_gen_signal || e->quota || e->over_budget || e->reader_gone;
}

void
gen_progress(struct engine *e)
{
	double t = mono() - e->t0;

	if (!e->o->progress)
		return;
	fprintf(stderr, "\rig-gen: %ld done, %ld failed, %d running, %d waiting, %.1f jobs/s, $%.2f spent ",
	    e->done, e->failed, e->inflight, e->nwindow, t > 0 ? e->done / t : 0.0, e->spent);
}

void
gen_window_add(struct engine *e, struct ig_job *j)
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


jv
gen_line_record(const struct engine *e, const char *file, long lineno, const char *line, size_t n, int *stage,
    long *refused)
{
	char err[512];
	jv v = ig_json_parse(line, n, err, sizeof err);
	const char *coll;

	*stage = -1;
	if (ig_kind(v) != JV_KIND_OBJECT) {
		ig_err_at(file, lineno, "%s", jv_is_valid(v) ? "not a JSON object" : err);
		(*refused)++;
		ig_jv_free(v);
		return jv_invalid();
	}
	coll = ig_str(v, "collection");
	if (coll && strcmp(coll, e->jobs->name) == 0)
		*stage = ig_stage_of(e->jobs, ig_str(v, "status"));
	return v;
}

struct ig_job *
gen_job_of_line(struct engine *e, const char *file, long lineno, const char *line, size_t n)
{
	char err[512];
	jv v;
	struct ig_job *j;
	int stage;

	if (gen_stopping(e)) {
		/* a stopped run passes on what it has not read, as it came */
		gen_put_raw(e, line, n);
		return NULL;
	}
	if (!jv_is_valid(v = gen_line_record(e, file, lineno, line, n, &stage, &e->refused)))
		return NULL;
	/* ready, or working: perhaps abandoned, which its claim tells */
	if (stage != IG_STAGE_READY && stage != IG_STAGE_WORKING) {
		gen_put_raw(e, line, n);
		jv_free(v);
		return NULL;
	}
	j = ig_job_new(v, file, lineno);
	/* a record the store would refuse is not run, and passes on as it
	 * came: nothing could name what it made */
	if (!j->id[0] || !j->prompt || !j->output || !gen_job_paths_ok(e, j, err, sizeof err)) {
		if (!j->id[0] || !j->prompt || !j->output)
			ig_err_at(file, lineno, "a queued job needs a UUID id, a prompt and an output_path");
		else
			ig_err_at(file, lineno, "job %s: %s", j->id, err);
		e->refused++;
		gen_emit(e, jv_copy(j->rec));
		ig_job_free(j);
		return NULL;
	}
	e->total++;
	return j;
}

/* a line of input: a job that may start joins the window, the rest passes */
static void
take_line(struct engine *e, const char *file, long lineno, const char *line, size_t n)
{
	struct ig_job *j = gen_job_of_line(e, file, lineno, line, n);

	if (j)
		gen_window_add(e, j);
}

/* 1 if the job's estimate, with what was spent and what is in flight,
 * stays within --budget; else the run stops, the rest left queued, as at
 * a daily quota */
int
gen_within_budget(struct engine *e, struct ig_job *j)
{
	double price = j->set.price.per_image;

	if (price < 0) {
		ig_warn("--budget: %s has no price in db/models.json: stopping, the remaining jobs stay queued",
		    j->model);
	} else if (e->spent + e->committed + price > e->o->budget + 1e-9) {
		ig_warn("--budget $%.2f: $%.4f spent and $%.4f in flight, the next job would cost $%.4f: "
		    "stopping, the remaining jobs stay queued", e->o->budget, e->spent, e->committed, price);
	} else {
		j->committed = price;
		e->committed += price;
		return 1;
	}
	e->over_budget = 1;
	return 0;
}

/* start what may start: jobs in flight, the rate limit, resumed files */
static void
start_jobs(struct engine *e)
{
	const struct ig_gen_options *o = e->o;
	double now = mono();
	struct ig_job *j;
	char err[512];

	while (!gen_stopping(e) && (o->backend == IG_PLACEHOLDER || o->placeholders ||
	    (e->inflight < o->jobs && e->inflight + e->finishing < e->depth))) {
		if (o->per_minute > 0 && now - e->last_start < 60 / o->per_minute)
			break;
		if (!(j = window_take(e, now)))
			break;
		if (!j->started) {
			if (!gen_claim(e, j)) {
				ig_job_free(j);
				continue;
			}
			if (!gen_paths_ok(e, j, err, sizeof err)) {
				/* refused before it starts: queued -> error */
				gen_fail_job(e, j, err);
				continue;
			}
			if (o->backend == IG_GEMINI && !gen_model_name_ok(j->model)) {
				gen_fail_job(e, j, "params.model is not a model name (letters, digits, '.', '-', '_')");
				continue;
			}
			/* what its model cannot do is refused before anything is sent */
			if (o->backend != IG_PLACEHOLDER && !o->placeholders && gen_prepare_job(e, j, err, sizeof err)) {
				gen_fail_job(e, j, err);
				continue;
			}
			if (o->placeholders) {
				gen_make_placeholder(e, j);
				continue;
			}
			if (o->budget > 0 && !gen_within_budget(e, j)) {
				gen_give_back(e, j, NULL);
				break;
			}
			gen_emit(e, ig_job_at(j, IG_STAGE_WORKING));
			j->started = 1;
			if (gen_resume(e, j))
				continue;
		}
		e->last_start = now;
		if (o->backend == IG_PLACEHOLDER) {
			gen_attempt(e, j);
			gen_run_placeholder(e, j);
			gen_progress(e);
		} else {
			gen_start_transfer(e, j);
		}
	}
}

/* jobs that never finished go back, or leave as they came */
static void
leave_window(struct engine *e)
{
	for (int i = 0; i < e->nwindow; i++)
		gen_give_back(e, e->window[i], NULL);
	e->nwindow = 0;
}

void
gen_catch_signals(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a reader that goes away is a stop, not a death */
	signal(SIGPIPE, SIG_IGN);
}

void
gen_engine_open(struct engine *e, const struct ig_gen_options *o, struct ig_store *store)
{
	char err[512];

	e->o = o;
	e->t0 = mono();
	e->last_start = -1e9;
	e->run.backend = o->backend == IG_GEMINI ? "gemini" : o->backend == IG_OPENAI ? "openai" : "placeholder";
	e->run.max_retries = o->max_retries;
	e->run.retry_delay = o->retry_delay;
	if (ig_store_open(store, ig_store_default(o->store), 0, err, sizeof err))
		ig_die(IG_EXIT_SYSTEM, "%s", err);
	e->store = store;
	e->jobs = ig_model_find(store->m, "generations");
	e->warned = jv_object();
	gen_open_root(e);
}

void
gen_pool_start(struct engine *e, int threads, int depth, ig_work_fn *work, ig_done_fn *done)
{
	e->threads = threads;
	e->depth = depth;
	e->hashers = ig_malloc((size_t)threads * sizeof *e->hashers);
	for (int i = 0; i < threads; i++)
		e->hashers[i] = ig_hasher_new();
	e->pool = ig_pool_new(threads, depth, work, done, e);
}

void
gen_pool_stop(struct engine *e)
{
	ig_pool_free(e->pool);
	e->pool = NULL;
	for (int i = 0; i < e->threads; i++)
		ig_hasher_free(e->hashers[i]);
	free(e->hashers);
	e->hashers = NULL;
}

void
gen_engine_close(struct engine *e)
{
	ig_buf_free(&e->line);
	ig_inputs_free(&e->inputs);
	jv_free(e->warned);
	ig_syncer_free(e->syncer);
	free(e->durable);
	free(e->syncing);
	free(e->linger);
	ig_root_close(&e->root);
	ig_store_close(e->store);
}

int
gen_exit_status(const struct engine *e)
{
	return ig_gen_signal == SIGINT ? 130 : ig_gen_signal == SIGTERM ? 143 :
	    e->transient || e->quota || e->over_budget || e->reader_gone ? IG_EXIT_SYSTEM :
	    e->failed || e->refused ? IG_EXIT_REJECT : IG_EXIT_OK;
}

static int
gen_online_run(const struct ig_gen_options *o, char **files, int nfiles)
{
	struct engine e = { 0 };
	struct ig_store store;
	int window_max = o->jobs * 4 > 64 ? o->jobs * 4 : 64;
	int fi = 0, eof = 1, rc;
	struct ig_lines r;
	const char *name = NULL;

	gen_engine_open(&e, o, &store);
	if (o->estimate) {
		rc = gen_estimate(&e, files, nfiles);
		gen_engine_close(&e);
		return rc;
	}
	e.hasher = ig_hasher_new();
	/* answers are decoded, written and hashed on every core: at 64 in
	 * flight one thread could not keep up with 1.5 MB images. The pool
	 * holds a round of finished transfers and one more: a round's answers
	 * come together, and a transfer that had to wait for a place in the
	 * pool would hold back the next round's requests until the pool had
	 * worked through the round (bench/README.md, gen.sh) */
	gen_pool_start(&e, o->backend == IG_PLACEHOLDER ? 1 : ig_cpus(), 2 * o->jobs, gen_answer_work,
	    gen_answer_done);
	gen_catch_signals();
	if (o->backend != IG_PLACEHOLDER) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || !(e.multi = curl_multi_init()))
			ig_die(IG_EXIT_SYSTEM, "curl initialisation failed");
		curl_multi_setopt(e.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)o->jobs);
		gen_net_open(&e);
	}
	for (;;) {
		/* read ahead while there is room and input ready; once stopped,
		 * read everything, to pass it on */
		while (gen_stopping(&e) || e.nwindow < window_max) {
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
			/* block on input only when nothing else is going on: a
			 * stopped run with nothing left in flight reads on, blocking,
			 * to pass the rest of its input on */
			if (!ig_lines_buffered(&r)) {
				fflush(stdout);
				if (!ig_lines_wait(&r, e.inflight || e.nwindow || gen_stopping(&e) ? 0 : 200) &&
				    !(gen_stopping(&e) && !e.inflight && !e.finishing))
					break;
			}
			if ((n = ig_lines_next(&r, &line)) == -1) {
				ig_lines_close(&r);
				eof = 1;
				continue;
			}
			if (n == -2)
				ig_die(IG_EXIT_SYSTEM, "%s: %s", name, strerror(errno));
			if (n == -3) {
				ig_lines_too_long(&r, name);
				e.refused++;
				continue;
			}
			if (strspn(line, " \t\r") < (size_t)n)
				take_line(&e, name, r.lineno, line, (size_t)n);
		}
		ig_pool_reap(e.pool, 0);
		if (ig_gen_signal)
			gen_abort_inflight(&e);
		start_jobs(&e);
		if (e.inflight == 0 && e.finishing) {
			/* only answers being written: wait for them */
			ig_pool_reap(e.pool, 1);
			continue;
		}
		if (gen_stopping(&e) && e.inflight == 0)
			leave_window(&e);
		if (eof && fi >= nfiles && e.nwindow == 0 && e.inflight == 0)
			break;
		/* about to wait: the finished files go to disk, then their
		 * records down the pipe; with transfers in flight the sync runs
		 * beside them, or the next round's requests would wait on the
		 * disk's writeback (bench/README.md, gen.sh) */
		if (e.inflight)
			gen_durable_poll(&e);
		else
			gen_durable_flush(&e);
		fflush(stdout);
		if (ferror(stdout))
			e.reader_gone = 1;
		if (e.nlinger && mono() - e.linger_checked > 0.2)
			gen_linger_check(&e);
		gen_wait_for_work(&e, &r, eof, window_max);
	}
	gen_pool_stop(&e);
	gen_durable_flush(&e);
	gen_settle_claims(&e);
	if (!eof)
		ig_lines_close(&r);
	if (o->progress)
		fputc('\n', stderr);
	if (e.multi) {
		curl_multi_cleanup(e.multi);
		gen_net_close(&e);
		curl_global_cleanup();
	}
	ig_hasher_free(e.hasher);
	free(e.window);
	free(e.flying);
	gen_engine_close(&e);
	return gen_exit_status(&e);
}

int
ig_gen_run(const struct ig_gen_options *o, char **files, int nfiles)
{
	if (o->batch)
		return gen_batch_run(o, files, nfiles);
	return gen_online_run(o, files, nfiles);
}
