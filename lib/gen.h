/* gen.h - queued generation jobs in, images and their whole story out
 *
 * Reads lines; a generations record that is ready (queued) or working (its
 * claim tells whether it was abandoned) is a job, every other line passes
 * through. For each job it prints the job running and its task running,
 * then done or error, a metadata record, an images record and the task's
 * end; or, if the run stops, the job given back.
 * HTTP backends run on libcurl's multi interface with a bounded number of
 * transfers in flight; a window of jobs read ahead lets higher priorities go
 * first. man/ig-gen.1 has the rules.
 */
#ifndef IG_GEN_H
#define IG_GEN_H

#include "store.h"

enum ig_backend { IG_PLACEHOLDER, IG_GEMINI, IG_OPENAI };

struct ig_gen_options {
	enum ig_backend backend;
	const char *endpoint;	/* base URL, no trailing slash */
	const char *key;	/* API key, or NULL */
	const char *out_dir;
	const char *store;	/* -s, or NULL for the default */
	const char *url_base;	/* ROOT=BASE (url.h), or NULL */
	int jobs;		/* transfers in flight */
	double per_minute;	/* starts a minute, or 0 */
	double retry_delay;	/* first backoff, seconds */
	int max_retries;
	long timeout;		/* seconds a transfer may take */
	int placeholders;	/* write placeholder_path images, leave jobs queued */
	int progress;		/* a progress line on stderr */
	double budget;		/* USD this run may spend, or 0 for no limit */
	int estimate;		/* print what the jobs would cost, send nothing */
	double inline_max;	/* --batch: requests under this many bytes go inline; -1, the table's */
	enum ig_batch_mode { IG_ONLINE, IG_BATCH_SUBMIT, IG_BATCH_COLLECT, IG_BATCH_CANCEL } batch;	/* --batch, --collect, --cancel */
};

/* 0 all jobs done, 1 some failed or were refused, 3 some stay queued for a
 * reason of the run's own (quota, disk, network, the reader gone), 130/143
 * after a signal */
int ig_gen_run(const struct ig_gen_options *o, char **files, int nfiles);

#endif
