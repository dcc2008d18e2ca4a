/* plan.c - composing prompts from a theme library and expanding plans */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "imgmodel.h"
#include "json.h"
#include "path.h"
#include "planner.h"
#include "uuid.h"

#define SETTING_KEYS "aspect_ratio", "image_size", "references", "source", "mask", "background", \
	"output_format", "output_compression", "quality", "moderation", "request"

static const char *plan_keys[] = { "batch", "theme", "variation", "preset", "element",
	"prompt", "vars", "count", "seed", "size", "model", "output", "placeholder",
	"type", "subtype", SETTING_KEYS, NULL };

/* what a plan may say of its requests: each goes into every job's
 * params.config, over the library's (imgmodel.h) */
static const char *setting_keys[] = { SETTING_KEYS, NULL };

struct ig_planner *
ig_planner_new(struct ig_store *store, int skip_incompatible, long max_combinations)
{
	struct ig_planner *p = ig_malloc(sizeof *p);

	memset(p, 0, sizeof *p);
	p->store = store;
	p->skip_incompatible = skip_incompatible;
	p->max_combinations = max_combinations;
	for (int i = 0; i < L_N; i++)
		p->lib[i] = jv_object();
	p->seen = jv_object();
	p->batch_status = ig_model_default("batches", "status");
	p->job_status = ig_model_default("generations", "status");
	p->image_type = ig_model_default("images", "type");
	p->image_subtype = ig_model_default("images", "subtype");
	return p;
}

void
ig_planner_free(struct ig_planner *p)
{
	for (int i = 0; i < L_N; i++)
		jv_free(p->lib[i]);
	jv_free(p->seen);
	jv_free(p->batch_status);
	jv_free(p->job_status);
	jv_free(p->image_type);
	jv_free(p->image_subtype);
	ig_buf_free(&p->scratch);
	free(p);
}

/* what the plan's model is asked, checked by db/models.json where the
 * table knows the model (ig-gen warns of the others) */
static int
check_settings(jv plan, jv config, char *err, size_t errlen)
{
	const char *model = ig_str(plan, "model") ? ig_str(plan, "model") : IG_DEFAULT_MODEL;
	const char *size = ig_str(plan, "size") ? ig_str(plan, "size") : "1024x1024";
	unsigned w = 1024, h = 1024;
	struct ig_imgmodel m;
	struct ig_settings set;
	int rc = 0;

	sscanf(size, "%ux%u", &w, &h);
	ig_imgmodel_find(model, IG_API_GEMINI, &m);
	if (!m.known) {
		ig_imgmodel_free(&m);
		ig_imgmodel_find(model, IG_API_OPENAI, &m);
	}
	if (m.known && w && h)
		rc = ig_imgmodel_settings(&m, config, w, h, &set, err, errlen);
	ig_imgmodel_free(&m);
	return rc;
}

/* shallow merge: b's keys over a's */
static jv
merge(jv a, jv b)
{
	if (jv_get_kind(a) != JV_KIND_OBJECT) {
		jv_free(a);
		a = jv_object();
	}
	if (jv_get_kind(b) == JV_KIND_OBJECT)
		jv_object_foreach(b, k, v)
			a = jv_object_set(a, k, v);
	jv_free(b);
	return a;
}

static void
combo_free(struct combo *c)
{
	jv_free(c->theme);
	jv_free(c->variation);
	jv_free(c->preset);
	jv_free(c->elements);
	jv_free(c->vars);
	jv_free(c->names);
	jv_free(c->config);
	jv_free(c->seed);
	free(c->prompt);
	free(c->output);
	free(c->placeholder);
	memset(c, 0, sizeof *c);
}

/* the axes of a plan, each a list; pick[i] is the current index in axis i */
struct axes {
	jv lists[64];
	const char *names[64];
	int n;
	long pick[64];
};

/* compose the combination the axes point at */
static int
compose(struct ig_planner *p, jv plan, struct axes *ax, struct combo *c,
    char *err, size_t errlen)
{
	struct ig_buf prompt = { 0 }, *b = &p->scratch;
	char list[512];
	jv v, vars, theme_vars, plan_vars = jv_object();
	int rc = -1, i, ambiguous;
	const char *theme_name, *theme_id;

	memset(c, 0, sizeof *c);
	c->variation = c->preset = c->seed = jv_null();
	c->elements = jv_array();
	c->names = jv_object();
	c->config = jv_object();
	c->vars = jv_object();
	c->theme = jv_null();
	for (i = 0; i < ax->n; i++) {
		v = jv_array_get(jv_copy(ax->lists[i]), (int)ax->pick[i]);
		if (strcmp(ax->names[i], "theme") == 0) {
			if (jv_get_kind(v) != JV_KIND_STRING) {
				snprintf(err, errlen, "'theme' must be a name or a list of names");
				jv_free(v);
				goto out;
			}
			jv_free(c->theme);
			c->theme = plan_find_theme(p, jv_string_value(v));
			if (!jv_is_valid(c->theme)) {
				plan_known(p, L_THEMES, NULL, list, sizeof list);
				snprintf(err, errlen, "unknown theme '%s' (themes: %s)", jv_string_value(v), list);
				jv_free(v);
				goto out;
			}
			jv_free(v);
		} else if (strcmp(ax->names[i], "seed") == 0) {
			jv_free(c->seed);
			c->seed = v;
		} else if (strcmp(ax->names[i], "variation") == 0 || strcmp(ax->names[i], "preset") == 0 ||
		    strcmp(ax->names[i], "element") == 0) {
			c->names = jv_object_set(c->names, jv_string(ax->names[i]), v);
		} else {
			plan_vars = jv_object_set(plan_vars, jv_string(ax->names[i]), v);
		}
	}
	theme_name = plan_str(c->theme, "name");
	theme_id = plan_str(c->theme, "id");

	v = ig_get(c->names, "variation");
	if (jv_get_kind(v) == JV_KIND_STRING) {
		jv_free(c->variation);
		c->variation = plan_find_variation(p, theme_id, jv_string_value(v));
		if (!jv_is_valid(c->variation)) {
			plan_known(p, L_VARIATIONS, theme_id, list, sizeof list);
			snprintf(err, errlen, "unknown variation '%s' of theme '%s' (its variations: %s)",
			    jv_string_value(v), theme_name, list);
			jv_free(v);
			goto out;
		}
	}
	jv_free(v);
	v = ig_get(c->names, "preset");
	if (jv_get_kind(v) == JV_KIND_STRING) {
		jv_free(c->preset);
		c->preset = plan_find_preset(p, jv_string_value(v));
		if (!jv_is_valid(c->preset)) {
			plan_known(p, L_PRESETS, NULL, list, sizeof list);
			snprintf(err, errlen, "unknown style preset '%s' (presets: %s)", jv_string_value(v), list);
			jv_free(v);
			goto out;
		}
		if (!plan_compatible(c->preset, theme_name)) {
			if (!p->skip_incompatible) {
				snprintf(err, errlen, "style preset '%s' is not compatible with theme '%s'",
				    jv_string_value(v), theme_name);
				jv_free(v);
				goto out;
			}
			c->skip = 1;
		}
	}
	jv_free(v);
	v = ig_get(c->names, "element");
	{
		jv specs = jv_get_kind(v) == JV_KIND_STRING ? JV_ARRAY(jv_copy(v)) :
		    jv_get_kind(v) == JV_KIND_ARRAY ? jv_copy(v) : jv_array();

		jv_free(v);
		jv_array_foreach(specs, k, spec) {
			jv el;

			if (jv_get_kind(spec) != JV_KIND_STRING) {
				snprintf(err, errlen, "'element' must be names, lists of names, or a list of both");
				jv_free(spec);
				jv_free(specs);
				goto out;
			}
			el = plan_find_element(p, jv_string_value(spec), &ambiguous);
			if (!jv_is_valid(el)) {
				plan_known(p, L_ELEMENTS, NULL, list, sizeof list);
				snprintf(err, errlen, ambiguous ?
				    "element '%s' is in more than one category: say category/name (elements: %s)" :
				    "unknown element '%s' (elements: %s)", jv_string_value(spec), list);
				jv_free(spec);
				jv_free(specs);
				goto out;
			}
			if (!plan_compatible(el, theme_name)) {
				if (!p->skip_incompatible) {
					snprintf(err, errlen, "element '%s' is not compatible with theme '%s'",
					    jv_string_value(spec), theme_name);
					jv_free(el);
					jv_free(spec);
					jv_free(specs);
					goto out;
				}
				c->skip = 1;
			}
			c->elements = jv_array_append(c->elements, el);
			jv_free(spec);
		}
		jv_free(specs);
	}

	/* variables: the theme's, the variation's over them, the plan's over
	 * both; the combination's names below all three */
	theme_vars = ig_get(c->theme, "variables");
	vars = merge(jv_object(), jv_copy(c->names));
	vars = jv_object_set(vars, jv_string("theme"), jv_string(theme_name));
	{
		jv bn = ig_get(plan, "batch");

		vars = jv_object_set(vars, jv_string("batch"), bn);
	}
	vars = jv_object_delete(vars, jv_string("element"));
	{
		struct ig_buf names = { 0 };

		jv_array_foreach(c->elements, k, el) {
			ig_buf_printf(&names, "%s%s", k ? "-" : "", plan_str(el, "name"));
			jv_free(el);
		}
		vars = jv_object_set(vars, jv_string("element"), jv_string(ig_buf_str(&names)));
		ig_buf_free(&names);
	}
	vars = merge(vars, theme_vars);
	vars = merge(vars, ig_get(c->variation, "variable_override"));
	vars = merge(vars, jv_copy(plan_vars));
	jv_free(c->vars);
	c->vars = vars;

	/* config: the theme's, the variation's override, the preset's, the elements' */
	c->config = merge(c->config, ig_get(c->theme, "config"));
	c->config = merge(c->config, ig_get(c->variation, "config_override"));
	c->config = merge(c->config, ig_get(c->preset, "config"));
	jv_array_foreach(c->elements, k, el) {
		c->config = merge(c->config, ig_get(el, "config"));
		jv_free(el);
	}
	for (int k = 0; setting_keys[k]; k++)
		if (ig_has(plan, setting_keys[k]))
			c->config = jv_object_set(c->config, jv_string(setting_keys[k]), ig_get(plan, setting_keys[k]));
	if ((rc = check_settings(plan, c->config, err, errlen)))
		goto out;

	/* the prompt: subject, theme, variation, preset, elements */
	v = ig_get(plan, "prompt");
	if ((rc = plan_add_prompts(&prompt, v, vars, "prompt", err, errlen)) == 0) {
		char what[128];

		jv tp = ig_get(c->theme, "prompts");

		snprintf(what, sizeof what, "theme '%s'", theme_name);
		rc = plan_add_prompts(&prompt, tp, vars, what, err, errlen);
		jv_free(tp);
	}
	jv_free(v);
	if (!rc && jv_is_valid(c->variation) && jv_get_kind(c->variation) != JV_KIND_NULL) {
		jv vp = ig_get(c->config, "prompts");
		char what[128];

		snprintf(what, sizeof what, "variation '%s'", plan_str(c->variation, "name"));
		rc = plan_add_prompts(&prompt, vp, vars, what, err, errlen);
		jv_free(vp);
	}
	if (!rc && jv_get_kind(c->preset) == JV_KIND_OBJECT) {
		char what[128];
		jv pp = ig_get(c->preset, "prompts");

		snprintf(what, sizeof what, "style preset '%s'", plan_str(c->preset, "name"));
		rc = plan_add_prompts(&prompt, pp, vars, what, err, errlen);
		jv_free(pp);
	}
	jv_array_foreach(c->elements, k, el) {
		char what[128];
		jv ep = ig_get(el, "prompts");

		snprintf(what, sizeof what, "element '%s'", plan_str(el, "name"));
		if (!rc)
			rc = plan_add_prompts(&prompt, ep, vars, what, err, errlen);
		jv_free(ep);
		jv_free(el);
	}
	c->config = jv_object_delete(c->config, jv_string("prompts"));
	if (rc)
		goto out;
	rc = -1;
	if (strspn(ig_buf_str(&prompt), " \t\n,") == prompt.len) {
		snprintf(err, errlen, "the composed prompt is empty");
		goto out;
	}
	c->prompt = ig_strdup(prompt.p);

	v = ig_get(plan, "output");
	if (plan_fill(b, jv_string_value(v), vars, 1, "output", err, errlen)) {
		jv_free(v);
		goto out;
	}
	jv_free(v);
	c->output = ig_strdup(b->p);
	if (ig_path_leaves_root(c->output)) {
		snprintf(err, errlen, "output '%s' leaves the output root (absolute, or ..)", c->output);
		goto out;
	}
	v = ig_get(plan, "placeholder");
	if (jv_get_kind(v) == JV_KIND_STRING) {
		if (plan_fill(b, jv_string_value(v), vars, 1, "placeholder", err, errlen)) {
			jv_free(v);
			goto out;
		}
		c->placeholder = ig_strdup(b->p);
		if (ig_path_leaves_root(c->placeholder)) {
			snprintf(err, errlen, "placeholder '%s' leaves the output root (absolute, or ..)",
			    c->placeholder);
			jv_free(v);
			goto out;
		}
	}
	jv_free(v);
	rc = 0;
out:
	jv_free(plan_vars);
	ig_buf_free(&prompt);
	return rc;
}

/* a plan's field as a list: a value is a list of one, absent is [null] */
static jv
axis(jv plan, const char *key)
{
	jv v = ig_get(plan, key);

	if (jv_get_kind(v) == JV_KIND_ARRAY && jv_array_length(jv_copy(v)) > 0)
		return v;
	if (jv_get_kind(v) == JV_KIND_ARRAY || !jv_is_valid(v)) {
		jv_free(v);
		return JV_ARRAY(jv_null());
	}
	return JV_ARRAY(v);
}

static int
next_combo(struct axes *ax)
{
	for (int i = ax->n - 1; i >= 0; i--) {
		if (++ax->pick[i] < jv_array_length(jv_copy(ax->lists[i])))
			return 1;
		ax->pick[i] = 0;
	}
	return 0;
}

static uint64_t
mix(uint64_t x)
{
	/* splitmix64's finalizer */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int
check_plan(jv plan, char *err, size_t errlen)
{
	jv v;
	int ok;

	jv_object_foreach(plan, k, x) {
		int known_key = 0;

		for (int i = 0; plan_keys[i]; i++)
			known_key |= strcmp(jv_string_value(k), plan_keys[i]) == 0;
		if (!known_key)
			snprintf(err, errlen, "unknown plan field '%s'", jv_string_value(k));
		jv_free(k);
		jv_free(x);
		if (!known_key)
			return -1;
	}
	v = ig_get(plan, "batch");
	ok = jv_get_kind(v) == JV_KIND_STRING && strspn(jv_string_value(v), " \t") < strlen(jv_string_value(v));
	jv_free(v);
	if (!ok) {
		snprintf(err, errlen, "'batch' must name the batch");
		return -1;
	}
	v = ig_get(plan, "prompt");
	ok = jv_get_kind(v) == JV_KIND_STRING;
	jv_free(v);
	if (!ok) {
		snprintf(err, errlen, "'prompt' must be a string (the subject)");
		return -1;
	}
	v = ig_get(plan, "output");
	ok = jv_get_kind(v) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(v)) > 0;
	jv_free(v);
	if (!ok) {
		snprintf(err, errlen, "'output' must be a path template");
		return -1;
	}
	v = ig_get(plan, "count");
	if (jv_is_valid(v)) {
		double n = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : 0;

		if (n < 1 || n != floor(n))
			snprintf(err, errlen, "'count' must be a whole number of 1 or more");
		else if (n >= IG_PLAN_JOBS_MAX)
			snprintf(err, errlen, "'count' %.17g is more than the most jobs a plan makes, %.0f",
			    n, IG_PLAN_JOBS_MAX - 1);
		ok = n >= 1 && n == floor(n) && n < IG_PLAN_JOBS_MAX;
	}
	jv_free(v);
	if (!ok)
		return -1;
	v = ig_get(plan, "size");
	if (jv_is_valid(v)) {
		unsigned w = 0, h = 0;
		char tail;

		ok = jv_get_kind(v) == JV_KIND_STRING &&
		    sscanf(jv_string_value(v), "%ux%u%c", &w, &h, &tail) == 2 &&
		    w >= 1 && h >= 1 && w <= 16384 && h <= 16384;
		if (!ok)
			snprintf(err, errlen, "'size' must be WIDTHxHEIGHT, each 1 to 16384, like 1024x1024");
	}
	jv_free(v);
	if (!ok)
		return -1;
	v = ig_get(plan, "seed");
	ok = !jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NUMBER || jv_get_kind(v) == JV_KIND_ARRAY;
	if (jv_get_kind(v) == JV_KIND_ARRAY)
		jv_array_foreach(v, i, s) {
			ok &= jv_get_kind(s) == JV_KIND_NUMBER && jv_number_value(s) == floor(jv_number_value(s));
			jv_free(s);
		}
	else if (jv_get_kind(v) == JV_KIND_NUMBER)
		ok = jv_number_value(v) == floor(jv_number_value(v));
	jv_free(v);
	if (!ok) {
		snprintf(err, errlen, "'seed' must be a whole number or a list of them");
		return -1;
	}
	v = ig_get(plan, "vars");
	ok = !jv_is_valid(v) || jv_get_kind(v) == JV_KIND_OBJECT;
	jv_free(v);
	if (!ok) {
		snprintf(err, errlen, "'vars' must be an object of values or lists of values");
		return -1;
	}
	return 0;
}

/* the params after the seed: the same for every job of a combination */
static void
write_params_tail(struct ig_planner *p, struct ig_buf *b, jv plan, struct combo *c)
{
	plan_put_json(b, "size", plan, "size", jv_string("1024x1024"));
	plan_put_json(b, "theme", c->theme, "name", jv_null());
	plan_put_json(b, "variation", c->variation, "name", jv_null());
	plan_put_json(b, "preset", c->preset, "name", jv_null());
	ig_buf_adds(b, ",\"elements\":[");
	jv_array_foreach(c->elements, i, el) {
		jv name = ig_get(el, "name");

		if (i)
			ig_buf_addc(b, ',');
		ig_json_write(b, name);
		jv_free(name);
		jv_free(el);
	}
	ig_buf_addc(b, ']');
	plan_put_json(b, "type", plan, "type", jv_copy(p->image_type));
	plan_put_json(b, "subtype", plan, "subtype", jv_copy(p->image_subtype));
	ig_buf_adds(b, ",\"config\":");
	ig_json_write(b, c->config);
	ig_buf_addc(b, '}');
}

/* a combination's entry in the batch's jobs_json */
static jv
job_spec(jv plan, struct combo *c, long count)
{
	jv spec = JV_OBJECT(jv_string("prompt"), jv_string(c->prompt),
	    jv_string("output_path"), jv_string(c->output));
	jv names = jv_array();

	jv_array_foreach(c->elements, i, el) {
		names = jv_array_append(names, ig_get(el, "name"));
		jv_free(el);
	}
	spec = jv_object_set(spec, jv_string("count"), jv_number((double)count));
	spec = jv_object_set(spec, jv_string("theme"), ig_get(c->theme, "name"));
	spec = jv_object_set(spec, jv_string("variation"), jv_get_kind(c->variation) == JV_KIND_OBJECT ?
	    ig_get(c->variation, "name") : jv_null());
	spec = jv_object_set(spec, jv_string("preset"), jv_get_kind(c->preset) == JV_KIND_OBJECT ?
	    ig_get(c->preset, "name") : jv_null());
	spec = jv_object_set(spec, jv_string("elements"), names);
	if (jv_get_kind(c->seed) == JV_KIND_NUMBER)
		spec = jv_object_set(spec, jv_string("seed"), jv_copy(c->seed));
	(void)plan;
	return spec;
}

static void
axes_free(struct axes *ax)
{
	for (int i = 0; i < ax->n; i++)
		jv_free(ax->lists[i]);
	ax->n = 0;
}

static int
build_axes(jv plan, struct axes *ax, long max, double *combos, char *err, size_t errlen)
{
	static const char *named[] = { "theme", "variation", "preset", "element" };
	jv vars = ig_get(plan, "vars"), seed = ig_get(plan, "seed");

	memset(ax, 0, sizeof *ax);
	*combos = 1;
	for (int i = 0; i < 4; i++) {
		ax->names[ax->n] = named[i];
		ax->lists[ax->n++] = axis(plan, named[i]);
	}
	if (jv_get_kind(vars) == JV_KIND_OBJECT)
		jv_object_foreach(vars, k, v) {
			if (ax->n < 63) {
				/* the plan's vars object holds the key: it lives as
				 * long as the plan */
				ax->names[ax->n] = jv_string_value(k);
				ax->lists[ax->n++] = jv_get_kind(v) == JV_KIND_ARRAY ? v : JV_ARRAY(v);
			} else {
				jv_free(v);
			}
			jv_free(k);
		}
	if (jv_get_kind(seed) == JV_KIND_ARRAY) {
		ax->names[ax->n] = "seed";
		ax->lists[ax->n++] = seed;
	} else {
		jv_free(seed);
	}
	jv_free(vars);
	for (int i = 0; i < ax->n; i++) {
		int len = jv_array_length(jv_copy(ax->lists[i]));

		if (len == 0) {
			snprintf(err, errlen, "'%s' is an empty list", ax->names[i]);
			return -1;
		}
		*combos *= len;
	}
	/* refused before any is composed: the batch lists every one */
	if (*combos > (double)max) {
		snprintf(err, errlen, "the plan has %.0f combinations, more than --max-combinations %ld",
		    *combos, max);
		return -1;
	}
	return 0;
}

int
ig_planner_expand(struct ig_planner *p, jv plan, FILE *out,
    void (*warn)(void *ctx, const char *msg), void *ctx, char *err, size_t errlen)
{
	struct axes ax;
	struct combo c;
	struct ig_buf line = { 0 }, path = { 0 }, idname = { 0 }, tail = { 0 }, text = { 0 };
	struct ig_buf model_json = { 0 };
	jv specs = jv_array(), seen, stored_jobs = jv_invalid(), count_v, seed_v, model;
	double combos;
	long count, n = 0, skipped = 0;
	uint8_t bid[16], jid[16];
	char btext[IG_UUID_TEXT], jtext[IG_UUID_TEXT], *stored = NULL;
	size_t stored_len = 0;
	struct ig_now now;
	const char *batch;
	uint64_t base_seed;
	int rc = -1;

	ax.n = 0;
	plan_load_store_library(p);
	if (check_plan(plan, err, errlen) || build_axes(plan, &ax, p->max_combinations, &combos, err, errlen))
		goto out;
	count_v = ig_get(plan, "count");
	count = jv_is_valid(count_v) ? (long)jv_number_value(count_v) : 1;
	jv_free(count_v);
	if (combos * (double)count >= IG_PLAN_JOBS_MAX) {
		snprintf(err, errlen, "the plan makes too many jobs");
		goto out;
	}
	batch = plan_str(plan, "batch");

	/* first pass: every combination composes, or nothing is written */
	do {
		if (compose(p, plan, &ax, &c, err, errlen)) {
			combo_free(&c);
			goto out;
		}
		if (c.skip)
			skipped++;
		else
			specs = jv_array_append(specs, job_spec(plan, &c, count));
		combo_free(&c);
	} while (next_combo(&ax));
	if ((combos - (double)skipped) * (double)count > 1) {
		jv o = ig_get(plan, "output");

		if (!strstr(jv_string_value(o), "{n}")) {
			snprintf(err, errlen, "output '%s' needs {n}, the job's number, so that no two jobs share a path",
			    jv_string_value(o));
			jv_free(o);
			goto out;
		}
		jv_free(o);
	}
	if (jv_array_length(jv_copy(specs)) == 0) {
		snprintf(err, errlen, "every combination is incompatible: no jobs");
		goto out;
	}

	/* the same batch name is the same batch: its content must not change */
	ig_uuid_v5(ig_ns_batches, batch, strlen(batch), bid);
	ig_uuid_format(bid, btext);
	ig_json_write(&text, specs);
	ig_buf_str(&text);
	if (text.len > IG_LINE_MAX - 4096) {
		snprintf(err, errlen, "batch '%s' would be a record of %zu MiB, longer than the longest line (%zu MiB): "
		    "split the plan", batch, text.len >> 20, IG_LINE_MAX >> 20);
		goto out;
	}
	seen = jv_object_get(jv_copy(p->seen), jv_string(batch));
	if (jv_is_valid(seen) && strcmp(jv_string_value(seen), ig_buf_str(&text)) != 0) {
		snprintf(err, errlen, "batch '%s' is planned twice with different content", batch);
		jv_free(seen);
		goto out;
	}
	jv_free(seen);
	stored = plan_stored_record(p, "batches", bid, &stored_len);
	if (stored) {
		jv rec = ig_json_parse(stored, stored_len, NULL, 0);

		stored_jobs = ig_get(rec, "jobs_json");
		jv_free(rec);
	}
	if (stored && jv_is_valid(stored_jobs)) {
		struct ig_buf was = { 0 };

		ig_json_write(&was, stored_jobs);
		if (strcmp(ig_buf_str(&was), text.p) != 0) {
			snprintf(err, errlen, "batch '%s' is stored with other content (id %s): "
			    "give a changed plan a new batch name", batch, btext);
			ig_buf_free(&was);
			goto out;
		}
		ig_buf_free(&was);
	}
	p->seen = jv_object_set(p->seen, jv_string(batch), jv_string(text.p));
	if (skipped) {
		char msg[256];

		snprintf(msg, sizeof msg, "batch '%s': %ld incompatible combination%s skipped",
		    batch, skipped, skipped == 1 ? "" : "s");
		warn(ctx, msg);
	}

	/* the batch, then its jobs; made now, so that time runs forward from
	 * the plan: created_at <= started_at <= finished_at */
	ig_now_set(&now);
	if (stored) {
		ig_buf_add(&line, stored, stored_len);
		ig_buf_addc(&line, '\n');
	} else {
		ig_buf_adds(&line, "{\"collection\":\"batches\",\"id\":\"");
		ig_buf_adds(&line, btext);
		ig_buf_addc(&line, '"');
		plan_put_made(&line, &now);
		plan_put_str(&line, "name", batch);
		plan_put_str(&line, "status", jv_string_value(p->batch_status));
		ig_buf_adds(&line, ",\"jobs_json\":");
		ig_buf_add(&line, text.p, text.len);
		ig_buf_adds(&line, "}\n");
	}
	free(stored);
	stored = NULL;
	fwrite(line.p, 1, line.len, out);
	line.len = 0;

	seed_v = ig_get(plan, "seed");
	base_seed = jv_get_kind(seed_v) == JV_KIND_NUMBER ? (uint64_t)(int64_t)jv_number_value(seed_v) : 0;
	jv_free(seed_v);
	model = ig_get(plan, "model");
	if (!jv_is_valid(model)) {
		jv_free(model);
		model = jv_string(IG_DEFAULT_MODEL);
	}
	ig_json_write(&model_json, model);
	ig_buf_printf(&idname, "%s\n", batch);
	memset(ax.pick, 0, sizeof ax.pick);
	do {
		struct ig_buf head = { 0 };
		size_t idlen = idname.len;

		if (compose(p, plan, &ax, &c, err, errlen))
			ig_die(IG_EXIT_SYSTEM, "plan changed between passes: %s", err);
		if (c.skip) {
			combo_free(&c);
			continue;
		}
		/* what every job of the combination shares, serialized once */
		plan_put_str(&head, "batch_id", btext);
		ig_buf_adds(&head, ",\"prompt\":");
		ig_json_write_string(&head, c.prompt, strlen(c.prompt));
		tail.len = 0;
		write_params_tail(p, &tail, plan, &c);
		for (long k = 0; k < count; k++) {
			long long seed;

			n++;
			seed = jv_get_kind(c.seed) == JV_KIND_NUMBER ? (long long)jv_number_value(c.seed) + k :
			    (long long)(mix(base_seed * 1000003u + (uint64_t)n) & 0x7fffffff);
			idname.len = idlen;
			ig_buf_add_int(&idname, n);
			ig_uuid_v5(ig_ns_jobs, idname.p, idname.len, jid);
			ig_uuid_format(jid, jtext);
			/* many jobs per write: stdio passes large writes straight on */
			if (line.len >= (1 << 20)) {
				fwrite(line.p, 1, line.len, out);
				line.len = 0;
			}
			if ((stored = plan_stored_record(p, "generations", jid, &stored_len))) {
				ig_buf_add(&line, stored, stored_len);
				ig_buf_addc(&line, '\n');
				free(stored);
				stored = NULL;
				continue;
			}
			ig_buf_adds(&line, "{\"collection\":\"generations\",\"id\":\"");
			ig_buf_adds(&line, jtext);
			ig_buf_addc(&line, '"');
			plan_put_made(&line, &now);
			ig_buf_add(&line, head.p, head.len);
			plan_fill_job(&path, c.output, n, seed);
			ig_buf_adds(&line, ",\"output_path\":");
			ig_json_write_string(&line, path.p, path.len);
			if (c.placeholder) {
				plan_fill_job(&path, c.placeholder, n, seed);
				ig_buf_adds(&line, ",\"placeholder_path\":");
				ig_json_write_string(&line, path.p, path.len);
			}
			plan_put_str(&line, "status", jv_string_value(p->job_status));
			ig_buf_adds(&line, ",\"params\":{\"model\":");
			ig_buf_add(&line, model_json.p, model_json.len);
			ig_buf_adds(&line, ",\"seed\":");
			ig_buf_add_int(&line, seed);
			ig_buf_add(&line, tail.p, tail.len);
			ig_buf_adds(&line, "}\n");
		}
		idname.len = idlen;
		ig_buf_free(&head);
		combo_free(&c);
	} while (next_combo(&ax));
	fwrite(line.p, 1, line.len, out);
	jv_free(model);
	rc = 0;
out:
	free(stored);
	axes_free(&ax);
	jv_free(specs);
	jv_free(stored_jobs);
	ig_buf_free(&line);
	ig_buf_free(&path);
	ig_buf_free(&idname);
	ig_buf_free(&tail);
	ig_buf_free(&text);
	ig_buf_free(&model_json);
	return rc;
}
