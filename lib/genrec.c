/* genrec.c - a generation job's records, and its provenance inside the file */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "genrec.h"
#include "imagehdr.h"
#include "json.h"
#include "path.h"
#include "plan.h"
#include "pngw.h"
#include "url.h"

#define PROVENANCE_KEY "ig_metadata"
#define XMP_PREFIX "http://ns.adobe.com/xap/1.0/"

/* IPTC's label for how an image was made (trained models, or plain
 * algorithms) and, in ig's own namespace, the metadata record: an XMP
 * packet, as a PNG iTXt chunk or a JPEG APP1 segment */
static const char xmp_head[] =
    "<?xpacket begin=\"\xef\xbb\xbf\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>"
    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
    "<rdf:Description rdf:about=\"\" xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\""
    " xmlns:ig=\"http://ns.ig.invalid/1.0/\">"
    "<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/%s</Iptc4xmpExt:DigitalSourceType>";
static const char xmp_tail[] = "</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>";

struct ig_job *
ig_job_new(jv rec, const char *file, long lineno)
{
	struct ig_job *j = ig_malloc(sizeof *j);
	jv v;
	unsigned w = 1024, h = 1024;

	memset(j, 0, sizeof *j);
	j->rec = rec;
	j->file = file;
	j->lineno = lineno;
	snprintf(j->id, sizeof j->id, "%s", ig_str(rec, "id") ? ig_str(rec, "id") : "");
	if (ig_uuid_parse(j->id, j->uid) != 0)
		j->id[0] = '\0';
	else
		ig_uuid_v5_text(ig_ns_metadata, j->id, strlen(j->id), j->meta_id);
	j->passthrough = jv_null();
	j->wire = jv_invalid();
	j->cost = -1;
	j->params = ig_get(rec, "params");
	if (jv_get_kind(j->params) != JV_KIND_OBJECT) {
		jv_free(j->params);
		j->params = jv_object();
	}
	j->prompt = ig_str(rec, "prompt");
	j->output = ig_str(rec, "output_path");
	j->placeholder = ig_str(rec, "placeholder_path");
	j->model = ig_str(j->params, "model") ? ig_str(j->params, "model") : IG_DEFAULT_MODEL;
	v = ig_get(j->params, "seed");
	if ((j->has_seed = jv_get_kind(v) == JV_KIND_NUMBER))
		j->seed = (long long)jv_number_value(v);
	jv_free(v);
	if (ig_str(j->params, "size"))
		sscanf(ig_str(j->params, "size"), "%ux%u", &w, &h);
	j->width = w >= 1 && w <= 16384 ? w : 1024;
	j->height = h >= 1 && h <= 16384 ? h : 1024;
	v = ig_get(j->params, "priority");
	j->priority = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : 0;
	jv_free(v);
	return j;
}

void
ig_job_free(struct ig_job *j)
{
	jv_free(j->rec);
	jv_free(j->params);
	jv_free(j->passthrough);
	jv_free(j->wire);
	for (int i = 0; i < j->ninputs; i++)
		ig_input_release(j->inputs[i].in);
	ig_body_free(&j->body);
	curl_mime_free(j->form);
	ig_job_drop_raw(j);
	ig_buf_free(&j->raw_buf);
	ig_scan_free(&j->scan);
	free(j->out_abs);
	ig_buf_free(&j->held);
	curl_slist_free_all(j->headers);
	if (j->easy)
		curl_easy_cleanup(j->easy);
	free(j);
}

void
ig_job_drop_raw(struct ig_job *j)
{
	for (int i = 0; i < j->nraw; i++)
		if (j->raw[i].fd >= 0)
			ig_tmpfile_abandon(&j->raw[i]);
	j->nraw = 0;
	j->raw_buf.len = 0;
}

/* who holds a claim: this host and process */
const char *
ig_holder(void)
{
	static char who[300];

	if (!who[0]) {
		char host[256] = "";

		gethostname(host, sizeof host - 1);
		snprintf(who, sizeof who, "%s:%ld", host, (long)getpid());
	}
	return who;
}

void
ig_remote_holder(const char *api, const char *batch, char *out, size_t n)
{
	const struct ig_collection *c = ig_model_find(ig_model(), "generations");

	snprintf(out, n, "%s%s:%s", c->life->remote ? c->life->remote : "", api, batch);
}

/* who holds the job while it works: this process, or its remote batch */
static jv
holder_of(const struct ig_job *j)
{
	char h[300];

	if (!j->remote_batch[0])
		return jv_string(ig_holder());
	ig_remote_holder(j->remote_api, j->remote_batch, h, sizeof h);
	return jv_string(h);
}

static jv
now_text(void)
{
	char t[IG_TIME_TEXT];

	ig_time_format(ig_now_us(), t);
	return jv_string(t);
}

/* the field a stage of the job's lifecycle stamps, by the model, or NULL */
static const char *
stamp_of(const struct ig_collection *c, enum ig_stage stage)
{
	jv st = jv_string(c->life->names[stage]);
	int f = ig_model_stamp(c, c->life->field, st);

	ig_jv_free(st);
	return f >= 0 ? c->fields[f].name : NULL;
}

jv
ig_job_at(struct ig_job *j, enum ig_stage stage)
{
	const struct ig_collection *c = ig_model_find(ig_model(), "generations");
	const char *started = stamp_of(c, IG_STAGE_WORKING), *ended = stamp_of(c, stage);
	jv now = now_text(), r;

	r = jv_object_set(jv_copy(j->rec), jv_string(c->fields[c->life->field].name),
	    jv_string(c->life->names[stage]));
	/* the producer's own times: when it started, when it ended */
	if (stage == IG_STAGE_WORKING)
		snprintf(j->started_at, sizeof j->started_at, "%s", jv_string_value(now));
	if (started && j->started_at[0])
		r = jv_object_set(r, jv_string(started), jv_string(j->started_at));
	if (ended && stage != IG_STAGE_WORKING)
		r = jv_object_set(r, jv_string(ended), jv_copy(now));
	if (stage == IG_STAGE_SUCCEEDED && j->cost >= 0)
		r = jv_object_set(r, jv_string("cost_usd"), jv_number(j->cost));
	r = jv_object_set(r, jv_string(c->fields[c->life->holder].name),
	    stage == IG_STAGE_WORKING ? holder_of(j) : jv_null());
	/* the batch it runs in is in its params while it runs, and after, as
	 * what made the image; a job given back is in none */
	if (j->remote_batch[0]) {
		jv params = ig_get(r, "params");

		if (ig_kind(params) != JV_KIND_OBJECT) {
			ig_jv_free(params);
			params = jv_object();
		}
		params = stage == IG_STAGE_READY ? jv_object_delete(params, jv_string("remote_batch")) :
		    jv_object_set(params, jv_string("remote_batch"), jv_string(j->remote_batch));
		r = jv_object_set(r, jv_string("params"), params);
	}
	return jv_object_set(r, jv_string(c->fields[c->f_updated].name), now);
}

jv
ig_job_task(const struct ig_job *j, const struct ig_task_run *run, enum ig_stage stage, jv result)
{
	char id[IG_UUID_TEXT], at[IG_TIME_TEXT];
	jv t;

	ig_uuid_v5_text(ig_ns_tasks, j->id, strlen(j->id), id);
	t = JV_OBJECT(jv_string("collection"), jv_string("generation_tasks"), jv_string("id"), jv_string(id));
	t = jv_object_set(t, jv_string("type"), jv_string("generate_image"));
	t = jv_object_set(t, jv_string("status"), jv_string(ig_stage_name("generation_tasks", stage)));
	t = jv_object_set(t, jv_string("priority"), jv_number(j->priority));
	t = jv_object_set(t, jv_string("params"), JV_OBJECT(jv_string("generation_id"), jv_string(j->id),
	    jv_string("backend"), jv_string(run->backend), jv_string("model"), jv_string(j->model)));
	if (j->remote_batch[0])
		t = jv_object_set(t, jv_string("params"), jv_object_set(ig_get(t, "params"),
		    jv_string("remote_batch"), jv_string(j->remote_batch)));
	t = jv_object_set(t, jv_string("result"), result);
	t = jv_object_set(t, jv_string("attempts"), jv_number(j->attempts));
	t = jv_object_set(t, jv_string("last_error"), j->last_error[0] ? jv_string(j->last_error) : jv_null());
	if (j->last_attempt_us) {
		ig_time_format(j->last_attempt_us, at);
		t = jv_object_set(t, jv_string("last_attempt"), jv_string(at));
	}
	t = jv_object_set(t, jv_string("retry_count"), jv_number(j->attempts > 1 ? j->attempts - 1 : 0));
	t = jv_object_set(t, jv_string("max_retries"), jv_number(run->max_retries));
	t = jv_object_set(t, jv_string("retry_delay"), jv_number((long)(run->retry_delay + 0.999)));
	t = jv_object_set(t, jv_string("generation_id"), jv_string(j->id));
	t = jv_object_set(t, jv_string("claimed_by"), stage == IG_STAGE_WORKING ? holder_of(j) : jv_null());
	return jv_object_set(t, jv_string("updated_at"), now_text());
}

/* what the request sent, by sha256 */
static jv
references(const struct ig_job *j)
{
	jv refs = jv_array();

	for (int i = 0; i < j->ninputs; i++) {
		const struct ig_job_input *ji = &j->inputs[i];
		jv r = JV_OBJECT(jv_string("role"), jv_string(ji->role), jv_string("sha256"), jv_string(ji->in->sha256),
		    jv_string("mime"), jv_string(ji->in->mime));

		r = jv_object_set(r, jv_string("bytes"), jv_number((double)ji->in->size));
		r = jv_object_set(r, jv_string("path"), jv_string(ji->in->path));
		if (ji->image_id[0])
			r = jv_object_set(r, jv_string("image_id"), jv_string(ji->image_id));
		refs = jv_array_append(refs, r);
	}
	return refs;
}

jv
ig_job_metadata(const struct ig_job *j, const char *model, const char *response_id, jv usage, double cost,
    jv timestamp)
{
	jv m = JV_OBJECT(jv_string("collection"), jv_string("metadata"), jv_string("id"), jv_string(j->meta_id),
	    jv_string("generation_id"), jv_string(j->id), jv_string("prompt"), jv_string(j->prompt));
	jv params = jv_copy(j->params);

	if (jv_is_valid(j->wire))
		params = jv_object_set(params, jv_string("wire"), jv_copy(j->wire));
	m = jv_object_set(m, jv_string("model"), jv_string(model));
	m = jv_object_set(m, jv_string("seed"), j->has_seed ? jv_number((double)j->seed) : jv_null());
	m = jv_object_set(m, jv_string("params"), params);
	m = jv_object_set(m, jv_string("timestamp"), timestamp);
	m = jv_object_set(m, jv_string("gemini_response_id"),
	    response_id && *response_id ? jv_string(response_id) : jv_null());
	if (j->ninputs)
		m = jv_object_set(m, jv_string("references"), references(j));
	if (jv_get_kind(usage) == JV_KIND_OBJECT)
		m = jv_object_set(m, jv_string("usage"), usage);
	else
		jv_free(usage);
	if (cost >= 0)
		m = jv_object_set(m, jv_string("cost_usd"), jv_number(cost));
	return jv_object_set(m, jv_string("source_placeholder"),
	    j->source_placeholder[0] ? jv_string(j->source_placeholder) : jv_null());
}

jv
ig_job_image(const struct ig_job *j, const char *path, const char *placeholder_path,
    const struct ig_facts *f, const char *origin, const char *url_base)
{
	char img_id[IG_UUID_TEXT];
	const char *type = ig_str(j->params, "type"), *subtype = ig_str(j->params, "subtype");
	const char *theme = ig_str(j->params, "theme");
	jv img, src = jv_null();

	ig_uuid_v5_text(ig_ns_images, path, strlen(path), img_id);
	img = jv_object_merge(JV_OBJECT(jv_string("collection"), jv_string("images"), jv_string("id"),
	    jv_string(img_id)), ig_image_place(path, url_base));
	img = jv_object_set(img, jv_string("format"), jv_string(f->img.format));
	img = jv_object_set(img, jv_string("width"), jv_number(f->img.width));
	img = jv_object_set(img, jv_string("height"), jv_number(f->img.height));
	img = jv_object_set(img, jv_string("size"), jv_number((double)f->size));
	img = jv_object_set(img, jv_string("sha256"), jv_string(f->sha256));
	img = jv_object_set(img, jv_string("xxh128"), jv_string(f->xxh128));
	/* what the plan said, else the model's defaults */
	img = jv_object_set(img, jv_string("type"), type ? jv_string(type) : ig_model_default("images", "type"));
	img = jv_object_set(img, jv_string("subtype"),
	    subtype ? jv_string(subtype) : ig_model_default("images", "subtype"));
	img = jv_object_set(img, jv_string("theme"), theme ? jv_string(theme) : ig_model_default("images", "theme"));
	img = jv_object_set(img, jv_string("generation_params"), jv_copy(j->params));
	img = jv_object_set(img, jv_string("origin"), jv_string(origin));
	img = jv_object_set(img, jv_string("generation_id"), jv_string(j->id));
	for (int i = 0; i < j->ninputs; i++)
		if (strcmp(j->inputs[i].role, "source") == 0) {
			/* an edit: its image comes from the source, a chain of records */
			const struct ig_job_input *ji = &j->inputs[i];
			char src_id[IG_UUID_TEXT];

			if (ji->image_id[0])
				snprintf(src_id, sizeof src_id, "%s", ji->image_id);
			else
				ig_uuid_v5_text(ig_ns_images, ji->in->path, strlen(ji->in->path), src_id);
			img = jv_object_set(img, jv_string("source_type"), jv_string("images"));
			return jv_object_set(img, jv_string("source_id"), jv_string(src_id));
		}
	if (strcmp(origin, "generated") == 0 && placeholder_path) {
		char src_id[IG_UUID_TEXT];

		ig_uuid_v5_text(ig_ns_images, placeholder_path, strlen(placeholder_path), src_id);
		src = jv_string(src_id);
		img = jv_object_set(img, jv_string("source_type"), jv_string("images"));
	}
	return jv_object_set(img, jv_string("source_id"), src);
}

/* AUTOMATIC1111's infotext: the prompt, then key: value pairs (three or
 * more, so PNG-info readers take the line as parameters); Size is the
 * file's own, so that "send to txt2img" gets it right */
static void
infotext(struct ig_buf *b, const struct ig_job *j, const char *model, uint32_t w, uint32_t h)
{
	ig_buf_adds(b, j->prompt);
	ig_buf_adds(b, "\n");
	if (j->has_seed) {
		ig_buf_adds(b, "Seed: ");
		ig_buf_add_int(b, j->seed);
		ig_buf_adds(b, ", ");
	}
	ig_buf_printf(b, "Size: %ux%u, Model: ", w, h);
	if (strpbrk(model, ",:\n"))
		ig_json_write_string(b, model, strlen(model));
	else
		ig_buf_adds(b, model);
	ig_buf_adds(b, ", Version: ig");
}

/* text for XML element content */
static void
xml_escape(struct ig_buf *b, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': ig_buf_adds(b, "&amp;"); break;
		case '<': ig_buf_adds(b, "&lt;"); break;
		case '>': ig_buf_adds(b, "&gt;"); break;
		default: ig_buf_addc(b, *s);
		}
}

static char *
xml_unescape(const char *s, size_t n)
{
	char *out = ig_malloc(n + 1), *w = out;

	for (size_t i = 0; i < n; ) {
		if (strncmp(s + i, "&amp;", 5) == 0) { *w++ = '&'; i += 5; }
		else if (strncmp(s + i, "&lt;", 4) == 0) { *w++ = '<'; i += 4; }
		else if (strncmp(s + i, "&gt;", 4) == 0) { *w++ = '>'; i += 4; }
		else *w++ = s[i++];
	}
	*w = '\0';
	return out;
}

/* the image's own size, from its header */
static void
own_size(const unsigned char *p, size_t n, const struct ig_job *j, uint32_t *w, uint32_t *h)
{
	struct ig_imghdr hdr;

	ig_imghdr_init(&hdr);
	ig_imghdr_feed(&hdr, p, n < (256u << 10) ? n : 256u << 10);
	*w = hdr.width ? hdr.width : j->width;
	*h = hdr.height ? hdr.height : j->height;
	ig_imghdr_free(&hdr);
}

int
ig_job_provenance(struct ig_buf *out, struct ig_buf *tail, const struct ig_job *j, const unsigned char *p,
    size_t n, uint64_t total, const char *mime, const char *model, jv meta, int algorithmic, char *err,
    size_t errlen)
{
	struct ig_buf meta_json = { 0 }, ascii = { 0 }, info = { 0 }, xmp = { 0 };
	int jpeg = strstr(mime, "jpeg") != NULL, webp = strstr(mime, "webp") != NULL, rc, composite = 0;
	uint32_t w, h;

	own_size(p, n, j, &w, &h);
	ig_json_write(&meta_json, meta);
	ig_json_ascii(&ascii, meta_json.p, meta_json.len);
	infotext(&info, j, model, w, h);
	/* references or a source drove it: a composite, in IPTC's words */
	for (int i = 0; i < j->ninputs; i++)
		composite |= strcmp(j->inputs[i].role, "placeholder") != 0;
	ig_buf_printf(&xmp, xmp_head, algorithmic ? "algorithmicMedia" :
	    composite ? "compositeWithTrainedAlgorithmicMedia" : "trainedAlgorithmicMedia");
	if (jpeg || webp) {
		/* no text chunks: the record rides in the XMP */
		ig_buf_adds(&xmp, "<ig:Metadata>");
		xml_escape(&xmp, ig_buf_str(&ascii));
		ig_buf_adds(&xmp, "</ig:Metadata>");
	}
	ig_buf_adds(&xmp, xmp_tail);
	if (webp) {
		rc = ig_webp_add_xmp(out, tail, p, n, total, xmp.p, xmp.len);
	} else if (jpeg) {
		struct ig_jpeg_segment segs[2] = {
			{ 0xfe, "", info.p, info.len },
			{ 0xe1, XMP_PREFIX, xmp.p, xmp.len },
		};

		rc = ig_jpeg_add_segments(out, p, n, segs, 2);
	} else {
		struct ig_text texts[3] = {
			{ "parameters", ig_buf_str(&info) },
			{ PROVENANCE_KEY, ig_buf_str(&ascii) },
			{ "XML:com.adobe.xmp", ig_buf_str(&xmp) },
		};

		rc = ig_png_add_text(out, p, n, texts, 3);
	}
	if (rc != 0)
		snprintf(err, errlen, "%s", jpeg ? "the answer's JPEG is not a JPEG, or its provenance does not fit" :
		    webp ? "the answer's WebP is not a WebP" : "the answer's image is not a PNG");
	ig_buf_free(&meta_json);
	ig_buf_free(&ascii);
	ig_buf_free(&info);
	ig_buf_free(&xmp);
	return rc;
}

char *
ig_job_file_metadata(const char *path)
{
	char *xmp, *text = ig_png_file_text(path, PROVENANCE_KEY);
	const char *a, *b;

	if (text || (!(xmp = ig_jpeg_file_segment(path, 0xe1, XMP_PREFIX)) && !(xmp = ig_webp_file_xmp(path))))
		return text;
	if ((a = strstr(xmp, "<ig:Metadata>")) && (b = strstr(a, "</ig:Metadata>"))) {
		a += strlen("<ig:Metadata>");
		text = xml_unescape(a, (size_t)(b - a));
	}
	free(xmp);
	return text;
}
