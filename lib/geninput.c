/* geninput.c - a job's model settings and input images, checked before it starts */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "err.h"
#include "json.h"
#include "path.h"

/* Gemini's inline requests stay under 20 MB; beyond is the Files API's */
#define GEMINI_INLINE_MAX (20u << 20)

/* once a run for each model the table does not know */
static void
warn_unknown(struct engine *e, const struct ig_imgmodel *m)
{
	jv seen = ig_get(e->warned, m->name);

	if (!ig_valid(seen)) {
		ig_warn("%s is not in db/models.json for the %s API: taken to accept what any such model does "
		    "(see ig-gen(1), MODELS)", m->name, m->api == IG_API_GEMINI ? "Gemini" : "OpenAI");
		e->warned = jv_object_set(e->warned, jv_string(m->name), jv_true());
	}
	ig_jv_free(seen);
}

/* an input named by a job: {"path": …} (under the output root unless
 * absolute) or {"image_id": …} (a stored image), with its role */
static int
add_input(struct engine *e, struct ig_job *j, jv spec, const char *role, char *err, size_t errlen)
{
	struct ig_job_input *ji = &j->inputs[j->ninputs];
	const char *path = ig_str(spec, "path"), *id = ig_str(spec, "image_id");
	char stored[4096], why[300];
	char *abs = NULL;

	memset(ji, 0, sizeof *ji);
	snprintf(ji->role, sizeof ji->role, "%s", role ? role : ig_str(spec, "role") ? ig_str(spec, "role") : "object");
	if (j->ninputs == IG_INPUTS_MAX) {
		snprintf(err, errlen, "more than %d input images", IG_INPUTS_MAX);
		return -1;
	}
	if (id && !path) {
		if (gen_stored_image_path(e, id, stored, sizeof stored) != 0) {
			snprintf(err, errlen, "%s image %.40s: the store holds no such image", ji->role, id);
			return -1;
		}
		snprintf(ji->image_id, sizeof ji->image_id, "%s", id);
		path = stored;
	}
	if (!path) {
		snprintf(err, errlen, "a %s image is {\"path\": …} or {\"image_id\": …}", ji->role);
		return -1;
	}
	abs = path[0] == '/' ? ig_strdup(path) : gen_out_path(e, path);
	ji->in = ig_inputs_get(&e->inputs, abs, e->o->backend == IG_GEMINI, why, sizeof why);
	if (!ji->in)
		snprintf(err, errlen, "%s image %.300s: %s", ji->role, abs, why);
	free(abs);
	if (!ji->in)
		return -1;
	j->ninputs++;
	return 0;
}

static int
add_inputs(struct engine *e, struct ig_job *j, jv config, char *err, size_t errlen)
{
	jv refs = ig_get(config, "references"), source = ig_get(config, "source"), mask = ig_get(config, "mask");
	int rc = 0;

	/* an edit's source first: OpenAI's mask applies to the first image */
	if (jv_get_kind(source) == JV_KIND_OBJECT)
		rc = add_input(e, j, source, "source", err, errlen);
	if (!rc && jv_get_kind(refs) == JV_KIND_ARRAY)
		jv_array_foreach(refs, i, r) {
			if (!rc && jv_get_kind(r) != JV_KIND_OBJECT) {
				snprintf(err, errlen, "references[%d] is {\"path\" or \"image_id\", \"role\"}", i);
				rc = -1;
			} else if (!rc) {
				rc = add_input(e, j, r, NULL, err, errlen);
			}
			jv_free(r);
		}
	if (!rc && jv_get_kind(mask) == JV_KIND_OBJECT)
		rc = add_input(e, j, mask, "mask", err, errlen);
	/* a placeholder on disk goes with a Gemini prompt, which edits it */
	if (!rc && e->o->backend == IG_GEMINI && jv_get_kind(source) != JV_KIND_OBJECT && j->placeholder) {
		char *pp = gen_out_path(e, j->placeholder);

		if (access(pp, F_OK) == 0) {
			jv spec = JV_OBJECT(jv_string("path"), jv_string(pp));

			rc = add_input(e, j, spec, "placeholder", err, errlen);
			jv_free(spec);
			if (!rc)
				snprintf(j->source_placeholder, sizeof j->source_placeholder, "%s", j->placeholder);
		}
		free(pp);
	}
	jv_free(refs);
	jv_free(source);
	jv_free(mask);
	return rc;
}

int
gen_prepare_job(struct engine *e, struct ig_job *j, char *err, size_t errlen)
{
	jv config = ig_get(j->params, "config"), sizes;
	struct ig_imgmodel m;
	size_t inline_bytes = 0;
	int rc;

	if (jv_get_kind(config) == JV_KIND_INVALID)
		config = jv_null();
	ig_imgmodel_find(j->model, e->o->backend == IG_GEMINI ? IG_API_GEMINI : IG_API_OPENAI, &m);
	if (!m.known)
		warn_unknown(e, &m);
	rc = ig_imgmodel_settings(&m, config, j->width, j->height, &j->set, err, errlen);
	sizes = ig_get(m.entry, "image_sizes");
	j->send_image_size = jv_get_kind(sizes) == JV_KIND_ARRAY && jv_array_length(jv_copy(sizes)) > 1;
	jv_free(sizes);
	ig_imgmodel_free(&m);
	if (!rc)
		rc = add_inputs(e, j, config, err, errlen);
	for (int i = 0; i < j->ninputs; i++)
		inline_bytes += j->inputs[i].in->b64.len;
	if (!rc && e->o->backend == IG_GEMINI && inline_bytes > GEMINI_INLINE_MAX) {
		snprintf(err, errlen, "its images are %zu MB of base64: Gemini takes inline requests under 20 MB",
		    inline_bytes >> 20);
		rc = -1;
	}
	if (!rc) {
		jv req = ig_get(config, "request");

		j->passthrough = jv_get_kind(req) == JV_KIND_OBJECT ? req : (jv_free(req), jv_null());
	}
	jv_free(config);
	return rc;
}
