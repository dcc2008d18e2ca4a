/* request.c - request bodies for the image APIs, and their inputs */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <openssl/evp.h>

#include "base64.h"
#include "err.h"
#include "json.h"
#include "path.h"
#include "request.h"

/* OpenAI's limit for an input image; Gemini's whole inline request is smaller */
#define INPUT_MAX ((uint64_t)50 << 20)
/* read in whole base64 groups */
#define READ_CHUNK (3 * 21845)

static const char *
sniff(const unsigned char *p, size_t n)
{
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return "image/jpeg";
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		return "image/webp";
	return NULL;
}

static int
input_load(struct ig_input *in, int inline_b64, char *err, size_t errlen)
{
	unsigned char *chunk = ig_malloc(READ_CHUNK), md[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	int fd = ig_open_regular(in->path, err, errlen), rc = -1;
	unsigned mdlen = 0;
	ssize_t n;

	if (fd < 0 || !sha || !EVP_DigestInit_ex(sha, EVP_sha256(), NULL)) {
		if (fd >= 0)
			snprintf(err, errlen, "sha256: OpenSSL failed");
		goto out;
	}
	while ((n = ig_pread_full(fd, chunk, READ_CHUNK, (off_t)in->size)) > 0) {
		if (in->size == 0 && !sniff(chunk, (size_t)n)) {
			snprintf(err, errlen, "not a PNG, JPEG or WebP image");
			goto out;
		}
		if (in->size == 0)
			snprintf(in->mime, sizeof in->mime, "%s", sniff(chunk, (size_t)n));
		in->size += (uint64_t)n;
		if (in->size > INPUT_MAX) {
			snprintf(err, errlen, "more than %llu MiB, the most an input image may be",
			    (unsigned long long)(INPUT_MAX >> 20));
			goto out;
		}
		if (!EVP_DigestUpdate(sha, chunk, (size_t)n)) {
			snprintf(err, errlen, "sha256: OpenSSL failed");
			goto out;
		}
		if (inline_b64)
			ig_base64_encode(&in->b64, chunk, (size_t)n);
	}
	if (n < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
	} else if (in->size == 0) {
		snprintf(err, errlen, "an empty file");
	} else if (!EVP_DigestFinal_ex(sha, md, &mdlen)) {
		snprintf(err, errlen, "sha256: OpenSSL failed");
	} else {
		for (unsigned i = 0; i < mdlen; i++)
			snprintf(in->sha256 + 2 * i, 3, "%02x", md[i]);
		rc = 0;
	}
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(sha);
	free(chunk);
	return rc;
}

static void
input_free(struct ig_input *in)
{
	free(in->path);
	ig_buf_free(&in->b64);
	free(in);
}

struct ig_input *
ig_inputs_get(struct ig_inputs *c, const char *path, int inline_b64, char *err, size_t errlen)
{
	struct ig_input *in;
	int k = 0;

	for (int i = 0; i < c->n; i++)
		if (strcmp(c->v[i]->path, path) == 0 && (!inline_b64 || c->v[i]->b64.len)) {
			c->v[i]->refs++;
			return c->v[i];
		}
	/* what no job holds goes, so that a chain of edits holds no more
	 * than its jobs in flight */
	for (int i = 0; i < c->n; i++)
		if (c->v[i]->refs > 0)
			c->v[k++] = c->v[i];
		else
			input_free(c->v[i]);
	c->n = k;
	in = ig_malloc(sizeof *in);
	memset(in, 0, sizeof *in);
	in->path = ig_strdup(path);
	if (input_load(in, inline_b64, err, errlen) != 0) {
		input_free(in);
		return NULL;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = ig_realloc(c->v, (size_t)c->cap * sizeof *c->v);
	}
	in->refs = 1;
	return c->v[c->n++] = in;
}

void
ig_input_release(struct ig_input *in)
{
	if (in)
		in->refs--;
}

void
ig_inputs_free(struct ig_inputs *c)
{
	for (int i = 0; i < c->n; i++)
		input_free(c->v[i]);
	free(c->v);
	memset(c, 0, sizeof *c);
}

jv
ig_json_merge_deep(jv a, jv b)
{
	if (jv_get_kind(a) != JV_KIND_OBJECT || jv_get_kind(b) != JV_KIND_OBJECT) {
		jv_free(a);
		return b;
	}
	jv_object_foreach(b, k, v) {
		jv old = jv_object_get(jv_copy(a), jv_copy(k));

		a = jv_object_set(a, k, jv_is_valid(old) ? ig_json_merge_deep(old, v) : (jv_free(old), v));
	}
	jv_free(b);
	return a;
}

/* what an input is, in the recorded request: never its bytes */
static jv
described(const struct ig_job_input *ji)
{
	jv d = JV_OBJECT(jv_string("role"), jv_string(ji->role), jv_string("sha256"), jv_string(ji->in->sha256),
	    jv_string("bytes"), jv_number((double)ji->in->size));

	return jv_object_set(d, jv_string("mime"), jv_string(ji->in->mime));
}

/* a marker no prompt can hold: where an input's base64 goes */
static void
marker(char *out, size_t n, uint64_t nonce, int i)
{
	snprintf(out, n, "\x01ig%016llx.%d", (unsigned long long)nonce, i);
}

static jv
gemini_body_jv(const struct ig_request *rq, uint64_t nonce, int record)
{
	jv parts = jv_array_append(jv_array(), JV_OBJECT(jv_string("text"), jv_string(rq->prompt)));
	jv image = JV_OBJECT(jv_string("aspectRatio"), jv_string(rq->set->aspect));
	jv config, body;
	char mark[64];

	/* the prompt first, then the images it speaks of */
	for (int i = 0; i < rq->ninputs; i++) {
		const struct ig_job_input *ji = &rq->inputs[i];

		marker(mark, sizeof mark, nonce, i);
		parts = jv_array_append(parts, JV_OBJECT(jv_string("inlineData"),
		    JV_OBJECT(jv_string("mimeType"), jv_string(ji->in->mime),
		    jv_string("data"), record ? described(ji) : jv_string(mark))));
	}
	if (rq->send_image_size)
		image = jv_object_set(image, jv_string("imageSize"), jv_string(rq->set->image_size));
	/* TEXT and IMAGE: what every image model accepts */
	config = JV_OBJECT(jv_string("responseModalities"),
	    JV_ARRAY(jv_string("TEXT"), jv_string("IMAGE")), jv_string("imageConfig"), image);
	if (rq->has_seed)	/* int32 in the API */
		config = jv_object_set(config, jv_string("seed"), jv_number((double)(rq->seed & 0x7fffffff)));
	body = JV_OBJECT(jv_string("contents"), JV_ARRAY(JV_OBJECT(jv_string("role"), jv_string("user"),
	    jv_string("parts"), parts)), jv_string("generationConfig"), config);
	if (jv_get_kind(rq->passthrough) == JV_KIND_OBJECT)
		body = ig_json_merge_deep(body, jv_copy(rq->passthrough));
	return body;
}

void
ig_gemini_body(struct ig_body *b, jv *wire, const struct ig_request *rq)
{
	uint64_t nonce = 0;
	char mark[64], esc[80];
	size_t from = 0;
	jv body;

	if (getrandom(&nonce, sizeof nonce, 0) != sizeof nonce)
		nonce = (uint64_t)(uintptr_t)b ^ (uint64_t)getpid() << 32;
	memset(b, 0, sizeof *b);
	body = gemini_body_jv(rq, nonce, 0);
	ig_json_write(&b->text, body);
	jv_free(body);
	*wire = gemini_body_jv(rq, nonce, 1);
	/* each marker, as written ("\u0001ig…"), becomes a gap */
	for (int i = 0; i < rq->ninputs; i++) {
		char *at;
		size_t len;

		marker(mark, sizeof mark, nonce, i);
		len = (size_t)snprintf(esc, sizeof esc, "\\u0001%s", mark + 1);
		at = memmem(b->text.p + from, b->text.len - from, esc, len);
		if (!at)
			continue;	/* the passthrough replaced it */
		memmove(at, at + len, b->text.len - (size_t)(at - b->text.p) - len);
		b->text.len -= len;
		b->gap[b->ngaps].at = (size_t)(at - b->text.p);
		b->gap[b->ngaps++].in = rq->inputs[i].in;
		from = (size_t)(at - b->text.p);
	}
	b->total = b->text.len;
	for (int i = 0; i < b->ngaps; i++)
		b->total += b->gap[i].in->b64.len;
}

jv
ig_openai_fields(const struct ig_request *rq, int edit, jv *wire)
{
	const struct ig_settings *s = rq->set;
	jv f = JV_OBJECT(jv_string("model"), jv_string(rq->model), jv_string("prompt"), jv_string(rq->prompt),
	    jv_string("n"), jv_number(1), jv_string("size"), jv_string(s->size));
	jv images = jv_array(), mask = jv_null();

	if (s->quality[0])
		f = jv_object_set(f, jv_string("quality"), jv_string(s->quality));
	if (s->background[0])
		f = jv_object_set(f, jv_string("background"), jv_string(s->background));
	if (s->output_format[0])
		f = jv_object_set(f, jv_string("output_format"), jv_string(s->output_format));
	if (s->compression >= 0)
		f = jv_object_set(f, jv_string("output_compression"), jv_number(s->compression));
	if (s->moderation[0])
		f = jv_object_set(f, jv_string("moderation"), jv_string(s->moderation));
	/* GPT image models always answer in base64 and refuse the field */
	if (strncmp(rq->model, "gpt-image", 9) != 0)
		f = jv_object_set(f, jv_string("response_format"), jv_string("b64_json"));
	if (jv_get_kind(rq->passthrough) == JV_KIND_OBJECT)
		f = ig_json_merge_deep(f, jv_copy(rq->passthrough));
	for (int i = 0; edit && i < rq->ninputs; i++) {
		if (strcmp(rq->inputs[i].role, "mask") == 0) {
			jv_free(mask);
			mask = described(&rq->inputs[i]);
		} else {
			images = jv_array_append(images, described(&rq->inputs[i]));
		}
	}
	*wire = jv_copy(f);
	if (edit) {
		*wire = jv_object_set(*wire, jv_string("image[]"), images);
		*wire = jv_object_set(*wire, jv_string("mask"), mask);
	} else {
		jv_free(images);
		jv_free(mask);
	}
	return f;
}

void
ig_body_json(struct ig_body *b, jv fields)
{
	memset(b, 0, sizeof *b);
	ig_json_write(&b->text, fields);
	jv_free(fields);
	b->total = b->text.len;
}

size_t
ig_body_read(char *dst, size_t size, size_t n, void *arg)
{
	struct ig_body *b = arg;
	size_t want = size * n, done = 0, at = 0, text_at = 0;

	/* the body is text[0, gap0) base64(0) text[gap0, gap1) … text[gapN, end) */
	for (int i = 0; i <= b->ngaps && done < want; i++) {
		size_t text_end = i < b->ngaps ? b->gap[i].at : b->text.len;
		const char *segs[2] = { b->text.p + text_at, i < b->ngaps ? b->gap[i].in->b64.p : NULL };
		size_t lens[2] = { text_end - text_at, i < b->ngaps ? b->gap[i].in->b64.len : 0 };

		for (int s = 0; s < 2 && done < want; s++) {
			if (b->pos < at + lens[s]) {
				size_t off = b->pos - at, k = lens[s] - off;

				if (k > want - done)
					k = want - done;
				memcpy(dst + done, segs[s] + off, k);
				done += k;
				b->pos += k;
			}
			at += lens[s];
		}
		text_at = text_end;
	}
	return done;
}

void
ig_body_free(struct ig_body *b)
{
	ig_buf_free(&b->text);
	memset(b, 0, sizeof *b);
}
