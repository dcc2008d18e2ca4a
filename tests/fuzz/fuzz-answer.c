/* fuzz-answer - the answer parsers of every backend: an HTTP status and a
 * body, as a server or a proxy may send them, and a Gemini batch's result
 * entry. The first byte picks the backend and the status; the rest is the
 * body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "json.h"

const char *ig_prog = "fuzz-answer";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 403, 429, 500, 503, 404, 408 };
	struct ig_answer a;
	char *body;

	if (size < 1)
		return 0;
	body = malloc(size);
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	memset(&a, 0, sizeof a);
	if (data[0] & 1)
		ig_openai_answer(statuses[(data[0] >> 1) & 7], body, size - 1, (data[0] & 0x10) ? 2.5 : -1, &a);
	else
		ig_gemini_answer(statuses[(data[0] >> 1) & 7], body, size - 1, &a);
	if (a.outcome == IG_IMAGE && a.b64) {
		if (a.b64 < body || a.b64 + a.b64len > body + size - 1)
			abort();	/* a large image is where it lies in the body */
		ig_answer_image(&a);
	}
	if (a.outcome == IG_IMAGE && !a.b64 && a.image.len == 0)
		abort();	/* an image is never empty */
	if (!memchr(a.reason, '\0', sizeof a.reason) || !memchr(a.mime, '\0', sizeof a.mime))
		abort();
	ig_buf_free(&a.image);
	jv_free(a.usage);
	/* the same body as a batch's result entry: a key and an outcome */
	if (data[0] & 0x20) {
		char err[256], key[64];
		jv v = ig_json_parse(body, size - 1, err, sizeof err);

		if (jv_get_kind(v) == JV_KIND_OBJECT) {
			memset(&a, 0, sizeof a);
			ig_gemini_batch_entry(v, &a, key, sizeof key);
			if (!memchr(key, '\0', sizeof key) || !memchr(a.reason, '\0', sizeof a.reason))
				abort();
			if (a.outcome == IG_IMAGE && a.stream < 0 && a.image.len == 0)
				abort();
			ig_buf_free(&a.image);
			jv_free(a.usage);
		} else {
			jv_free(v);
		}
	}
	free(body);
	return 0;
}
