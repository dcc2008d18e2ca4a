/* modelrules.c - a collection's rules in db/model, loaded: its lifecycle,
 * the fields derived from its children, and its summary */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "modelload.h"

/* a derive's rules (borrowed): which children's states make the field what */
static void
load_rules(struct loader *ld, struct ig_collection *c, struct ig_derive *dv, jv rules)
{
	jv_array_foreach(rules, i, r) {
		jv any = ig_get(r, "any"), all = ig_get(r, "all"), then = ig_get(r, "then");
		int is_all = ig_kind(all) == JV_KIND_ARRAY;
		jv states = is_all ? all : any;

		ig_jv_free(is_all ? any : all);
		if (ld->bad || ig_kind(states) != JV_KIND_ARRAY || ig_kind(then) != JV_KIND_STRING) {
			ig_model_bad(ld, c->name, "a derive rule needs any or all, and then");
			ig_jv_free(states);
			ig_jv_free(then);
		} else {
			dv->rules = ig_realloc(dv->rules, (size_t)(dv->nrules + 1) * sizeof *dv->rules);
			dv->rules[dv->nrules++] = (struct ig_derive_rule){ is_all, states, then };
		}
		ig_jv_free(r);
	}
}

static void
load_one_derive(struct loader *ld, const struct ig_model *m, struct ig_collection *c,
    const char *name, jv d)
{
	jv from = ig_get(d, "from"), by = ig_get(d, "by"), field = ig_get(d, "field");
	jv rules = ig_get(d, "rules"), planned = ig_get(d, "planned");
	const struct ig_collection *child = NULL;
	struct ig_derive *dv;
	int pair[2];

	c->derives = ig_realloc(c->derives, (size_t)(c->nderives + 1) * sizeof *c->derives);
	dv = &c->derives[c->nderives++];
	memset(dv, 0, sizeof *dv);
	dv->fallback = jv_invalid();
	dv->planned = -1;
	if ((dv->field = ig_field_find(c, name)) < 0 ||
	    ig_kind(from) != JV_KIND_STRING ||
	    !(child = ig_model_find(m, jv_string_value(from))) ||
	    ig_kind(by) != JV_KIND_STRING || ig_kind(field) != JV_KIND_STRING ||
	    (dv->child_by = ig_field_find(child, jv_string_value(by))) < 0 ||
	    (dv->child_field = ig_field_find(child, jv_string_value(field))) < 0 ||
	    ig_kind(rules) != JV_KIND_ARRAY) {
		ig_model_bad(ld, c->name, "bad derive");
		goto out;
	}
	dv->child = child->index;
	pair[0] = dv->child_by;
	pair[1] = dv->child_field;
	if ((dv->child_index = ig_model_index_of(child, 2, pair, 0)) < 0) {
		ig_model_bad(ld, c->name, "a derive needs an index on its child's (by, field)");
		goto out;
	}
	dv->fallback = jv_copy(c->fields[dv->field].defval);
	if (ig_kind(planned) == JV_KIND_STRING &&
	    ((dv->planned = ig_field_find(c, jv_string_value(planned))) < 0 ||
	    c->fields[dv->planned].type != IG_T_ARRAY)) {
		ig_model_bad(ld, c->name, "a derive's planned names no array field");
		goto out;
	}
	load_rules(ld, c, dv, rules);
out:
	ig_jv_free(planned);
	ig_jv_free(from);
	ig_jv_free(by);
	ig_jv_free(field);
	ig_jv_free(rules);
	ig_jv_free(d);
}

void
ig_model_load_derive(struct loader *ld, const struct ig_model *m, struct ig_collection *c, jv spec)
{
	jv_object_foreach(spec, k, d) {
		if (!ld->bad)
			load_one_derive(ld, m, c, jv_string_value(k), d);
		else
			ig_jv_free(d);
		ig_jv_free(k);
	}
	ig_jv_free(spec);
}

/* a field a lifecycle names, or -1 (and the model is bad if it must be) */
static int
life_field(const struct ig_collection *c, jv name)
{
	return ig_kind(name) == JV_KIND_STRING ? ig_field_find(c, jv_string_value(name)) : -1;
}

/* a lifecycle's stages, each a value of its field's enum */
void
ig_model_load_lifecycle(struct loader *ld, struct ig_collection *c, jv spec)
{
	static const char *stages[IG_NSTAGES] = { "ready", "working", "succeeded", "failed" };
	struct ig_lifecycle *l = ig_malloc(sizeof *l);
	jv claim = ig_get(spec, "claim"), reason = ig_get(spec, "reason");
	jv holder = ig_get(spec, "holder"), field = ig_get(spec, "field"), remote = ig_get(spec, "remote");

	memset(l, 0, sizeof *l);
	c->life = l;
	l->claim = l->reason = l->holder = -1;
	if ((l->field = life_field(c, field)) < 0) {
		ig_model_bad(ld, c->name, "a lifecycle names no field");
		goto out;
	}
	for (int i = 0; i < IG_NSTAGES && !ld->bad; i++) {
		jv name = ig_get(spec, stages[i]), allowed = c->fields[l->field].enumv;
		int ok = 0;

		if (ig_kind(name) != JV_KIND_STRING) {
			ig_model_bad(ld, c->name, "a lifecycle names every stage");
		} else {
			if (ig_kind(allowed) == JV_KIND_ARRAY)
				jv_array_foreach(allowed, k, v)
					ok |= jv_equal(v, jv_copy(name));
			if (!ok)
				ig_model_bad(ld, c->name, "a lifecycle stage is not a value of its field");
			else
				l->names[i] = ig_strdup(jv_string_value(name));
		}
		ig_jv_free(name);
	}
	if (ld->bad)
		goto out;
	if (ig_kind(claim) == JV_KIND_STRING &&
	    ((l->claim = life_field(c, claim)) < 0 || c->fields[l->claim].type != IG_T_UUID))
		ig_model_bad(ld, c->name, "a lifecycle's claim names no uuid field");
	else if (ig_kind(reason) == JV_KIND_STRING && (l->reason = life_field(c, reason)) < 0)
		ig_model_bad(ld, c->name, "a lifecycle's reason names no field");
	else if (l->claim >= 0 && (l->holder = life_field(c, holder)) < 0)
		ig_model_bad(ld, c->name, "a claimed lifecycle names its holder field");
	else if (l->claim >= 0 && ig_model_index_of(c, 1, &l->field, 1) < 0)
		ig_model_bad(ld, c->name, "a claimed lifecycle needs an index on its field");
	else if (ig_kind(remote) == JV_KIND_STRING && (l->claim < 0 || !*jv_string_value(remote)))
		ig_model_bad(ld, c->name, "a lifecycle's remote prefix needs a claim, and is not empty");
	else if (ig_kind(remote) == JV_KIND_STRING)
		l->remote = ig_strdup(jv_string_value(remote));
out:
	ig_jv_free(remote);
	ig_jv_free(holder);
	ig_jv_free(field);
	ig_jv_free(claim);
	ig_jv_free(reason);
	ig_jv_free(spec);
}

/* the first field of child that refers to parent, or -1 */
static int
child_ref(const struct ig_collection *child, const struct ig_collection *parent)
{
	for (int f = 0; f < child->nfields; f++)
		if (child->fields[f].ref == parent->index)
			return f;
	return -1;
}

/* a collection the summary names, and its foreign key to parent: the
 * collection, or NULL (and the model is bad) */
static const struct ig_collection *
summary_child(struct loader *ld, const struct ig_model *m, const struct ig_collection *c, jv spec,
    const char *key, const struct ig_collection *parent, int *child, int *by)
{
	jv name = ig_get(spec, key);
	const struct ig_collection *cc = ig_kind(name) == JV_KIND_STRING ? ig_model_find(m, jv_string_value(name)) : NULL;

	ig_jv_free(name);
	if (!cc || (*by = child_ref(cc, parent)) < 0) {
		ig_model_bad(ld, c->name, "a summary's collection names none, or none that refers to its parent");
		return NULL;
	}
	*child = cc->index;
	return cc;
}

/* a field the summary names of c, of type t: the field, or -1 (absent: an
 * optional one) */
static int
summary_field(struct loader *ld, const struct ig_collection *c, jv spec, const char *key, enum ig_type t,
    const char *who)
{
	jv name = ig_get(spec, key);
	int f = ig_kind(name) == JV_KIND_STRING ? ig_field_find(c, jv_string_value(name)) : -1;

	if (ig_valid(name) && (f < 0 || c->fields[f].type != t))
		ig_model_bad(ld, who, "a summary's field names none of its type");
	ig_jv_free(name);
	return f;
}

void
ig_model_load_summary(struct loader *ld, const struct ig_model *m, struct ig_collection *c, jv spec)
{
	struct ig_summary *sm = ig_malloc(sizeof *sm);
	const struct ig_collection *jobs, *images, *grids, *tasks;

	memset(sm, 0, sizeof *sm);
	sm->name = sm->cost = sm->grids_flag = -1;
	c->summary = sm;
	if (!c->life ||
	    !(jobs = summary_child(ld, m, c, spec, "jobs", c, &sm->jobs, &sm->jobs_by)) ||
	    !(images = summary_child(ld, m, c, spec, "images", jobs, &sm->images, &sm->images_by)) ||
	    !(grids = summary_child(ld, m, c, spec, "gridded", images, &sm->grids, &sm->grids_by)) ||
	    !(tasks = summary_child(ld, m, c, spec, "errors", jobs, &sm->tasks, &sm->tasks_by)) ||
	    !jobs->life || !tasks->life || tasks->life->reason < 0) {
		ig_model_bad(ld, c->name, "a summary needs a lifecycle, its jobs' and a reason in its tasks'");
	} else {
		sm->name = summary_field(ld, c, spec, "name", IG_T_STRING, c->name);
		sm->cost = summary_field(ld, jobs, spec, "cost", IG_T_NUMBER, c->name);
		if ((sm->grids_flag = summary_field(ld, grids, spec, "gridded_when", IG_T_BOOLEAN, c->name)) < 0)
			ig_model_bad(ld, c->name, "a summary names the flag that makes an image gridded");
	}
	ig_jv_free(spec);
}
