/* backend.c - reading the answers of the image APIs */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <jv.h>

#include "backend.h"
#include "base64.h"
#include "json.h"
#include "scan.h"

/* answers' images are parsed in place: strings this long are references */
#define BIG_STRING 65536

#define NOT_BASE64 "the answer's image is not base64"

/* base64 held as a string, decoded now, or, when large, as a reference
 * into body, kept for ig_answer_image; 1 if there is an image, -1 if it
 * is not base64 */
static int
take_data(struct ig_answer *a, jv data, const char *body, size_t n)
{
	if (jv_get_kind(data) == JV_KIND_STRING)
		return ig_base64_decode(&a->image, jv_string_value(data),
		    (size_t)jv_string_length_bytes(jv_copy(data))) != 0 ? -1 : a->image.len > 0;
	if (jv_get_kind(data) == JV_KIND_OBJECT) {
		jv off = ig_get(data, "ig_offset"), len = ig_get(data, "ig_length"), k = ig_get(data, "ig_stream");

		/* a reference the parser made, inside the body (an answer may
		 * spell such an object itself) */
		if (body && jv_get_kind(off) == JV_KIND_NUMBER && jv_get_kind(len) == JV_KIND_NUMBER &&
		    jv_number_value(off) >= 0 && jv_number_value(len) >= 0 &&
		    jv_number_value(off) + jv_number_value(len) <= (double)n) {
			a->b64 = body + (size_t)jv_number_value(off);
			a->b64len = (size_t)jv_number_value(len);
		} else if (jv_get_kind(k) == JV_KIND_NUMBER && jv_number_value(k) >= 0 &&
		    jv_number_value(k) < 1e9) {
			/* whose stream it is, the caller checks */
			a->stream = (int)jv_number_value(k);
		}
		jv_free(off);
		jv_free(len);
		jv_free(k);
		return a->b64 != NULL || a->stream >= 0;
	}
	return 0;
}

int
ig_answer_image(struct ig_answer *a)
{
	if (!a->b64)
		return 0;
	a->image.len = 0;
	if (ig_base64_decode(&a->image, a->b64, a->b64len) != 0 || a->image.len == 0) {
		a->outcome = IG_FAILED;
		snprintf(a->reason, sizeof a->reason, "%s", NOT_BASE64);
		return -1;
	}
	a->b64 = NULL;
	return 0;
}

static void
take_string(char *out, size_t n, jv v)
{
	snprintf(out, n, "%s", jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "");
	jv_free(v);
}

/* a protobuf Duration such as "36.4s" */
static double
duration(jv v)
{
	double d = -1;

	if (jv_get_kind(v) == JV_KIND_STRING)
		d = strtod(jv_string_value(v), NULL);
	jv_free(v);
	return d;
}

/* a 200 cut short or garbled: the next try may be whole */
static void
unreadable(struct ig_answer *a, const char *err, jv v)
{
	snprintf(a->reason, sizeof a->reason, "unreadable answer: %s", err);
	a->outcome = IG_RETRY;
	jv_free(v);
}

static int
retryable_gemini(long http)
{
	return http == 408 || http == 429 || http == 500 || http == 502 || http == 503 || http == 504;
}

static void gemini_response(jv v, const char *body, size_t n, struct ig_answer *a);

/* the google.rpc.Status error body: message, RetryInfo, a per-day quota */
static void
gemini_error(long http, jv body, struct ig_answer *a)
{
	jv err = jv_get_kind(body) == JV_KIND_ARRAY ? jv_array_get(jv_copy(body), 0) : jv_copy(body);
	jv details;
	int per_day = 0;
	char msg[400];

	err = ig_get_path(err, "error", NULL, NULL);
	take_string(msg, sizeof msg, ig_get(err, "message"));
	details = ig_get(err, "details");
	if (jv_get_kind(details) == JV_KIND_ARRAY)
		jv_array_foreach(details, i, d) {
			jv type = ig_get(d, "@type"), viol;

			if (jv_get_kind(type) == JV_KIND_STRING &&
			    strstr(jv_string_value(type), "RetryInfo"))
				a->wait = duration(ig_get(d, "retryDelay"));
			viol = ig_get(d, "violations");
			if (jv_get_kind(viol) == JV_KIND_ARRAY)
				jv_array_foreach(viol, j, q) {
					jv id = ig_get(q, "quotaId");

					per_day |= jv_get_kind(id) == JV_KIND_STRING &&
					    strstr(jv_string_value(id), "PerDay") != NULL;
					jv_free(id);
					jv_free(q);
				}
			jv_free(viol);
			jv_free(type);
			jv_free(d);
		}
	jv_free(details);
	jv_free(err);
	snprintf(a->reason, sizeof a->reason, "HTTP %ld: %s", http, msg[0] ? msg : "no message");
	if (http == 429 && per_day)
		a->outcome = IG_QUOTA;
	else
		a->outcome = retryable_gemini(http) ? IG_RETRY : IG_FAILED;
}

static void
answer_begin(struct ig_answer *a)
{
	a->outcome = IG_FAILED;
	a->wait = -1;
	a->image.len = 0;
	a->b64 = NULL;
	a->stream = -1;
	a->usage = jv_invalid();
}

void
ig_gemini_answer(long http, const char *body, size_t n, struct ig_answer *a)
{
	char err[256];
	jv v = ig_json_parse_big(body, n, BIG_STRING, err, sizeof err);

	answer_begin(a);
	if (http != 200) {
		if (jv_is_valid(v)) {
			gemini_error(http, v, a);
		} else {
			snprintf(a->reason, sizeof a->reason, "HTTP %ld", http);
			a->outcome = retryable_gemini(http) ? IG_RETRY : IG_FAILED;
		}
		jv_free(v);
		return;
	}
	if (!jv_is_valid(v)) {
		unreadable(a, err, v);
		return;
	}
	gemini_response(v, body, n, a);
}

/* google.rpc.Code values a later try may get past: DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED, INTERNAL, UNAVAILABLE */
static int
retryable_rpc(long code)
{
	return code == 4 || code == 8 || code == 13 || code == 14 || (code >= 100 && retryable_gemini(code));
}

void
ig_gemini_batch_entry(jv entry, struct ig_answer *a, char *key, size_t keylen)
{
	jv k = ig_get(entry, "key"), response = ig_get(entry, "response"), status = ig_get(entry, "error");

	answer_begin(a);
	if (ig_kind(k) != JV_KIND_STRING) {
		jv_free(k);
		k = ig_get_path(jv_copy(entry), "metadata", "key", NULL);
	}
	take_string(key, keylen, k);
	if (ig_kind(status) != JV_KIND_OBJECT) {
		jv_free(status);
		status = ig_get(entry, "status");
	}
	if (ig_kind(response) == JV_KIND_OBJECT) {
		jv_free(status);
		gemini_response(response, NULL, 0, a);
		jv_free(entry);
		return;
	}
	if (ig_kind(status) == JV_KIND_OBJECT) {
		jv code = ig_get(status, "code");
		char msg[400];
		/* a code no status has (out of range, not whole) is none */
		double d = ig_kind(code) == JV_KIND_NUMBER ? jv_number_value(code) : 0;
		long c = d >= 0 && d < 1000 && d == (long)d ? (long)d : 0;

		take_string(msg, sizeof msg, ig_get(status, "message"));
		snprintf(a->reason, sizeof a->reason, "the batch's answer: error %ld: %s", c, msg[0] ? msg : "no message");
		a->outcome = retryable_rpc(c) ? IG_RETRY : IG_FAILED;
		jv_free(code);
	} else {
		snprintf(a->reason, sizeof a->reason, "the batch's answer holds neither a response nor an error");
	}
	jv_free(status);
	jv_free(response);
	jv_free(entry);
}

/* a GenerateContentResponse (consumed): its image, or why there is none */
static void
gemini_response(jv v, const char *body, size_t n, struct ig_answer *a)
{
	char text[200] = "", finish[64] = "";
	jv cands, feedback;
	int has_image = 0;

	take_string(a->response_id, sizeof a->response_id, ig_get(v, "responseId"));
	a->usage = ig_get(v, "usageMetadata");
	feedback = ig_get_path(jv_copy(v), "promptFeedback", "blockReason", NULL);
	if (jv_get_kind(feedback) == JV_KIND_STRING) {
		snprintf(a->reason, sizeof a->reason, "prompt blocked: %s", jv_string_value(feedback));
		jv_free(feedback);
		jv_free(v);
		return;
	}
	jv_free(feedback);
	cands = ig_get(v, "candidates");
	if (jv_get_kind(cands) == JV_KIND_ARRAY)
		jv_array_foreach(cands, i, cand) {
			jv parts = ig_get_path(jv_copy(cand), "content", "parts", NULL);

			if (!finish[0])
				take_string(finish, sizeof finish, ig_get(cand, "finishReason"));
			if (jv_get_kind(parts) == JV_KIND_ARRAY)
				jv_array_foreach(parts, j, part) {
					jv inl = ig_get(part, "inlineData"), thought = ig_get(part, "thought");

					if (!jv_is_valid(inl) || jv_get_kind(inl) == JV_KIND_NULL) {
						jv_free(inl);
						inl = ig_get(part, "inline_data");
					}
					if (jv_get_kind(inl) == JV_KIND_OBJECT && jv_get_kind(thought) != JV_KIND_TRUE &&
					    !has_image) {
						jv data = ig_get(inl, "data"), mime = ig_get(inl, "mimeType");

						if (jv_get_kind(mime) != JV_KIND_STRING) {
							jv_free(mime);
							mime = ig_get(inl, "mime_type");
						}
						take_string(a->mime, sizeof a->mime, mime);
						has_image = take_data(a, data, body, n);
						jv_free(data);
					} else if (!text[0]) {
						take_string(text, sizeof text, ig_get(part, "text"));
					}
					jv_free(inl);
					jv_free(thought);
					jv_free(part);
				}
			jv_free(parts);
			jv_free(cand);
		}
	jv_free(cands);
	jv_free(v);
	if (has_image > 0) {
		a->outcome = IG_IMAGE;
	} else if (has_image < 0) {
		snprintf(a->reason, sizeof a->reason, "%s", NOT_BASE64);
	} else if (finish[0] && strcmp(finish, "STOP") != 0) {
		snprintf(a->reason, sizeof a->reason, "no image: finishReason %s", finish);
	} else if (text[0]) {
		snprintf(a->reason, sizeof a->reason, "no image, only text: %.150s", text);
	} else {
		snprintf(a->reason, sizeof a->reason, "no image in the answer");
	}
}

void
ig_openai_answer(long http, const char *body, size_t n, double header_wait, struct ig_answer *a)
{
	char err[256], code[64] = "", msg[400] = "";
	jv v = ig_json_parse_big(body, n, BIG_STRING, err, sizeof err), b64;
	int rc;

	a->outcome = IG_FAILED;
	a->wait = header_wait;
	a->image.len = 0;
	a->b64 = NULL;
	a->stream = -1;
	a->usage = jv_invalid();
	snprintf(a->mime, sizeof a->mime, "image/png");
	if (http != 200) {
		take_string(code, sizeof code, ig_get_path(jv_copy(v), "error", "code", NULL));
		take_string(msg, sizeof msg, ig_get_path(jv_copy(v), "error", "message", NULL));
		snprintf(a->reason, sizeof a->reason, "HTTP %ld: %s", http, msg[0] ? msg : "no message");
		if (strcmp(code, "insufficient_quota") == 0)
			a->outcome = IG_QUOTA;
		else if (http == 408 || http == 409 || http == 429 || http >= 500)
			a->outcome = IG_RETRY;
		jv_free(v);
		return;
	}
	if (!jv_is_valid(v)) {
		unreadable(a, err, v);
		return;
	}
	a->usage = ig_get(v, "usage");
	b64 = ig_get(v, "data");
	b64 = jv_get_kind(b64) == JV_KIND_ARRAY ? jv_array_get(b64, 0) : (jv_free(b64), jv_invalid());
	b64 = jv_get_kind(b64) == JV_KIND_OBJECT ? ig_get_path(b64, "b64_json", NULL, NULL) : (jv_free(b64), jv_invalid());
	/* a small image arrives as a string, a large one as a reference (or
	 * a stream, whose bytes say what it is); a JPEG's base64 starts /9j/
	 * (FF D8 FF), a WebP's UklGR (RIFF) */
	if ((rc = take_data(a, b64, body, n)) > 0) {
		a->outcome = IG_IMAGE;
		if ((a->image.len > 2 && (unsigned char)a->image.p[0] == 0xff &&
		    (unsigned char)a->image.p[1] == 0xd8) || (a->b64 && a->b64len > 4 && memcmp(a->b64, "/9j/", 4) == 0))
			snprintf(a->mime, sizeof a->mime, "image/jpeg");
		else if ((a->image.len > 12 && memcmp(a->image.p, "RIFF", 4) == 0) ||
		    (a->b64 && a->b64len > 5 && memcmp(a->b64, "UklGR", 5) == 0))
			snprintf(a->mime, sizeof a->mime, "image/webp");
	} else {
		snprintf(a->reason, sizeof a->reason, "%s", rc < 0 ? NOT_BASE64 : "no image in the answer");
	}
	jv_free(b64);
	jv_free(v);
}

double
ig_backoff(double retry_delay, int attempts, double asked)
{
	uint32_t r = 0;
	double d = retry_delay * pow(2, attempts - 1);

	if (d > 60)
		d = 60;
	if (getrandom(&r, sizeof r, 0) == sizeof r)
		d *= 0.8 + 0.4 * (r / 4294967296.0);
	return asked > d ? asked : d;
}
