/* engine.h - ig-gen's engine, between the files that make it up
 *
 * gen.c reads jobs, starts them and runs the loop; genout.c is what a run
 * says and keeps (output, claims, durability, giving back); genfile.c
 * writes the images; gennet.c talks to the image APIs. Not for use outside
 * ig-gen's engine: gen.h is its interface.
 */
#ifndef IG_ENGINE_H
#define IG_ENGINE_H
#include <signal.h>
#include <time.h>
#include <curl/curl.h>
#include <lmdb.h>

#include "gembatch.h"
#include "gen.h"
#include "genrec.h"
#include "hash.h"
#include "lines.h"
#include "path.h"
#include "pool.h"

#define DURABLE_BATCH 64	/* finished files per sync, at most */
#define LINGER_MAX 4096		/* claims kept for jobs the store has not settled */
#define LINGER_WAIT_MS 3000	/* at the end, for the recorder to commit */

struct engine {
	const struct ig_gen_options *o;
	struct ig_task_run run;
	struct ig_store *store;
	const struct ig_collection *jobs;	/* generations, and its lifecycle */
	struct ig_root root;		/* the output root */
	struct ig_pool *pool;		/* answers are decoded, written, hashed here */
	struct ig_hasher **hashers;	/* one per pool thread */
	int threads, finishing;		/* answers in the pool */
	int depth;			/* answers the pool holds at most */
	struct ig_job **window;		/* read ahead, waiting to start */
	int nwindow, cap;
	struct ig_job **durable;	/* finished, waiting for the sync */
	int ndurable, capdurable;
	struct ig_syncer *syncer;	/* syncs while the loop goes on */
	struct ig_job **syncing;	/* finished, their sync running */
	int nsyncing, capsyncing;
	uint8_t (*linger)[16];		/* claims of jobs printed but not yet settled in the store */
	int nlinger, caplinger;
	double linger_checked;
	int inflight;
	struct ig_job **flying;		/* in flight, for a stop to give back */
	int nflying, capflying;
	CURLM *multi;
	int epfd, wakefd;		/* the transfers' sockets, and the threads' wake-ups */
	double timer_due;		/* when curl asked to be called, or -1 */
	struct ig_hasher *hasher;
	double last_start;
	long done, failed, total, refused;
	double spent, committed;	/* USD: answered, and estimated in flight */
	int quota, over_budget, transient, reader_gone;
	double t0;
	struct ig_buf line;
	struct ig_inputs inputs;	/* input images, shared by the jobs that send them */
	jv warned;		/* models warned of as unknown */
};

/* an answer's image, and what its metadata says of it */
struct gen_image {
	const unsigned char *p;	/* the bytes, when in memory */
	size_t n;
	const char *mime, *model, *response_id;
	jv usage;		/* the answer's, consumed */
	double cost;		/* USD, or -1 */
	int placeholder;	/* made by the placeholder backend */
};

/* a job's image, written and hashed: what a pool thread does with an
 * answer, so nothing here prints or makes an id */
struct written {
	jv meta;		/* the metadata record, without sha256 */
	char *path;
	struct ig_facts f;
	double cost;		/* what it cost, or -1 */
	int transient;		/* the failure says nothing of the job (disk full) */
	char err[512];		/* why it failed, or empty */
};

/* the signal that stops the run, or 0 */
extern volatile sig_atomic_t ig_gen_signal;

static inline double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* gen.c */
void gen_catch_signals(void);
/* the store, the model, the output root: or the run dies */
void gen_engine_open(struct engine *e, const struct ig_gen_options *o, struct ig_store *store);
void gen_engine_close(struct engine *e);
/* the pool that writes answers' images, a hasher for each of its threads */
void gen_pool_start(struct engine *e, int threads, int depth, ig_work_fn *work, ig_done_fn *done);
void gen_pool_stop(struct engine *e);
int gen_exit_status(const struct engine *e);
/* a line's job, if it is one to work on; NULL when the line was passed on
 * or refused (said so) */
/* a line as a record: the JSON object, with *stage its status's stage if it
 * is a job (else -1); not an object, said by line, counted in *refused,
 * and jv_invalid() */
jv gen_line_record(const struct engine *e, const char *file, long lineno, const char *line, size_t n, int *stage,
    long *refused);
struct ig_job *gen_job_of_line(struct engine *e, const char *file, long lineno, const char *line, size_t n);
/* 1 if the job's price keeps the run within --budget; else the run stops */
int gen_within_budget(struct engine *e, struct ig_job *j);
int gen_stopping(const struct engine *e);
void gen_progress(struct engine *e);
void gen_window_add(struct engine *e, struct ig_job *j);

/* genout.c */
void gen_put_raw(struct engine *e, const char *s, size_t n);
void gen_emit(struct engine *e, jv v);
void gen_hold(struct ig_job *j, jv v);
void gen_linger_check(struct engine *e);
void gen_finish(struct engine *e, struct ig_job *j);
void gen_give_back(struct engine *e, struct ig_job *j, const char *reason);
void gen_fail_job(struct engine *e, struct ig_job *j, const char *reason);
void gen_durable_flush(struct engine *e);
void gen_durable_poll(struct engine *e);
void gen_durable_add(struct engine *e, struct ig_job *j);
void gen_record_done(struct engine *e, struct ig_job *j, const char *path, jv meta, int origin_placeholder,
    const struct ig_facts *f);
void gen_linger_id(struct engine *e, const uint8_t id[16]);
/* the job the store holds, or jv_invalid() */
jv gen_stored_job(struct engine *e, const uint8_t id[16]);
/* the ids (16 bytes each) of the jobs the store says the remote batch
 * holder runs */
void gen_remote_jobs(struct engine *e, const char *holder, struct ig_buf *ids);
int gen_claim(struct engine *e, struct ig_job *j);
/* the same for a job the store says the remote batch holder (claimed_by)
 * runs: 1 if this run may settle it now */
int gen_claim_held(struct engine *e, struct ig_job *j, const char *holder);
/* the path of a stored image, by its id; -1 if the store holds none */
int gen_stored_image_path(struct engine *e, const char *image_id, char *path, size_t n);
void gen_settle_claims(struct engine *e);

/* genfile.c */
char *gen_out_path(const struct engine *e, const char *rel);
void gen_write_image(struct engine *e, struct ig_job *j, struct ig_hasher *h, struct gen_image *img,
    struct written *w);
/* the same for an image whose base64 went to a temporary file as it
 * arrived (raw, which goes): decoded, its provenance spliced into its
 * head, and hashed on the way to its own file */
void gen_write_streamed(struct engine *e, struct ig_job *j, struct ig_hasher *h, struct ig_tmpfile *raw,
    struct gen_image *img, struct written *w);
/* the same from len characters of base64 at off in fd (name, for
 * messages), which stays */
void gen_write_spooled(struct engine *e, struct ig_job *j, struct ig_hasher *h, int fd, const char *name, off_t off,
    off_t len, struct gen_image *img, struct written *w);
void gen_conclude_image(struct engine *e, struct ig_job *j, struct written *w, int origin_placeholder);
int gen_resume(struct engine *e, struct ig_job *j);
/* 1 if the job's paths are ones its record may hold; 0 with err */
int gen_job_paths_ok(const struct engine *e, const struct ig_job *j, char *err, size_t errlen);
/* 1 if they stay in the output root and the image records they would make
 * are ones the model takes: checked before anything is written; 0 with err */
int gen_paths_ok(const struct engine *e, const struct ig_job *j, char *err, size_t errlen);
void gen_run_placeholder(struct engine *e, struct ig_job *j);
void gen_make_placeholder(struct engine *e, struct ig_job *j);
void gen_open_root(struct engine *e);

/* geninput.c: its model's settings and its input images, before it starts;
 * 0, or -1 with why it cannot be done */
int gen_prepare_job(struct engine *e, struct ig_job *j, char *err, size_t errlen);

/* genestimate.c: --estimate, the exit status */
int gen_estimate(struct engine *e, char **files, int nfiles);

/* genbatch.c: --batch, --collect, --cancel; the exit status */
int gen_batch_run(const struct ig_gen_options *o, char **files, int nfiles);
/* a temporary file beside the outputs, gone from the directory at once */
void gen_spool_open(struct engine *e, struct ig_tmpfile *t);
void gen_batch_connect(struct engine *e, struct ig_gbatch *g);
/* the job's prices at the Batch API's */
void gen_batch_price(struct ig_job *j, const struct ig_batch_api *api);
/* the job's request as online, and what is recorded of it */
void gen_batch_body(const struct ig_job *j, struct ig_body *body, jv *wire);
int gen_batch_submit(struct engine *e, char **files, int nfiles);
/* gencollect.c: --collect and --cancel */
int gen_batch_collect(struct engine *e, char **files, int nfiles);

/* gennet.c */
void gen_attempt(struct engine *e, struct ig_job *j);
void gen_start_transfer(struct engine *e, struct ig_job *j);
void gen_abort_inflight(struct engine *e);
/* the transfers: a multi handle driven by its sockets, and the wake-up the
 * pool's and the syncer's threads call when something is done */
void gen_net_open(struct engine *e);
void gen_net_close(struct engine *e);
void gen_wake(struct engine *e);
/* the pool's work on an answer, and its end on the main thread */
void gen_answer_work(void *ctx, void *item, int worker);
void gen_answer_done(void *ctx, void *item);
int gen_model_name_ok(const char *name);
void gen_wait_for_work(struct engine *e, struct ig_lines *r, int eof, int window_max);

#endif
