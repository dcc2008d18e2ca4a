/* request.h - what goes on the wire to an image API, and what is recorded of it
 *
 * A request is built once per job from its settings (imgmodel.h), its input
 * images and the user's passthrough object, merged over the fields ig
 * writes. A Gemini body carries its images as inlineData parts: their
 * base64 is read from a shared input, never copied into the body, so that
 * a reference set sent with every job of a batch is held once. The same
 * request, with each image's data replaced by its sha256, is what the
 * metadata record keeps (params.wire).
 */
#ifndef IG_REQUEST_H
#define IG_REQUEST_H
#include <stddef.h>
#include <stdint.h>
#include <jv.h>

#include "buf.h"
#include "imgmodel.h"
#include "uuid.h"

#define IG_INPUTS_MAX 20	/* images one request sends, at most */

/* an image a request sends: a reference, an edit's source or mask, a placeholder */
struct ig_input {
	char *path;			/* absolute */
	char sha256[65];
	char mime[32];
	uint64_t size;
	struct ig_buf b64;		/* its base64, when sent inline */
	int refs;			/* jobs holding it */
};

/* inputs shared by the jobs of a run, by path */
struct ig_inputs {
	struct ig_input **v;
	int n, cap;
};

/* the input at path (absolute), read and hashed once (with its base64 if
 * inline); its reference is the caller's, given back by ig_input_release.
 * NULL with err if it cannot be read or is no PNG, JPEG or WebP. */
struct ig_input *ig_inputs_get(struct ig_inputs *c, const char *path, int inline_b64, char *err, size_t errlen);
void ig_input_release(struct ig_input *in);
void ig_inputs_free(struct ig_inputs *c);

/* an input as a job names it */
struct ig_job_input {
	struct ig_input *in;
	char role[16];			/* object, character, style, source, mask, placeholder */
	char image_id[IG_UUID_TEXT];	/* the stored image it was named by, or "" */
};

struct ig_request {
	const char *model, *prompt;
	long long seed;
	int has_seed;
	const struct ig_settings *set;
	int send_image_size;		/* the model has more than one */
	const struct ig_job_input *inputs;
	int ninputs;
	jv passthrough;			/* an object, or null; borrowed */
};

/* a body of literal JSON with gaps where inputs' base64 goes, read in order */
struct ig_body {
	struct ig_buf text;
	struct { size_t at; const struct ig_input *in; } gap[IG_INPUTS_MAX];
	int ngaps;
	size_t total, pos;
};

/* the Gemini generateContent body; *wire (the caller's) is what is recorded */
void ig_gemini_body(struct ig_body *b, jv *wire, const struct ig_request *rq);
/* OpenAI's fields (generations as JSON; edits as form fields) with the
 * passthrough merged; *wire as above, with the images an edit sends */
jv ig_openai_fields(const struct ig_request *rq, int edit, jv *wire);
/* fields (consumed) as a JSON body */
void ig_body_json(struct ig_body *b, jv fields);
/* curl's CURLOPT_READFUNCTION over a body */
size_t ig_body_read(char *dst, size_t size, size_t n, void *body);
void ig_body_free(struct ig_body *b);

/* b's keys over a's, objects merged all the way down (both consumed) */
jv ig_json_merge_deep(jv a, jv b);

#endif
