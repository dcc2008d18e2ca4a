/* genout.c - what a run says and keeps: output, claims, durability, giving back */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "claim.h"
#include "engine.h"
#include "err.h"
#include "json.h"
#include "record.h"
#include "syncer.h"

/* Output: once the reader is gone nothing more can be said, and the run
 * stops as if told to (what the store was told is put right at the end). */
void
gen_put_raw(struct engine *e, const char *s, size_t n)
{
	if (e->reader_gone)
		return;
	fwrite(s, 1, n, stdout);
	putchar('\n');
	if (ferror(stdout))
		e->reader_gone = 1;
}

void
gen_emit(struct engine *e, jv v)
{
	e->line.len = 0;
	ig_json_write(&e->line, v);
	ig_jv_free(v);
	gen_put_raw(e, e->line.p, e->line.len);
}

void
gen_hold(struct ig_job *j, jv v)
{
	ig_json_write(&j->held, v);
	ig_buf_addc(&j->held, '\n');
	ig_jv_free(v);
}

static void
die_store(struct engine *e, int rc)
{
	ig_die(IG_EXIT_SYSTEM, "store %s: %s", e->store->path, ig_store_strerror(e->store, rc));
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
	gen_linger_id(e, j->uid);
}

void
gen_linger_id(struct engine *e, const uint8_t id[16])
{
	if (e->nlinger == LINGER_MAX) {
		/* nothing records this run's output in the store: the oldest go */
		ig_claim_drop(e->store->claims, e->linger[0]);
		memmove(e->linger, e->linger + 1, (size_t)(--e->nlinger) * sizeof *e->linger);
	}
	if (e->nlinger == e->caplinger) {
		e->caplinger = e->caplinger ? e->caplinger * 2 : 64;
		e->linger = ig_realloc(e->linger, (size_t)e->caplinger * sizeof *e->linger);
	}
	memcpy(e->linger[e->nlinger++], id, 16);
}

/* a stored record's field (a new reference), or jv_invalid() if the store
 * holds no such record: read by the record code's own loader, as stored */
static jv
stored_field(struct engine *e, MDB_txn *txn, const struct ig_collection *c, const uint8_t id[16],
    int field)
{
	jv *row, v;
	int rc = ig_record_load(e->store, txn, c, id, &row);

	if (rc == MDB_NOTFOUND)
		return jv_invalid();
	if (rc)
		die_store(e, rc);
	v = jv_copy(row[field]);
	ig_row_free(c, row);
	return v;
}

int
gen_stored_image_path(struct engine *e, const char *image_id, char *path, size_t n)
{
	const struct ig_collection *c = ig_model_find(e->store->m, "images");
	uint8_t id[16];
	MDB_txn *txn;
	jv v;
	int rc, f = c ? ig_field_find(c, "path") : -1;

	if (f < 0 || ig_uuid_parse(image_id, id) != 0)
		return -1;
	if ((rc = ig_store_begin(e->store, 1, &txn)))
		die_store(e, rc);
	v = stored_field(e, txn, c, id, f);
	mdb_txn_abort(txn);
	rc = ig_kind(v) == JV_KIND_STRING ? 0 : -1;
	if (!rc)
		snprintf(path, n, "%s", jv_string_value(v));
	ig_jv_free(v);
	return rc;
}

/* the stage the store holds a job at, or -1 if it holds none; its stored
 * record in val */
static int
stored_stage(struct engine *e, MDB_txn *txn, const uint8_t id[16], MDB_val *val)
{
	int rc = ig_store_get(e->store, txn, e->jobs->index, id, val), st = -1;
	jv status;

	if (rc == MDB_NOTFOUND)
		return -1;
	if (rc)
		die_store(e, rc);
	status = stored_field(e, txn, e->jobs, id, e->jobs->life->field);
	if (ig_kind(status) == JV_KIND_STRING)
		st = ig_stage_of(e->jobs, jv_string_value(status));
	ig_jv_free(status);
	return st;
}

/* 1 if the store's record of the job is held by a remote batch; its
 * holder in holder, if asked */
static int
stored_remote(struct engine *e, MDB_txn *txn, const uint8_t id[16], char *holder, size_t n)
{
	jv h = stored_field(e, txn, e->jobs, id, e->jobs->life->holder);
	int remote = ig_kind(h) == JV_KIND_STRING && ig_holder_remote(e->jobs->life, jv_string_value(h));

	if (remote && holder)
		snprintf(holder, n, "%s", jv_string_value(h));
	ig_jv_free(h);
	return remote;
}

/* the job the store holds (its record), or jv_invalid() */
jv
gen_stored_job(struct engine *e, const uint8_t id[16])
{
	MDB_txn *txn;
	MDB_val val;
	char err[256];
	jv v = jv_invalid();
	int rc;

	if ((rc = ig_store_begin(e->store, 1, &txn)))
		die_store(e, rc);
	if (stored_stage(e, txn, id, &val) >= 0)
		v = ig_json_parse(val.mv_data, val.mv_size, err, sizeof err);
	mdb_txn_abort(txn);
	return v;
}

/* the ids of the jobs the store says the remote batch holder runs */
void
gen_remote_jobs(struct engine *e, const char *holder, struct ig_buf *ids)
{
	struct ig_buf all = { 0 };
	MDB_txn *txn;
	int rc;

	if ((rc = ig_store_begin(e->store, 1, &txn)))
		die_store(e, rc);
	rc = ig_record_ids_at(e->store, txn, e->jobs, e->jobs->life->field,
	    e->jobs->life->names[IG_STAGE_WORKING], &all);
	if (rc)
		die_store(e, rc);
	for (size_t i = 0; i + 16 <= all.len; i += 16) {
		char h[300];

		if (stored_remote(e, txn, (uint8_t *)all.p + i, h, sizeof h) && strcmp(h, holder) == 0)
			ig_buf_add(ids, all.p + i, 16);
	}
	mdb_txn_abort(txn);
	ig_buf_free(&all);
}

/* claims the store shows settled (or handed to a remote batch) are let go */
void
gen_linger_check(struct engine *e)
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

		if (st >= 0 && (st != IG_STAGE_WORKING || stored_remote(e, txn, e->linger[i], NULL, 0)))
			ig_claim_drop(e->store->claims, e->linger[i]);
		else
			memmove(e->linger[k++], e->linger[i], 16);
	}
	mdb_txn_abort(txn);
	e->nlinger = k;
	e->linger_checked = mono();
}

void
gen_finish(struct engine *e, struct ig_job *j)
{
	e->committed -= j->committed;
	linger(e, j);
	ig_job_free(j);
}

/* A job that will not finish in this run goes back: to ready if it had
 * started, with why on its task, else as it came. */
void
gen_give_back(struct engine *e, struct ig_job *j, const char *reason)
{
	if (reason)
		snprintf(j->last_error, sizeof j->last_error, "%s", reason);
	if (j->started) {
		gen_emit(e, ig_job_at(j, IG_STAGE_READY));
		gen_emit(e, ig_job_task(j, &e->run, IG_STAGE_READY, jv_null()));
	} else {
		gen_emit(e, jv_copy(j->rec));
	}
	gen_finish(e, j);
}

/* what the job itself caused: it ends in error */
void
gen_fail_job(struct engine *e, struct ig_job *j, const char *reason)
{
	snprintf(j->last_error, sizeof j->last_error, "%s", reason);
	ig_err_at(j->file, j->lineno, "job %s: %s", j->id, reason);
	gen_emit(e, ig_job_at(j, IG_STAGE_FAILED));
	if (j->started)
		gen_emit(e, ig_job_task(j, &e->run, IG_STAGE_FAILED, jv_null()));
	e->failed++;
	gen_finish(e, j);
}

/* The synced files' records leave; a failed sync is a failed attempt,
 * and the job goes back. */
static void
settle_synced(struct engine *e, int err)
{
	char why[300];

	snprintf(why, sizeof why, "syncing %s: %s", e->root.path, strerror(err));
	for (int i = 0; i < e->nsyncing; i++) {
		struct ig_job *j = e->syncing[i];

		if (err == 0) {
			if (j->held.len)
				gen_put_raw(e, j->held.p, j->held.len - 1);
			gen_finish(e, j);
		} else {
			e->transient = 1;
			if (j->started)
				e->done--;	/* counted when its file was made */
			gen_give_back(e, j, why);
		}
	}
	if (err != 0)
		ig_warn("%s: the jobs stay queued", why);
	e->nsyncing = 0;
}

static void
wake_loop(void *ctx)
{
	struct engine *e = ctx;

	gen_wake(e);
}

/* the finished files so far become the ones being synced */
static void
begin_sync(struct engine *e)
{
	struct ig_job **t = e->syncing;
	int cap = e->capsyncing;

	if (!e->syncer && !(e->syncer = ig_syncer_new(e->root.fd, wake_loop, e)))
		ig_die(IG_EXIT_SYSTEM, "pthread_create: %s", strerror(errno));
	e->syncing = e->durable;
	e->capsyncing = e->capdurable;
	e->nsyncing = e->ndurable;
	e->durable = t;
	e->capdurable = cap;
	e->ndurable = 0;
	if (ig_syncer_begin(e->syncer) != 0)
		ig_die(IG_EXIT_SYSTEM, "a sync began while one ran");
}

/* Without stopping: the records of a sync that has ended leave, and the
 * files finished since go to a sync of their own. The loop goes on with
 * its transfers while the file system writes back. */
void
gen_durable_poll(struct engine *e)
{
	int err;

	if (e->nsyncing && ig_syncer_poll(e->syncer, 0, &err) == IG_SYNC_DONE)
		settle_synced(e, err);
	if (!e->nsyncing && e->ndurable)
		begin_sync(e);
}

/* Every finished file made durable, then its records out, before this
 * returns. */
void
gen_durable_flush(struct engine *e)
{
	int err;

	if (e->nsyncing) {
		ig_syncer_poll(e->syncer, 1, &err);
		settle_synced(e, err);
	}
	if (e->ndurable) {
		begin_sync(e);
		ig_syncer_poll(e->syncer, 1, &err);
		settle_synced(e, err);
	}
}

void
gen_durable_add(struct engine *e, struct ig_job *j)
{
	if (e->ndurable == e->capdurable) {
		e->capdurable = e->capdurable ? e->capdurable * 2 : DURABLE_BATCH;
		e->durable = ig_realloc(e->durable, (size_t)e->capdurable * sizeof *e->durable);
	}
	e->durable[e->ndurable++] = j;
	if (e->ndurable >= DURABLE_BATCH)
		gen_durable_poll(e);
}

/* the file is written and its facts are known: every record of the job,
 * held until the file is on disk */
void
gen_record_done(struct engine *e, struct ig_job *j, const char *path, jv meta, int origin_placeholder,
    const struct ig_facts *f)
{
	char *pp = j->source_placeholder[0] ? gen_out_path(e, j->source_placeholder) : NULL;
	jv cost = ig_get(meta, "cost_usd");

	if (ig_kind(cost) == JV_KIND_NUMBER)
		j->cost = jv_number_value(cost);
	ig_jv_free(cost);
	gen_hold(j, ig_job_at(j, IG_STAGE_SUCCEEDED));
	gen_hold(j, jv_object_set(meta, jv_string("sha256"), jv_string(f->sha256)));
	gen_hold(j, ig_job_image(j, path, pp, f, origin_placeholder ? "placeholder" : "generated", e->o->url_base));
	gen_hold(j, ig_job_task(j, &e->run, IG_STAGE_SUCCEEDED,
	    JV_OBJECT(jv_string("path"), jv_string(path), jv_string("sha256"), jv_string(f->sha256))));
	free(pp);
	e->done++;
	gen_durable_add(e, j);
}

/* The claim first: 1 if this run may work on the job now. Otherwise what
 * the store says of it passes on (another live run holds it, or it is
 * settled already), or the line as it came where the store has none. */
int
gen_claim(struct engine *e, struct ig_job *j)
{
	return gen_claim_held(e, j, NULL);
}

int
gen_claim_held(struct engine *e, struct ig_job *j, const char *want_remote)
{
	int held = ig_claim_take(e->store->claims, j->uid), st, rc, remote;
	char task_id[IG_UUID_TEXT], holder[300];
	uint8_t tid[16];
	MDB_txn *txn;
	MDB_val val;

	if (held < 0)
		ig_die(IG_EXIT_SYSTEM, "store %s: claims: %s", e->store->path, strerror(errno));
	j->claimed = held == 1;
	if ((rc = ig_store_begin(e->store, 1, &txn)))
		die_store(e, rc);
	st = stored_stage(e, txn, j->uid, &val);
	/* a job a remote batch runs is the batch's until it is collected:
	 * only --collect and --cancel work on it, on the holder it names */
	remote = st == IG_STAGE_WORKING && stored_remote(e, txn, j->uid, holder, sizeof holder);
	if (j->claimed && (want_remote ? remote && strcmp(holder, want_remote) == 0 :
	    !remote && (st < 0 || st == IG_STAGE_READY || st == IG_STAGE_WORKING))) {
		/* attempts go on from what earlier runs made */
		const struct ig_collection *tc = ig_model_find(e->store->m, "generation_tasks");
		jv attempts;

		ig_uuid_v5_text(ig_ns_tasks, j->id, strlen(j->id), task_id);
		ig_uuid_parse(task_id, tid);
		attempts = stored_field(e, txn, tc, tid, ig_field_find(tc, "attempts"));
		/* a count the model bounds below only: held to an int */
		if (ig_kind(attempts) == JV_KIND_NUMBER && jv_number_value(attempts) >= 0)
			j->attempts = jv_number_value(attempts) < 1e9 ? (int)jv_number_value(attempts) : 1000000000;
		ig_jv_free(attempts);
		mdb_txn_abort(txn);
		return 1;
	}
	/* a batch's answer for a job it no longer holds says nothing; else
	 * the job passes on as the store has it, or as it came */
	if (!want_remote && st >= 0)
		gen_put_raw(e, val.mv_data, val.mv_size);
	else if (!want_remote)
		gen_emit(e, jv_copy(j->rec));
	mdb_txn_abort(txn);
	if (j->claimed)
		ig_claim_drop(e->store->claims, j->uid);
	j->claimed = 0;
	return 0;
}

/* the end of a run: the claims are let go once the store shows the jobs
 * settled, waiting a little for a recorder down the pipe; if the reader is
 * gone, what the store was told of this run's jobs is put right */
void
gen_settle_claims(struct engine *e)
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

			gen_linger_check(e);
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
