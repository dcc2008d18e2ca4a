/* backend.h - the image APIs' answers: what each means
 *
 * Gemini: POST {endpoint}/v1beta/models/{model}:generateContent with
 * x-goog-api-key. OpenAI-compatible: POST {endpoint}/v1/images/generations
 * or /v1/images/edits with a Bearer key (also sd-server, LocalAI); request.h
 * builds the requests. ../shared/notes/image-apis.md has the formats and the
 * failure modes these follow.
 */
#ifndef IG_BACKEND_H
#define IG_BACKEND_H
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "buf.h"

enum ig_outcome {
	IG_IMAGE,	/* an image came back */
	IG_FAILED,	/* the job ends in error: retrying will not help */
	IG_RETRY,	/* try again after a wait */
	IG_QUOTA,	/* a daily quota: stop the run, leave jobs queued */
	IG_DISK,	/* the machine could not keep the answer (a full disk): the job stays queued */
};

struct ig_answer {
	enum ig_outcome outcome;
	struct ig_buf image;	/* the bytes, decoded */
	const char *b64;	/* or a large image's base64, in the body, to decode */
	size_t b64len;
	int stream;		/* or the scanner's stream that holds it (scan.h), or -1 */
	jv usage;		/* usageMetadata or usage, or invalid: the caller frees it */
	char mime[64];
	char response_id[128];
	double wait;		/* seconds the server asked to wait, or -1 */
	char reason[512];
};

/* body must be NUL-terminated; header_wait is what Retry-After or
 * retry-after-ms said (seconds), or -1. A large image is left in the body
 * as base64 (b64), for ig_answer_image to decode, on any thread; an image
 * the scanner took out of the body ({"ig_stream": K}) is named by stream. */
void ig_gemini_answer(long http, const char *body, size_t n, struct ig_answer *a);
void ig_openai_answer(long http, const char *body, size_t n, double header_wait, struct ig_answer *a);

/* an entry of a Gemini batch's results (consumed): a JSONL line's
 * {"key", "response" | "error"}, or an inlined response's {"response" |
 * "error", "metadata": {"key"}}; its key in key. A per-line error's outcome
 * is IG_RETRY when its google.rpc code is one a later try may get past. */
void ig_gemini_batch_entry(jv entry, struct ig_answer *a, char *key, size_t keylen);

/* seconds before try attempts + 1: exponential from retry_delay, at most
 * a minute, with jitter, and at least what the server asked (asked) */
double ig_backoff(double retry_delay, int attempts, double asked);

/* decodes a->b64 into a->image; 0, or -1 (and the outcome IG_FAILED, with
 * the reason) if it is not base64 */
int ig_answer_image(struct ig_answer *a);

#endif
