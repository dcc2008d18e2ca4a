/* scan.h - an answer read as it arrives, its images sent on as they come
 *
 * An image API's answer is JSON whose image is one long base64 string (a
 * 4K image is 10 to 30 MB of it). The scanner copies the answer's JSON as
 * it comes, except for string values longer than a mark: their characters
 * go to a sink (a file) as they arrive, \/ read as /, and the JSON keeps
 * {"ig_stream": K} in their place. Memory is the answer's small part,
 * whatever the image's size. It does no more than that, since it runs on
 * the thread that reads every transfer: the base64 is decoded later, off
 * that thread (gen_write_streamed).
 */
#ifndef IG_SCAN_H
#define IG_SCAN_H
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "buf.h"

#define IG_SCAN_STREAMS 4	/* long strings an answer may hold: Gemini's thought images, then the image;
				 * a batch's inlined results set max_streams to hold one a job */

struct ig_scan_sink {
	/* stream k begins, or k's next characters: 0, or -1 (errno set) to stop */
	int (*open)(void *ctx, int k);
	int (*write)(void *ctx, int k, const unsigned char *p, size_t n);
	void *ctx;
};

struct ig_scan {
	struct ig_buf kept;		/* the answer, long strings replaced */
	size_t big;			/* the mark */
	struct ig_scan_sink sink;
	int nstreams, max_streams;	/* long strings so far; at most (IG_SCAN_STREAMS unless set) */
	struct ig_buf bad;		/* byte k: stream k held an escape (no base64 does) or was cut short */
	/* where it is */
	int in_string, escaped, is_key, streaming, stop;
	size_t str_start, str_len;	/* the open string's quote in kept, its length */
	int depth;
	uint8_t in_object[IG_JSON_DEPTH_MAX / 8];
	int expect_key;
};

void ig_scan_init(struct ig_scan *s, size_t big, const struct ig_scan_sink *sink);
/* the next bytes of the answer: 0, or -1 when a sink failed (errno set) */
int ig_scan_feed(struct ig_scan *s, const char *p, size_t n);
/* the answer is whole: 0, or -1 when a sink failed */
int ig_scan_end(struct ig_scan *s);
/* for the next attempt */
void ig_scan_reset(struct ig_scan *s);
void ig_scan_free(struct ig_scan *s);
/* 1 if stream k is no base64 string (or there is no stream k) */
int ig_scan_bad(const struct ig_scan *s, int k);

#endif
