/* gembatch.h - the Gemini Batch API's calls: upload, create, poll, download, cancel
 *
 * One blocking call at a time on one curl handle: a batch run makes a few
 * calls, each either small or one long stream. Answers of 200 go to the
 * caller's sink as they arrive; any other answer is read as the online
 * path reads a Gemini error (backend.h): 429 and 5xx are tried again after
 * RetryInfo's wait or a backoff, as long as nothing reached the sink yet; a
 * per-day quota is IG_QUOTA; a wrong key (400, 401, 403) is IG_FAILED, never
 * tried again. The key goes in a header and is wiped from every message.
 * The formats are in ../shared/notes/image-apis.md, section 1.8.
 */
#ifndef IG_GEMBATCH_H
#define IG_GEMBATCH_H
#include <signal.h>
#include <stdint.h>
#include <curl/curl.h>

#include "backend.h"

struct ig_gbatch {
	const char *endpoint;		/* base URL, no trailing slash */
	const char *key;		/* or NULL */
	long timeout;			/* seconds a call may take */
	int max_retries;
	double retry_delay;		/* the first backoff, seconds */
	volatile sig_atomic_t *stop;	/* set by a signal: the call ends */
	CURL *easy;
};

/* what a call came to: IG_IMAGE is success */
struct ig_gbatch_result {
	enum ig_outcome outcome;
	char reason[512];
};

/* the next bytes of a 200 answer: 0, or -1 to stop the call */
typedef int (*ig_gbatch_sink)(void *ctx, const char *p, size_t n);

/* 0, or -1 (curl would not start) */
int ig_gbatch_init(struct ig_gbatch *g);
void ig_gbatch_free(struct ig_gbatch *g);

/* a name the API gave (batches/ID, files/ID): safe in a URL and a message */
int ig_gbatch_name_ok(const char *name, const char *prefix);

/* fd's size bytes uploaded through the Files API's resumable protocol as a
 * file of type mime; its name (files/ID) in name. 0, or -1 with r. */
int ig_gbatch_upload(struct ig_gbatch *g, int fd, uint64_t size, const char *mime, const char *display,
    char *name, size_t n, struct ig_gbatch_result *r);
/* a batch of model created, over an uploaded file (file) or with body, a
 * whole batchGenerateContent body holding its requests inline; its name
 * (batches/ID) in name. 0, or -1 with r. */
int ig_gbatch_create(struct ig_gbatch *g, const char *model, const char *display, const char *file,
    const char *body, size_t len, char *name, size_t n, struct ig_gbatch_result *r);
/* the batch's state, its answer (an Operation) to sink */
int ig_gbatch_get(struct ig_gbatch *g, const char *batch, ig_gbatch_sink sink, void *ctx,
    struct ig_gbatch_result *r);
/* a responses file's JSONL, to sink as it comes */
int ig_gbatch_download(struct ig_gbatch *g, const char *file, ig_gbatch_sink sink, void *ctx,
    struct ig_gbatch_result *r);
int ig_gbatch_cancel(struct ig_gbatch *g, const char *batch, struct ig_gbatch_result *r);

#endif
