/* imgmodel.c - the image models' table, and a job's settings checked against it */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "imgmodel.h"
#include "json.h"

extern const char ig_models_json[];

/* the table, parsed once, borrowed; main thread only (jq's counts are not atomic) */
static jv
table(void)
{
	static jv t;
	static int loaded;

	if (!loaded) {
		char err[256];

		t = ig_json_parse(ig_models_json, strlen(ig_models_json), err, sizeof err);
		if (jv_get_kind(t) != JV_KIND_OBJECT)
			ig_die(IG_EXIT_SYSTEM, "db/models.json: %s", err);
		loaded = 1;
	}
	return t;
}

static const char *api_names[] = { "gemini", "openai" };

/* the kind of obj's member key (JV_KIND_INVALID if absent) */
static jv_kind
kind_at(jv obj, const char *key)
{
	jv v = ig_get(obj, key);
	jv_kind k = ig_kind(v);

	jv_free(v);
	return k;
}

static double
number_at(jv obj, const char *a, const char *b)
{
	jv v = ig_get(obj, a);
	double d = -1;

	if (b) {
		jv next = ig_get(v, b);

		jv_free(v);
		v = next;
	}
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		d = jv_number_value(v);
	jv_free(v);
	return d;
}

static int
listed(jv list, const char *s)
{
	int found = 0;

	if (jv_get_kind(list) == JV_KIND_ARRAY)
		jv_array_foreach(list, i, v) {
			found |= jv_get_kind(v) == JV_KIND_STRING && strcmp(jv_string_value(v), s) == 0;
			jv_free(v);
		}
	jv_free(list);
	return found;
}

void
ig_imgmodel_find(const char *name, enum ig_api api, struct ig_imgmodel *m)
{
	jv models = ig_get(table(), "models"), entry = jv_invalid();

	m->api = api;
	m->known = 0;
	snprintf(m->name, sizeof m->name, "%s", name);
	jv_object_foreach(models, k, v) {
		const char *api_of = ig_str(v, "api");

		if (!jv_is_valid(entry) && api_of && strcmp(api_of, api_names[api]) == 0 &&
		    (strcmp(jv_string_value(k), name) == 0 || listed(ig_get(v, "aliases"), name))) {
			snprintf(m->name, sizeof m->name, "%s", jv_string_value(k));
			entry = jv_copy(v);
			m->known = 1;
		}
		jv_free(k);
		jv_free(v);
	}
	jv_free(models);
	if (!m->known) {
		jv apis = ig_get(table(), "apis");

		entry = ig_get(apis, api_names[api]);
		jv_free(apis);
	}
	m->entry = entry;
}

void
ig_imgmodel_free(struct ig_imgmodel *m)
{
	jv_free(m->entry);
	m->entry = jv_invalid();
}

/* "a, b, c" of a list of strings */
static void
list_text(jv list, char *out, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	if (jv_get_kind(list) == JV_KIND_ARRAY)
		jv_array_foreach(list, i, v) {
			if (jv_get_kind(v) == JV_KIND_STRING && used < n)
				used += (size_t)snprintf(out + used, n - used, "%s%s", i ? ", " : "", jv_string_value(v));
			jv_free(v);
		}
	jv_free(list);
}

static double
ratio_of(const char *s)
{
	unsigned a = 0, b = 0;

	if (sscanf(s, "%u%*[:x]%u", &a, &b) != 2 || !a || !b)
		return 0;
	return (double)a / b;
}

/* the listed value nearest in log to want, by what of() makes of each */
static int
nearest(jv list, double want, double (*of)(const char *), char *out, size_t n)
{
	double best = 1e300;

	out[0] = '\0';
	if (jv_get_kind(list) == JV_KIND_ARRAY)
		jv_array_foreach(list, i, v) {
			double x = jv_get_kind(v) == JV_KIND_STRING ? of(jv_string_value(v)) : 0;

			if (x > 0 && fabs(log(x / want)) < best) {
				best = fabs(log(x / want));
				snprintf(out, n, "%s", jv_string_value(v));
			}
			jv_free(v);
		}
	jv_free(list);
	return out[0] ? 0 : -1;
}

/* a size class's longest edge: 512, 1K, 2K, 4K */
static double
class_edge(const char *s)
{
	char *end;
	double d = strtod(s, &end);

	return *end == 'K' && end[1] == '\0' ? d * 1024 : *end == '\0' ? d : 0;
}

/* the values the table allows a setting (a new reference) */
static jv
allowed(const char *key)
{
	jv settings = ig_get(table(), "settings"), list = ig_get(settings, key);

	jv_free(settings);
	return list;
}

/* a setting that must be one of the table's values for it, if given */
static int
one_of(jv config, const char *key, char *out, size_t n, char *err, size_t errlen)
{
	jv v = ig_get(config, key);
	int ok = jv_get_kind(v) == JV_KIND_NULL || !jv_is_valid(v);
	char list[256];

	out[0] = '\0';
	if (jv_get_kind(v) == JV_KIND_STRING && listed(allowed(key), jv_string_value(v))) {
		snprintf(out, n, "%s", jv_string_value(v));
		ok = 1;
	}
	if (!ok) {
		list_text(allowed(key), list, sizeof list);
		snprintf(err, errlen, "%s is one of %s", key, list);
	}
	jv_free(v);
	return ok ? 0 : -1;
}

/* a setting as asked, which the model must list, or the listed value
 * nearest to want */
static int
pick(const struct ig_imgmodel *m, const char *asked, const char *list_key, const char *what, double want,
    double (*of)(const char *), char *out, size_t n, char *err, size_t errlen)
{
	char list[256];

	if (asked && !listed(ig_get(m->entry, list_key), asked)) {
		list_text(ig_get(m->entry, list_key), list, sizeof list);
		snprintf(err, errlen, "%s %s %s, not %.20s", m->name, what, list, asked);
		return -1;
	}
	if (asked)
		snprintf(out, n, "%s", asked);
	else
		nearest(ig_get(m->entry, list_key), want, of, out, n);
	return 0;
}

/* OpenAI: a listed WxH nearest in ratio, or (a model that takes any size)
 * the asked size scaled to its class and held to the model's bounds */
static int
openai_fields(const struct ig_imgmodel *m, uint32_t w, uint32_t h, int class_asked, struct ig_settings *s)
{
	jv free_size = ig_get(m->entry, "free_size");
	double edge = class_edge(s->image_size), mult, maxedge, maxratio, minpx, maxpx, sw = w, sh = h;

	if (jv_get_kind(free_size) != JV_KIND_OBJECT) {
		jv_free(free_size);
		return nearest(ig_get(m->entry, "sizes"), (double)w / h, ratio_of, s->size, sizeof s->size);
	}
	mult = fmax(1, number_at(free_size, "multiple_of", NULL));
	maxedge = number_at(free_size, "max_edge", NULL) > 0 ? number_at(free_size, "max_edge", NULL) : 1e9;
	maxratio = number_at(free_size, "max_ratio", NULL) > 0 ? number_at(free_size, "max_ratio", NULL) : 1e9;
	minpx = fmax(0, number_at(free_size, "min_pixels", NULL));
	maxpx = number_at(free_size, "max_pixels", NULL) > 0 ? number_at(free_size, "max_pixels", NULL) : 1e18;
	jv_free(free_size);
	if (class_asked) {
		double k = edge / (sw > sh ? sw : sh);

		sw *= k;
		sh *= k;
	}
	if (sw / sh > maxratio)
		sh = sw / maxratio;
	if (sh / sw > maxratio)
		sw = sh / maxratio;
	if (sw > maxedge || sh > maxedge) {
		double k = maxedge / (sw > sh ? sw : sh);

		sw *= k;
		sh *= k;
	}
	if (sw * sh < minpx || sw * sh > maxpx) {
		double k = sqrt((sw * sh < minpx ? minpx : maxpx) / (sw * sh));

		sw *= k;
		sh *= k;
	}
	/* to the multiple, inward where rounding would pass a bound */
	sw = fmax(mult, round(sw / mult) * mult);
	sh = fmax(mult, round(sh / mult) * mult);
	if (sw > maxedge)
		sw -= mult;
	if (sh > maxedge)
		sh -= mult;
	if (sw * sh > maxpx)
		sw -= mult;
	if (sw * sh < minpx)
		sw += mult;
	snprintf(s->size, sizeof s->size, "%.0fx%.0f", sw, sh);
	return 0;
}

/* references and the source: roles known, within the model's counts */
static int
check_inputs(const struct ig_imgmodel *m, jv config, struct ig_settings *s, char *err, size_t errlen)
{
	jv refs = ig_get(config, "references"), limits = ig_get(m->entry, "references");
	jv per_role = ig_get(limits, "roles"), max = ig_get(limits, "max"), counts = jv_object();
	char list[128];
	int rc = 0;

	s->inputs = kind_at(config, "source") == JV_KIND_OBJECT;
	if (jv_get_kind(refs) == JV_KIND_ARRAY) {
		jv_array_foreach(refs, i, r) {
			jv defrole = jv_array_get(allowed("roles"), 0);
			const char *role = ig_str(r, "role") ? ig_str(r, "role") : jv_string_value(defrole);

			if (!listed(allowed("roles"), role) && !rc) {
				list_text(allowed("roles"), list, sizeof list);
				snprintf(err, errlen, "references[%d]: role is one of %s, not %.40s", i, list, role);
				rc = -1;
			} else {
				counts = jv_object_set(counts, jv_string(role),
				    jv_number(fmax(0, number_at(counts, role, NULL)) + 1));
			}
			jv_free(defrole);
			s->inputs++;
			jv_free(r);
		}
	} else if (jv_is_valid(refs) && jv_get_kind(refs) != JV_KIND_NULL) {
		snprintf(err, errlen, "references is a list of {\"path\" or \"image_id\", \"role\"}");
		rc = -1;
	}
	if (!rc && jv_get_kind(max) == JV_KIND_NUMBER && s->inputs > jv_number_value(max)) {
		snprintf(err, errlen, "%s takes at most %.0f input images, not %d", m->name, jv_number_value(max),
		    s->inputs);
		rc = -1;
	}
	if (!rc && jv_get_kind(per_role) == JV_KIND_OBJECT)
		jv_object_foreach(per_role, role, cap) {
			double n = fmax(0, number_at(counts, jv_string_value(role), NULL));

			if (!rc && jv_get_kind(cap) == JV_KIND_NUMBER && n > jv_number_value(cap)) {
				snprintf(err, errlen, "%s takes at most %.0f %s references, not %.0f", m->name,
				    jv_number_value(cap), jv_string_value(role), n);
				rc = -1;
			}
			jv_free(role);
			jv_free(cap);
		}
	jv_free(refs);
	jv_free(limits);
	jv_free(per_role);
	jv_free(max);
	jv_free(counts);
	return rc;
}

/* the output's settings: format, transparency, compression, quality, moderation */
static int
check_output(const struct ig_imgmodel *m, jv config, struct ig_settings *s, char *err, size_t errlen)
{
	jv comp = ig_get(config, "output_compression");
	int gemini = m->api == IG_API_GEMINI, rc = 0;
	char list[128];

	if (one_of(config, "background", s->background, sizeof s->background, err, errlen) ||
	    one_of(config, "output_format", s->output_format, sizeof s->output_format, err, errlen) ||
	    one_of(config, "quality", s->quality, sizeof s->quality, err, errlen) ||
	    one_of(config, "moderation", s->moderation, sizeof s->moderation, err, errlen)) {
		rc = -1;
	} else if (s->output_format[0] && !listed(ig_get(m->entry, "output_formats"), s->output_format)) {
		list_text(ig_get(m->entry, "output_formats"), list, sizeof list);
		snprintf(err, errlen, "%s answers in %s, not %s", m->name, list, s->output_format);
		rc = -1;
	} else if (strcmp(s->background, "transparent") == 0 && kind_at(m->entry, "transparency") != JV_KIND_TRUE) {
		snprintf(err, errlen, "%s cannot make a transparent background%s", m->name,
		    gemini ? "" : " (gpt-image-1.5 can)");
		rc = -1;
	} else if (strcmp(s->background, "transparent") == 0 && strcmp(s->output_format, "jpeg") == 0) {
		snprintf(err, errlen, "a transparent background needs png or webp output, not jpeg");
		rc = -1;
	} else if (gemini && (s->quality[0] || s->moderation[0] || jv_is_valid(comp))) {
		snprintf(err, errlen, "quality, moderation and output_compression are OpenAI's: %s has none", m->name);
		rc = -1;
	}
	s->compression = -1;
	if (!rc && jv_is_valid(comp) && jv_get_kind(comp) != JV_KIND_NULL) {
		double c = jv_get_kind(comp) == JV_KIND_NUMBER ? jv_number_value(comp) : -1;

		if (c < 0 || c > 100 || c != floor(c) || (strcmp(s->output_format, "jpeg") && strcmp(s->output_format, "webp"))) {
			snprintf(err, errlen, "output_compression is a whole number 0 to 100, for jpeg or webp output");
			rc = -1;
		}
		s->compression = (int)c;
	}
	jv_free(comp);
	if (!rc && kind_at(config, "mask") != JV_KIND_NULL && kind_at(config, "mask") != JV_KIND_INVALID &&
	    (kind_at(m->entry, "mask") != JV_KIND_TRUE || kind_at(config, "source") != JV_KIND_OBJECT)) {
		snprintf(err, errlen, "a mask needs a source image and a model that takes one (%s does not)", m->name);
		rc = -1;
	}
	if (!rc && kind_at(config, "request") != JV_KIND_INVALID && kind_at(config, "request") != JV_KIND_OBJECT &&
	    kind_at(config, "request") != JV_KIND_NULL) {
		snprintf(err, errlen, "request is an object, merged into the request's body");
		rc = -1;
	}
	return rc;
}

/* the prices of one image at these settings */
static void
price_of(const struct ig_imgmodel *m, struct ig_settings *s)
{
	jv price = ig_get(m->entry, "price"), per_image = ig_get(price, "per_image");
	char key[48];

	/* an unset or auto quality is priced as high: the most it can cost */
	if (m->api == IG_API_OPENAI)
		snprintf(key, sizeof key, "%s/%s", s->size,
		    s->quality[0] && strcmp(s->quality, "auto") ? s->quality : "high");
	else
		snprintf(key, sizeof key, "%s", s->image_size);
	s->price.per_image = number_at(per_image, key, NULL);
	s->price.input_text = number_at(price, "per_million_tokens", "input_text");
	s->price.input_image = number_at(price, "per_million_tokens", "input_image");
	s->price.output_image = number_at(price, "per_million_tokens", "output_image");
	if (s->price.input_text >= 0)
		s->price.input_text /= 1e6;
	if (s->price.input_image >= 0)
		s->price.input_image /= 1e6;
	if (s->price.output_image >= 0)
		s->price.output_image /= 1e6;
	jv_free(per_image);
	jv_free(price);
}

int
ig_imgmodel_settings(const struct ig_imgmodel *m, jv config, uint32_t w, uint32_t h,
    struct ig_settings *s, char *err, size_t errlen)
{
	const char *asked = ig_str(config, "image_size");

	memset(s, 0, sizeof *s);
	if (jv_get_kind(config) != JV_KIND_OBJECT && jv_get_kind(config) != JV_KIND_NULL) {
		snprintf(err, errlen, "params.config is an object");
		return -1;
	}
	if (pick(m, asked, "image_sizes", "makes images of size", w > h ? w : h, class_edge, s->image_size,
	    sizeof s->image_size, err, errlen))
		return -1;
	if (m->api == IG_API_GEMINI ? pick(m, ig_str(config, "aspect_ratio"), "aspect_ratios",
	    "takes the aspect ratios", (double)w / h, ratio_of, s->aspect, sizeof s->aspect, err, errlen) :
	    openai_fields(m, w, h, asked != NULL, s))
		return -1;
	if (check_inputs(m, config, s, err, errlen) || check_output(m, config, s, err, errlen))
		return -1;
	price_of(m, s);
	{
		jv batch = ig_get(m->entry, "batch");

		s->batch = ig_kind(batch) == JV_KIND_TRUE;
		jv_free(batch);
	}
	return 0;
}

static jv
batch_entry(enum ig_api api)
{
	jv apis = ig_get(table(), "batch_apis"), b = ig_get(apis, api_names[api]);

	jv_free(apis);
	return b;
}

int
ig_batch_api_of(enum ig_api api, struct ig_batch_api *b)
{
	jv e = batch_entry(api);
	const char *mime = ig_str(e, "file_mime");

	if (jv_get_kind(e) != JV_KIND_OBJECT) {
		jv_free(e);
		return -1;
	}
	snprintf(b->name, sizeof b->name, "%s", api_names[api]);
	b->price_factor = number_at(e, "price_factor", NULL);
	b->inline_max = (uint64_t)number_at(e, "inline_max", NULL);
	b->file_max = (uint64_t)number_at(e, "file_max", NULL);
	snprintf(b->file_mime, sizeof b->file_mime, "%s", mime ? mime : "application/jsonl");
	jv_free(e);
	return 0;
}

enum ig_batch_action
ig_batch_state(enum ig_api api, const char *state, const char **name)
{
	static const char *actions[] = { "wait", "collect", "requeue" };
	jv e = batch_entry(api), prefixes = ig_get(e, "state_prefixes"), states = ig_get(e, "states");
	const char *act;
	enum ig_batch_action r = IG_BATCH_UNKNOWN;

	*name = state;
	if (jv_get_kind(prefixes) == JV_KIND_ARRAY)
		jv_array_foreach(prefixes, i, p) {
			size_t n = jv_get_kind(p) == JV_KIND_STRING ? strlen(jv_string_value(p)) : 0;

			if (n && strncmp(state, jv_string_value(p), n) == 0 && *name == state)
				*name = state + n;
			jv_free(p);
		}
	act = ig_str(states, *name);
	for (int i = 0; act && i < 3; i++)
		if (strcmp(act, actions[i]) == 0)
			r = (enum ig_batch_action)i;
	jv_free(states);
	jv_free(prefixes);
	jv_free(e);
	return r;
}

/* a count in a Gemini usageMetadata's candidatesTokensDetails, by modality */
static double
gemini_tokens(jv usage, const char *list, const char *modality)
{
	jv details = ig_get(usage, list);
	double n = 0;

	if (jv_get_kind(details) == JV_KIND_ARRAY)
		jv_array_foreach(details, i, d) {
			const char *mod = ig_str(d, "modality");

			if (mod && strcmp(mod, modality) == 0)
				n += number_at(d, "tokenCount", NULL) > 0 ? number_at(d, "tokenCount", NULL) : 0;
			jv_free(d);
		}
	jv_free(details);
	return n;
}

double
ig_price_of_usage(const struct ig_price *p, jv usage, int gemini)
{
	double out, text, image;

	if (jv_get_kind(usage) != JV_KIND_OBJECT || p->output_image < 0)
		return p->per_image;
	if (gemini) {
		out = gemini_tokens(usage, "candidatesTokensDetails", "IMAGE");
		text = gemini_tokens(usage, "promptTokensDetails", "TEXT");
		image = gemini_tokens(usage, "promptTokensDetails", "IMAGE");
	} else {
		out = number_at(usage, "output_tokens", NULL);
		text = number_at(usage, "input_tokens_details", "text_tokens");
		image = number_at(usage, "input_tokens_details", "image_tokens");
	}
	if (out <= 0)
		return p->per_image;
	/* input tokens with no price in the table count nothing; to a
	 * billionth of a dollar, so that sums of prices print as prices */
	return round((out * p->output_image + (text > 0 && p->input_text > 0 ? text * p->input_text : 0) +
	    (image > 0 && p->input_image > 0 ? image * p->input_image : 0)) * 1e9) / 1e9;
}
