/* plancombo.c - one combination of a plan composed: its library records, variables, config and prompt */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "imgmodel.h"
#include "json.h"
#include "path.h"
#include "planner.h"

/* what a plan may say of its requests: each goes into every job's
 * params.config, over the library's (imgmodel.h) */
static const char *setting_keys[] = { PLAN_SETTING_KEYS, NULL };

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

void
plan_combo_free(struct combo *c)
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

/* compose the combination the axes point at */
int
plan_compose(struct ig_planner *p, jv plan, struct axes *ax, struct combo *c,
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

