/* plan.c - composing prompts from a theme library and expanding plans */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "path.h"
#include "planner.h"
#include "uuid.h"


static const char *plan_keys[] = { "batch", "theme", "variation", "preset", "element",
	"prompt", "vars", "count", "seed", "size", "model", "output", "placeholder",
	"type", "subtype", PLAN_SETTING_KEYS, NULL };

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
	plan_put_json(b, "batch", plan, "batch", jv_null());
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

void
ig_planner_shard(struct ig_planner *p, long k, long n)
{
	p->shard_k = k;
	p->shard_n = n;
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
		if (plan_compose(p, plan, &ax, &c, err, errlen)) {
			plan_combo_free(&c);
			goto out;
		}
		if (c.skip)
			skipped++;
		else
			specs = jv_array_append(specs, job_spec(plan, &c, count));
		plan_combo_free(&c);
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

		if (plan_compose(p, plan, &ax, &c, err, errlen))
			ig_die(IG_EXIT_SYSTEM, "plan changed between passes: %s", err);
		if (c.skip) {
			plan_combo_free(&c);
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
			/* another host's job: its number, seed and id are the same there */
			if (p->shard_n && n % p->shard_n != p->shard_k)
				continue;
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
			ig_buf_adds(&line, ",\"n\":");
			ig_buf_add_int(&line, n);
			ig_buf_add(&line, tail.p, tail.len);
			ig_buf_adds(&line, "}\n");
		}
		idname.len = idlen;
		ig_buf_free(&head);
		plan_combo_free(&c);
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
