/* genrec.h - a generation job and the records that tell its story
 *
 * Every status printed is the model's word for a stage of its collection's
 * lifecycle (model.h), every line carries the producer's own times
 * (updated_at, started_at, finished_at), so that a copy read earlier can
 * never overwrite what happened later (ig(7), THE PIPELINE'S CONTRACT).
 */
#ifndef IG_GENREC_H
#define IG_GENREC_H
#include <stdint.h>
#include <jv.h>
#include <curl/curl.h>

#include "buf.h"
#include "clock.h"
#include "hash.h"
#include "imgmodel.h"
#include "model.h"
#include "path.h"
#include "request.h"
#include "scan.h"
#include "uuid.h"

struct ig_job {
	jv rec;			/* the job as it came */
	const char *file;
	long lineno;
	char id[IG_UUID_TEXT];
	uint8_t uid[16];
	char meta_id[IG_UUID_TEXT];	/* made on the main thread: uuid5 is not thread-safe */
	jv params;
	const char *prompt, *output, *placeholder, *model;
	long long seed;
	int has_seed;
	uint32_t width, height;
	double priority;
	int attempts;
	int claimed;		/* this process holds its claim */
	int started;		/* printed as working */
	char started_at[IG_TIME_TEXT];
	double not_before;	/* monotonic seconds */
	char last_error[512];
	int64_t last_attempt_us;
	struct ig_settings set;	/* its model's request fields (imgmodel.h) */
	int send_image_size;
	struct ig_job_input inputs[IG_INPUTS_MAX];	/* references, source, mask, placeholder */
	int ninputs;
	jv passthrough;		/* params.config.request, or null */
	jv wire;		/* what the request said, as recorded, or invalid */
	CURL *easy;
	struct curl_slist *headers;
	curl_mime *form;	/* an OpenAI edit's fields and files */
	struct ig_body body;
	/* the answer as it arrives: its JSON, its images' base64 in files */
	const struct ig_root *root;
	char *out_abs;		/* output_path, absolute */
	struct ig_scan scan;
	struct ig_tmpfile raw[IG_SCAN_STREAMS];
	int nraw, raw_errno;
	struct ig_buf raw_buf;	/* characters not yet written, of stream raw_k */
	int raw_k;
	char raw_err[300];
	size_t answer_bytes;
	int answer_too_big;	/* past IG_ANSWER_MAX: cut off */
	double cost;		/* what its image cost, USD, or -1 */
	double committed;	/* its estimate, counted against --budget while it runs */
	int priced_batch;	/* set.price is the Batch API's */
	double header_wait;
	char remote_batch[200];	/* the remote batch that runs it (ig-gen --batch), or empty */
	char remote_api[16];	/* whose batch: the Batch API's name */
	char source_placeholder[4096];
	struct ig_buf held;	/* its finished records, until its file is on disk */
};

/* what every task record says of the run */
struct ig_task_run {
	const char *backend;
	int max_retries;
	double retry_delay;
};

/* "host:pid", the claimed_by of what this process works on */
const char *ig_holder(void);
/* the claimed_by of a job a remote batch runs: the model's remote prefix,
 * the API, the batch's name */
void ig_remote_holder(const char *api, const char *batch, char *out, size_t n);

/* a job from its line (consumed); NULL-free fields where the line has none */
struct ig_job *ig_job_new(jv rec, const char *file, long lineno);
void ig_job_free(struct ig_job *j);

/* the job at a stage, stamped now (its start, or its end) */
jv ig_job_at(struct ig_job *j, enum ig_stage stage);
/* its generation_tasks record at a stage, with result (consumed) */
jv ig_job_task(const struct ig_job *j, const struct ig_task_run *run, enum ig_stage stage, jv result);
/* the metadata record, without sha256 (which the file cannot hold of
 * itself); usage (consumed) is the answer's, cost its price or -1 */
jv ig_job_metadata(const struct ig_job *j, const char *model, const char *response_id, jv usage, double cost,
    jv timestamp);
/* the files of its answer's long strings removed */
void ig_job_drop_raw(struct ig_job *j);
/* the images record of a file a job made at path (absolute); url_base as ig_url_under */
jv ig_job_image(const struct ig_job *j, const char *path, const char *placeholder_path,
    const struct ig_facts *f, const char *origin, const char *url_base);

/*
 * Provenance inside the file: A1111's infotext ("parameters"), the metadata
 * record as JSON, and XMP with IPTC's DigitalSourceType, as PNG text chunks,
 * JPEG COM and APP1 segments, or a WebP XMP chunk. p holds the first n of
 * the image's total bytes (its header, at least): out is that head with the
 * provenance in it, then come the image's other bytes, then tail.
 */
int ig_job_provenance(struct ig_buf *out, struct ig_buf *tail, const struct ig_job *j, const unsigned char *p,
    size_t n, uint64_t total, const char *mime, const char *model, jv meta, int algorithmic, char *err,
    size_t errlen);
/* the metadata JSON inside a file ig-gen wrote (PNG or JPEG), or NULL (caller frees) */
char *ig_job_file_metadata(const char *path);

#endif
