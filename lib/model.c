/* model.c - the data model as data: loading, validation, record layout */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "color.h"
#include "err.h"
#include "json.h"
#include "model.h"
#include "path.h"
#include "url.h"
#include "uuid.h"

/* generated from db/model by the Makefile */
extern const char ig_model_json[];

#define MAX_SAFE_INTEGER 9007199254740992.0	/* 2^53: doubles stay exact below */

/* the process's model: loaded on first use, by the thread that runs main */
static struct ig_model model;

static void __attribute__((noreturn))
bad_model(const char *where, const char *what)
{
	ig_die(IG_EXIT_SYSTEM, "db/model: %s: %s", where, what);
}

static int
obj_bool(jv o, const char *k)
{
	jv v = ig_get(o, k);
	int r = ig_kind(v) == JV_KIND_TRUE;

	ig_jv_free(v);
	return r;
}

static enum ig_type
parse_type(const char *where, const char *s)
{
	static const char *names[] = { "string", "integer", "number", "boolean",
	    "uuid", "timestamp", "object", "array", "json" };

	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(s, names[i]) == 0)
			return (enum ig_type)i;
	bad_model(where, "unknown type");
}

static enum ig_syntax
parse_syntax(const char *where, const char *s)
{
	static const char *names[] = { "", "path", "color", "sha256", "xxh128" };

	for (size_t i = 1; i < sizeof names / sizeof *names; i++)
		if (strcmp(s, names[i]) == 0)
			return (enum ig_syntax)i;
	bad_model(where, "unknown syntax");
}

/* refs and default_from name other things: resolved after loading */
struct pending {
	struct ig_field *f;
	struct ig_collection *c;
	char *ref, *from;
};
struct loader {
	struct pending *pend;
	int npend;
};

static void load_fields(struct loader *ld, struct ig_collection *c, jv spec,
    struct ig_field **out, int *n);

/* a name field f gives of another thing (ref, default_from), resolved
 * after loading */
static struct pending *
pending(struct loader *ld, struct ig_collection *c, struct ig_field *f)
{
	struct pending *p;

	ld->pend = ig_realloc(ld->pend, (size_t)(ld->npend + 1) * sizeof *ld->pend);
	p = &ld->pend[ld->npend++];
	memset(p, 0, sizeof *p);
	p->f = f;
	p->c = c;
	return p;
}

static void
load_field(struct loader *ld, struct ig_collection *c, struct ig_field *f, const char *name,
    jv spec)
{
	int typed = 0;

	memset(f, 0, sizeof *f);
	f->name = ig_strdup(name);
	f->namelen = strlen(name);
	f->ref = f->default_from = -1;
	f->enumv = f->defval = f->edges = f->stamps = jv_invalid();
	if (ig_kind(spec) != JV_KIND_OBJECT)
		bad_model(name, "field spec is not an object");
	/* one pass over the spec's keys: every process loads the model */
	jv_object_foreach(spec, k, v) {
		const char *key = jv_string_value(k);
		jv_kind kind = ig_kind(v);

		if (strcmp(key, "type") == 0) {
			if (kind != JV_KIND_STRING)
				bad_model(name, "field has no type");
			f->type = parse_type(name, jv_string_value(v));
			typed = 1;
		} else if (strcmp(key, "required") == 0) {
			f->required = kind == JV_KIND_TRUE;
		} else if (strcmp(key, "nonempty") == 0) {
			f->nonempty = kind == JV_KIND_TRUE;
		} else if (strcmp(key, "not_future") == 0) {
			f->not_future = kind == JV_KIND_TRUE;
		} else if (strcmp(key, "exists") == 0) {
			f->exists = kind == JV_KIND_TRUE;
		} else if (strcmp(key, "open") == 0) {
			f->open = kind == JV_KIND_TRUE;
		} else if (strcmp(key, "absolute") == 0) {
			f->absolute = kind == JV_KIND_TRUE;
		} else if (strcmp(key, "as") == 0 && kind == JV_KIND_STRING) {
			const char *as = jv_string_value(v);

			if (strcmp(as, "basename") == 0)
				f->as = IG_AS_BASENAME;
			else if (strcmp(as, "file_uri") == 0)
				f->as = IG_AS_FILE_URI;
			else
				bad_model(name, "'as' is basename or file_uri");
		} else if (strcmp(key, "max_length") == 0 && kind == JV_KIND_NUMBER) {
			f->max_length = (long)jv_number_value(v);
		} else if (strcmp(key, "min") == 0 && kind == JV_KIND_NUMBER) {
			f->has_min = 1;
			f->min = jv_number_value(v);
		} else if (strcmp(key, "max") == 0 && kind == JV_KIND_NUMBER) {
			f->has_max = 1;
			f->max = jv_number_value(v);
		} else if (strcmp(key, "syntax") == 0 && kind == JV_KIND_STRING) {
			f->syntax = parse_syntax(name, jv_string_value(v));
		} else if (strcmp(key, "enum") == 0 && kind == JV_KIND_ARRAY) {
			f->enumv = jv_copy(v);
		} else if (strcmp(key, "default") == 0) {
			f->defval = jv_copy(v);
		} else if (strcmp(key, "items") == 0 && kind == JV_KIND_OBJECT) {
			f->items = ig_malloc(sizeof *f->items);
			load_field(ld, c, f->items, name, jv_copy(v));
		} else if (strcmp(key, "fields") == 0 && kind == JV_KIND_OBJECT) {
			load_fields(ld, c, jv_copy(v), &f->fields, &f->nfields);
		} else if (strcmp(key, "ref") == 0 && kind == JV_KIND_STRING) {
			pending(ld, c, f)->ref = ig_strdup(jv_string_value(v));
		} else if (strcmp(key, "default_from") == 0 && kind == JV_KIND_STRING) {
			pending(ld, c, f)->from = ig_strdup(jv_string_value(v));
		} else if (strcmp(key, "doc") != 0) {
			bad_model(name, "unknown field attribute");
		}
		ig_jv_free(k);
		ig_jv_free(v);
	}
	if (!typed)
		bad_model(name, "field has no type");
	ig_jv_free(spec);
}

static void
load_fields(struct loader *ld, struct ig_collection *c, jv spec, struct ig_field **out, int *n)
{
	int i = 0;

	*n = jv_object_length(jv_copy(spec));
	*out = ig_malloc((size_t)*n * sizeof **out);
	jv_object_foreach(spec, k, v) {
		load_field(ld, c, &(*out)[i++], jv_string_value(k), v);
		ig_jv_free(k);
	}
	ig_jv_free(spec);
}

static void
add_index(struct ig_collection *c, jv fields, int unique)
{
	struct ig_index *ix;
	struct ig_buf name = { 0 };
	int n = jv_array_length(jv_copy(fields));

	if (n < 1 || n > IG_INDEX_MAX)
		bad_model(c->name, "an index needs 1 to 4 fields");
	c->indexes = ig_realloc(c->indexes, (size_t)(c->nindexes + 1) * sizeof *c->indexes);
	ix = &c->indexes[c->nindexes++];
	ix->nfields = n;
	ix->unique = unique;
	ig_buf_printf(&name, "%s:%s", c->name, unique ? "unique:" : "");
	for (int i = 0; i < n; i++) {
		jv f = jv_array_get(jv_copy(fields), i);

		if (ig_kind(f) != JV_KIND_STRING ||
		    (ix->fields[i] = ig_field_find(c, jv_string_value(f))) < 0)
			bad_model(c->name, "an index names an unknown field");
		ig_buf_printf(&name, "%s%s", i ? "," : "", jv_string_value(f));
		ig_jv_free(f);
	}
	ix->name = ig_strdup(ig_buf_str(&name));
	ig_buf_free(&name);
	ig_jv_free(fields);
}

static int
find_index(const struct ig_collection *c, int nf, const int *fields, int prefix)
{
	for (int i = 0; i < c->nindexes; i++) {
		const struct ig_index *ix = &c->indexes[i];

		if ((prefix ? ix->nfields >= nf : ix->nfields == nf) &&
		    memcmp(ix->fields, fields, (size_t)nf * sizeof *fields) == 0)
			return i;
	}
	return -1;
}

static void
add_indexes(struct ig_collection *c, jv spec, const char *key, int unique)
{
	jv list = ig_get(spec, key);

	if (ig_kind(list) == JV_KIND_ARRAY)
		jv_array_foreach(list, i, fields)
			add_index(c, fields, unique);
	ig_jv_free(list);
}

static void
load_derive(const struct ig_model *m, struct ig_collection *c, jv spec)
{
	jv_object_foreach(spec, k, d) {
		struct ig_derive *dv;
		jv from = ig_get(d, "from"), by = ig_get(d, "by"), field = ig_get(d, "field");
		jv rules = ig_get(d, "rules");
		const struct ig_collection *child;
		int pair[2];

		c->derives = ig_realloc(c->derives, (size_t)(c->nderives + 1) * sizeof *c->derives);
		dv = &c->derives[c->nderives++];
		memset(dv, 0, sizeof *dv);
		if ((dv->field = ig_field_find(c, jv_string_value(k))) < 0 ||
		    ig_kind(from) != JV_KIND_STRING ||
		    !(child = ig_model_find(m, jv_string_value(from))) ||
		    ig_kind(by) != JV_KIND_STRING || ig_kind(field) != JV_KIND_STRING ||
		    (dv->child_by = ig_field_find(child, jv_string_value(by))) < 0 ||
		    (dv->child_field = ig_field_find(child, jv_string_value(field))) < 0 ||
		    ig_kind(rules) != JV_KIND_ARRAY)
			bad_model(c->name, "bad derive");
		dv->child = child->index;
		pair[0] = dv->child_by;
		pair[1] = dv->child_field;
		if ((dv->child_index = find_index(child, 2, pair, 0)) < 0)
			bad_model(c->name, "a derive needs an index on its child's (by, field)");
		dv->fallback = jv_copy(c->fields[dv->field].defval);
		dv->planned = -1;
		{
			jv planned = ig_get(d, "planned");

			if (ig_kind(planned) == JV_KIND_STRING &&
			    ((dv->planned = ig_field_find(c, jv_string_value(planned))) < 0 ||
			    c->fields[dv->planned].type != IG_T_ARRAY))
				bad_model(c->name, "a derive's planned names no array field");
			ig_jv_free(planned);
		}
		jv_array_foreach(rules, i, r) {
			jv any = ig_get(r, "any"), all = ig_get(r, "all");
			struct ig_derive_rule *dr;

			dv->rules = ig_realloc(dv->rules, (size_t)(dv->nrules + 1) * sizeof *dv->rules);
			dr = &dv->rules[dv->nrules++];
			dr->all = ig_kind(all) == JV_KIND_ARRAY;
			dr->states = dr->all ? all : any;
			ig_jv_free(dr->all ? any : all);
			dr->then = ig_get(r, "then");
			if (ig_kind(dr->states) != JV_KIND_ARRAY ||
			    ig_kind(dr->then) != JV_KIND_STRING)
				bad_model(c->name, "a derive rule needs any or all, and then");
			ig_jv_free(r);
		}
		ig_jv_free(from);
		ig_jv_free(by);
		ig_jv_free(field);
		ig_jv_free(rules);
		ig_jv_free(k);
		ig_jv_free(d);
	}
	ig_jv_free(spec);
}

/* a lifecycle's stages, each a value of its field's enum */
static void
load_lifecycle(struct ig_collection *c, jv spec)
{
	static const char *stages[IG_NSTAGES] = { "ready", "working", "succeeded", "failed" };
	struct ig_lifecycle *l = ig_malloc(sizeof *l);
	jv field = ig_get(spec, "field"), claim = ig_get(spec, "claim"), reason = ig_get(spec, "reason");
	jv holder = ig_get(spec, "holder");

	memset(l, 0, sizeof *l);
	l->claim = l->reason = l->holder = -1;
	if (ig_kind(field) != JV_KIND_STRING || (l->field = ig_field_find(c, jv_string_value(field))) < 0)
		bad_model(c->name, "a lifecycle names no field");
	for (int i = 0; i < IG_NSTAGES; i++) {
		jv name = ig_get(spec, stages[i]), allowed = c->fields[l->field].enumv;
		int ok = 0;

		if (ig_kind(name) != JV_KIND_STRING)
			bad_model(c->name, "a lifecycle names every stage");
		jv_array_foreach(allowed, k, v)
			ok |= jv_equal(v, jv_copy(name));
		if (!ok)
			bad_model(c->name, "a lifecycle stage is not a value of its field");
		l->names[i] = ig_strdup(jv_string_value(name));
		ig_jv_free(name);
	}
	if (ig_kind(claim) == JV_KIND_STRING &&
	    ((l->claim = ig_field_find(c, jv_string_value(claim))) < 0 || c->fields[l->claim].type != IG_T_UUID))
		bad_model(c->name, "a lifecycle's claim names no uuid field");
	if (ig_kind(reason) == JV_KIND_STRING && (l->reason = ig_field_find(c, jv_string_value(reason))) < 0)
		bad_model(c->name, "a lifecycle's reason names no field");
	if (l->claim >= 0 && (ig_kind(holder) != JV_KIND_STRING ||
	    (l->holder = ig_field_find(c, jv_string_value(holder))) < 0))
		bad_model(c->name, "a claimed lifecycle names its holder field");
	ig_jv_free(holder);
	if (l->claim >= 0 && find_index(c, 1, &l->field, 1) < 0)
		bad_model(c->name, "a claimed lifecycle needs an index on its field");
	ig_jv_free(field);
	ig_jv_free(claim);
	ig_jv_free(reason);
	ig_jv_free(spec);
	c->life = l;
}

static void
load(struct ig_model *m)
{
	struct loader ld = { NULL, 0 };
	char err[256];
	jv all = ig_json_parse(ig_model_json, strlen(ig_model_json), err, sizeof err);
	jv base = jv_invalid(), specs = jv_array();

	if (!ig_valid(all))
		bad_model("model", err);
	jv_array_foreach(all, i, spec) {
		if (obj_bool(spec, "base")) {
			ig_jv_free(base);
			base = spec;
		} else {
			specs = jv_array_append(specs, spec);
		}
	}
	ig_jv_free(all);
	if (!ig_valid(base))
		bad_model("base.json", "missing");
	m->ncolls = jv_array_length(jv_copy(specs));
	m->colls = ig_malloc((size_t)m->ncolls * sizeof *m->colls);
	memset(m->colls, 0, (size_t)m->ncolls * sizeof *m->colls);
	jv_array_foreach(specs, i, spec) {
		struct ig_collection *c = &m->colls[i];
		jv name = ig_get(spec, "collection");

		if (ig_kind(name) != JV_KIND_STRING)
			bad_model("model", "a file has no collection name");
		c->name = ig_strdup(jv_string_value(name));
		c->index = i;
		ig_jv_free(name);
		{
			/* one object, base fields first, so the array never moves
			 * after pending names point into it */
			jv fields = ig_get(base, "fields"), own = ig_get(spec, "fields");

			if (ig_kind(own) != JV_KIND_OBJECT)
				bad_model(c->name, "no fields");
			jv_object_foreach(own, k, v)
				fields = jv_object_set(fields, k, v);
			ig_jv_free(own);
			load_fields(&ld, c, fields, &c->fields, &c->nfields);
		}
		ig_jv_free(spec);
	}
	/* the field arrays are final now: resolve names */
	for (int i = 0; i < ld.npend; i++) {
		struct pending *p = &ld.pend[i];
		const struct ig_collection *to;

		if (p->ref) {
			if (!(to = ig_model_find(m, p->ref)))
				bad_model(p->c->name, "ref names an unknown collection");
			p->f->ref = to->index;
		}
		if (p->from && (p->f->default_from = ig_field_find(p->c, p->from)) < 0)
			bad_model(p->c->name, "default_from names an unknown field");
		free(p->ref);
		free(p->from);
	}
	free(ld.pend);
	jv_array_foreach(specs, i, spec) {
		struct ig_collection *c = &m->colls[i];

		add_indexes(c, base, "indexes", 0);
		add_indexes(c, spec, "indexes", 0);
		add_indexes(c, spec, "unique", 1);
		/* a foreign key is followed through any index that starts with it */
		for (int f = 0; f < c->nfields; f++) {
			if (c->fields[f].ref >= 0 && find_index(c, 1, &f, 1) < 0) {
				jv one = JV_ARRAY(jv_string(c->fields[f].name));

				add_index(c, one, 0);
			}
		}
		if ((c->f_id = ig_field_find(c, "id")) < 0 ||
		    (c->f_created = ig_field_find(c, "created_at")) < 0 ||
		    (c->f_updated = ig_field_find(c, "updated_at")) < 0 ||
		    (c->f_deleted_at = ig_field_find(c, "deleted_at")) < 0 ||
		    (c->f_is_deleted = ig_field_find(c, "is_deleted")) < 0)
			bad_model("base.json", "id, created_at, updated_at, deleted_at and is_deleted are required");
		c->stamps = ig_get(spec, "stamps");
		/* looked up once here, not by name on every write */
		{
			jv transitions = ig_get(spec, "transitions");

			for (int f = 0; f < c->nfields; f++) {
				c->fields[f].edges = ig_get(transitions, c->fields[f].name);
				c->fields[f].stamps = ig_get(c->stamps, c->fields[f].name);
			}
			ig_jv_free(transitions);
		}
		m->nindexes += c->nindexes;
		ig_jv_free(spec);
	}
	jv_array_foreach(specs, i, spec) {
		jv d = ig_get(spec, "derive"), life = ig_get(spec, "lifecycle");

		if (ig_kind(life) == JV_KIND_OBJECT)
			load_lifecycle(&m->colls[i], life);
		else
			ig_jv_free(life);

		if (ig_kind(d) == JV_KIND_OBJECT)
			load_derive(m, &m->colls[i], d);
		else
			ig_jv_free(d);
		ig_jv_free(spec);
	}
	ig_jv_free(specs);
	ig_jv_free(base);
}

const struct ig_model *
ig_model(void)
{
	if (!model.colls)
		load(&model);
	return &model;
}

struct ig_model *
ig_model_new(void)
{
	struct ig_model *m = ig_malloc(sizeof *m);

	memset(m, 0, sizeof *m);
	load(m);
	return m;
}

static void
free_field(struct ig_field *f)
{
	free(f->name);
	ig_jv_free(f->enumv);
	ig_jv_free(f->defval);
	ig_jv_free(f->edges);
	ig_jv_free(f->stamps);
	if (f->items) {
		free_field(f->items);
		free(f->items);
	}
	for (int i = 0; i < f->nfields; i++)
		free_field(&f->fields[i]);
	free(f->fields);
}

void
ig_model_free(struct ig_model *m)
{
	for (int i = 0; i < m->ncolls; i++) {
		struct ig_collection *c = &m->colls[i];

		free(c->name);
		for (int f = 0; f < c->nfields; f++)
			free_field(&c->fields[f]);
		free(c->fields);
		for (int x = 0; x < c->nindexes; x++)
			free(c->indexes[x].name);
		free(c->indexes);
		ig_jv_free(c->stamps);
		for (int d = 0; d < c->nderives; d++) {
			struct ig_derive *dv = &c->derives[d];

			for (int r = 0; r < dv->nrules; r++) {
				ig_jv_free(dv->rules[r].states);
				ig_jv_free(dv->rules[r].then);
			}
			free(dv->rules);
			ig_jv_free(dv->fallback);
		}
		free(c->derives);
		if (c->life) {
			for (int st = 0; st < IG_NSTAGES; st++)
				free((char *)c->life->names[st]);
			free(c->life);
		}
	}
	free(m->colls);
	free(m);
}

const char *
ig_stage_name(const char *collection, enum ig_stage stage)
{
	const struct ig_collection *c = ig_model_find(ig_model(), collection);

	if (!c || !c->life)
		ig_die(IG_EXIT_SYSTEM, "model: %s has no lifecycle", collection);
	return c->life->names[stage];
}

int
ig_stage_of(const struct ig_collection *c, const char *status)
{
	for (int i = 0; c->life && status && i < IG_NSTAGES; i++)
		if (strcmp(c->life->names[i], status) == 0)
			return i;
	return -1;
}

const struct ig_collection *
ig_model_find(const struct ig_model *m, const char *name)
{
	for (int i = 0; i < m->ncolls; i++)
		if (strcmp(m->colls[i].name, name) == 0)
			return &m->colls[i];
	return NULL;
}

int
ig_field_find(const struct ig_collection *c, const char *name)
{
	for (int i = 0; i < c->nfields; i++)
		if (strcmp(c->fields[i].name, name) == 0)
			return i;
	return -1;
}

const struct ig_field *
ig_model_field(const char *collection, const char *field)
{
	const struct ig_collection *c = ig_model_find(ig_model(), collection);
	int f = c ? ig_field_find(c, field) : -1;

	if (f < 0)
		ig_die(IG_EXIT_SYSTEM, "db/model: %s has no field %s", collection, field);
	return &c->fields[f];
}

jv
ig_model_default(const char *collection, const char *field)
{
	return jv_copy(ig_model_field(collection, field)->defval);
}

void
ig_model_order(const struct ig_model *m, int *order)
{
	int *placed = ig_malloc((size_t)m->ncolls * sizeof *placed), n = 0;

	memset(placed, 0, (size_t)m->ncolls * sizeof *placed);
	while (n < m->ncolls) {
		int progress = 0;

		for (int i = 0; i < m->ncolls; i++) {
			const struct ig_collection *c = &m->colls[i];
			int ready = !placed[i];

			for (int f = 0; ready && f < c->nfields; f++)
				if (c->fields[f].ref >= 0 && c->fields[f].ref != i &&
				    !placed[c->fields[f].ref])
					ready = 0;
			if (ready) {
				placed[i] = 1;
				order[n++] = i;
				progress = 1;
			}
		}
		if (!progress)
			bad_model("model", "foreign keys form a cycle");
	}
	free(placed);
}

static const char *
type_name(enum ig_type t)
{
	static const char *names[] = { "a string", "an integer", "a number",
	    "a boolean", "a UUID", "an RFC 3339 timestamp", "an object",
	    "an array", "JSON" };

	return names[t];
}

static int
is_hex_lower(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int
syntax_ok(enum ig_syntax syn, const char *s, size_t n, const char **why)
{
	switch (syn) {
	case IG_S_NONE:
		return 1;
	case IG_S_PATH:
		*why = "must be a valid path (not empty, at most 4096 bytes, no control characters, not ending in /)";
		if (n == 0 || n > 4096 || s[n - 1] == '/')
			return 0;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return 0;
		return 1;
	case IG_S_COLOR: {
		struct ig_color c;

		*why = "must be a color #rgb, #rgba, #rrggbb or #rrggbbaa";
		return ig_color_parse(s, n, &c) == 0;
	}
	case IG_S_SHA256:
		*why = "must be 64 lowercase hex digits";
		return n == 64 && is_hex_lower(s, n);
	case IG_S_XXH128:
		*why = "must be 32 lowercase hex digits";
		return n == 32 && is_hex_lower(s, n);
	}
	return 1;
}

jv *
ig_row_new(const struct ig_collection *c)
{
	jv *row = ig_malloc((size_t)c->nfields * sizeof *row);

	for (int i = 0; i < c->nfields; i++)
		row[i] = jv_invalid();
	return row;
}

void
ig_row_free(const struct ig_collection *c, jv *row)
{
	if (!row)
		return;
	for (int i = 0; i < c->nfields; i++)
		ig_jv_free(row[i]);
	free(row);
}

static int
field_index(const struct ig_field *fields, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (fields[i].name[0] == name[0] && strcmp(fields[i].name, name) == 0)
			return i;
	return -1;
}

/* fields may be a collection's or a nested object's */
static int
fill_row(const struct ig_field *fields, int n, int open, jv *row, jv obj,
    const char *path, char *err, size_t errlen)
{
	int rc = 0;

	jv_object_foreach(obj, k, v) {
		const char *name = jv_string_value(k);
		int i = field_index(fields, n, name);

		if (i >= 0) {
			ig_jv_free(row[i]);
			row[i] = v;
		} else {
			if (!open && !(path == NULL && strcmp(name, "collection") == 0) && !rc) {
				snprintf(err, errlen, "unknown field '%s%s%s'", path ? path : "",
				    path ? "." : "", name);
				rc = -1;
			}
			ig_jv_free(v);
		}
		ig_jv_free(k);
	}
	ig_jv_free(obj);
	return rc;
}

int
ig_row_take(const struct ig_collection *c, jv *row, struct ig_members *m,
    char *err, size_t errlen)
{
	for (int j = 0; j < m->n; j++) {
		struct ig_member *mb = &m->v[j];
		int i = -1;

		for (int k = 0; k < c->nfields; k++)
			if (c->fields[k].namelen == mb->klen &&
			    memcmp(c->fields[k].name, mb->key, mb->klen) == 0) {
				i = k;
				break;
			}
		if (i >= 0) {
			ig_jv_free(row[i]);
			row[i] = mb->value;
			mb->value = jv_invalid();
		} else if (!(mb->klen == 10 && memcmp(mb->key, "collection", 10) == 0)) {
			snprintf(err, errlen, "unknown field '%.*s'", (int)mb->klen, mb->key);
			return -1;
		}
	}
	return 0;
}

int
ig_row_equal(const struct ig_collection *c, const jv *a, const jv *b)
{
	for (int i = 0; i < c->nfields; i++)
		if (!jv_equal(jv_copy(a[i]), jv_copy(b[i])))
			return 0;
	return 1;
}

static int check_value(const struct ig_field *f, const char *path, jv v, jv old,
    int64_t now_us, char *err, size_t errlen);

static int
check_row(const struct ig_field *fields, int nfields, const char *parent,
    const jv *row, const jv *old, int64_t now_us, char *err, size_t errlen)
{
	char path[256];

	for (int i = 0; i < nfields; i++) {
		const struct ig_field *f = &fields[i];
		jv_kind k = ig_kind(row[i]);

		if (!f->required && (k == JV_KIND_INVALID || k == JV_KIND_NULL))
			continue;
		/* a nested field's path is formatted; a top-level one is its name */
		const char *p = f->name;

		if (parent) {
			snprintf(path, sizeof path, "%s.%s", parent, f->name);
			p = path;
		}
		if (k == JV_KIND_INVALID || k == JV_KIND_NULL) {
			snprintf(err, errlen, "missing required field '%s'", p);
			return -1;
		}
		if (check_value(f, p, row[i], old ? old[i] : jv_invalid(), now_us, err, errlen))
			return -1;
	}
	return 0;
}

/* v and old are borrowed */
static int
check_value(const struct ig_field *f, const char *path, jv v, jv old,
    int64_t now_us, char *err, size_t errlen)
{
	jv_kind k = ig_kind(v);
	int ok = 1;
	const char *why = NULL;

	switch (f->type) {
	case IG_T_STRING:
	case IG_T_UUID:
	case IG_T_TIMESTAMP:
		ok = k == JV_KIND_STRING;
		break;
	case IG_T_INTEGER:
		ok = k == JV_KIND_NUMBER && jv_number_value(v) == floor(jv_number_value(v));
		if (ok && fabs(jv_number_value(v)) > MAX_SAFE_INTEGER) {
			snprintf(err, errlen, "'%s' is beyond 2^53, which JSON numbers cannot hold exactly", path);
			return -1;
		}
		break;
	case IG_T_NUMBER:
		ok = k == JV_KIND_NUMBER;
		break;
	case IG_T_BOOLEAN:
		ok = k == JV_KIND_TRUE || k == JV_KIND_FALSE;
		break;
	case IG_T_OBJECT:
		ok = k == JV_KIND_OBJECT;
		break;
	case IG_T_ARRAY:
		ok = k == JV_KIND_ARRAY;
		break;
	case IG_T_JSON:
		break;
	}
	if (!ok) {
		snprintf(err, errlen, "'%s' must be %s", path, type_name(f->type));
		return -1;
	}
	if (k == JV_KIND_STRING) {
		const char *s = jv_string_value(v);
		size_t n = (size_t)jv_string_length_bytes(jv_copy(v));
		uint8_t u[16];
		int64_t t;

		if (memchr(s, '\0', n)) {
			snprintf(err, errlen, "'%s' must not contain NUL", path);
			return -1;
		}
		if (f->type == IG_T_UUID && ig_uuid_parse(s, u) != 0) {
			snprintf(err, errlen, "'%s' must be a UUID, not \"%.64s\"", path, s);
			return -1;
		}
		if (f->type == IG_T_TIMESTAMP) {
			if (ig_time_parse(s, &t) != 0) {
				snprintf(err, errlen, "'%s' must be an RFC 3339 timestamp, not \"%.64s\"", path, s);
				return -1;
			}
			if (f->not_future && t > now_us) {
				snprintf(err, errlen, "'%s' is in the future (%s)", path, s);
				return -1;
			}
		}
		if (f->nonempty && strspn(s, " \t\r\n") == n) {
			snprintf(err, errlen, "'%s' must not be empty", path);
			return -1;
		}
		if (f->max_length && ig_utf8_length(s, n) > (size_t)f->max_length) {
			snprintf(err, errlen, "'%s' is longer than %ld characters", path, f->max_length);
			return -1;
		}
		if (!syntax_ok(f->syntax, s, n, &why)) {
			snprintf(err, errlen, "'%s' %s", path, why);
			return -1;
		}
		if (f->exists) {
			struct stat st;
			int changed = !ig_valid(old) || ig_kind(old) != JV_KIND_STRING ||
			    strcmp(jv_string_value(old), s) != 0;

			if (changed && (stat(s, &st) != 0 || !S_ISREG(st.st_mode))) {
				snprintf(err, errlen, "'%s': no such file: %.200s", path, s);
				return -1;
			}
		}
	}
	if (k == JV_KIND_NUMBER) {
		double d = jv_number_value(v);

		if (f->has_min && d < f->min) {
			snprintf(err, errlen, "'%s' must be at least %g, not %g", path, f->min, d);
			return -1;
		}
		if (f->has_max && d > f->max) {
			snprintf(err, errlen, "'%s' must be at most %g, not %g", path, f->max, d);
			return -1;
		}
	}
	if (ig_valid(f->enumv)) {
		int found = 0;

		jv_array_foreach(f->enumv, i, e)
			found |= jv_equal(e, jv_copy(v));
		if (!found) {
			struct ig_buf allowed = { 0 };

			jv_array_foreach(f->enumv, i, e) {
				ig_buf_printf(&allowed, "%s%s", i ? ", " : "",
				    ig_kind(e) == JV_KIND_STRING ? jv_string_value(e) : "?");
				ig_jv_free(e);
			}
			snprintf(err, errlen, "'%s' must be one of %s", path, ig_buf_str(&allowed));
			ig_buf_free(&allowed);
			return -1;
		}
	}
	if (k == JV_KIND_ARRAY && f->items) {
		char sub[256];

		jv_array_foreach(v, i, e) {
			int bad;

			snprintf(sub, sizeof sub, "%s[%d]", path, i);
			bad = check_value(f->items, sub, e, jv_invalid(), now_us, err, errlen);
			ig_jv_free(e);
			if (bad)
				return -1;
		}
	}
	if (k == JV_KIND_OBJECT && f->nfields) {
		jv *sub = ig_malloc((size_t)f->nfields * sizeof *sub);
		int bad;

		for (int i = 0; i < f->nfields; i++)
			sub[i] = jv_invalid();
		bad = fill_row(f->fields, f->nfields, f->open, sub, jv_copy(v), path, err, errlen) ||
		    check_row(f->fields, f->nfields, path, sub, NULL, now_us, err, errlen);
		for (int i = 0; i < f->nfields; i++)
			ig_jv_free(sub[i]);
		free(sub);
		if (bad)
			return -1;
	}
	return 0;
}

int
ig_model_check(const struct ig_collection *c, const jv *row, const jv *old,
    int64_t now_us, char *err, size_t errlen)
{
	return check_row(c->fields, c->nfields, NULL, row, old, now_us, err, errlen);
}

/* a default made from another field's value */
static jv
derived_as(enum ig_derived_as as, jv from)
{
	struct ig_buf b = { 0 };
	jv r;

	if (as == IG_AS_SAME || ig_kind(from) != JV_KIND_STRING)
		return jv_copy(from);
	if (as == IG_AS_BASENAME)
		return jv_string(ig_path_base(jv_string_value(from)));
	ig_file_uri(&b, jv_string_value(from));
	r = jv_string_sized(b.p, (int)b.len);
	ig_buf_free(&b);
	return r;
}

void
ig_model_defaults(const struct ig_collection *c, jv *row)
{
	for (int i = 0; i < c->nfields; i++) {
		const struct ig_field *f = &c->fields[i];

		if (ig_valid(row[i]))
			continue;
		if (ig_valid(f->defval))
			row[i] = jv_copy(f->defval);
		else if (f->default_from >= 0)
			row[i] = derived_as(f->as, row[f->default_from]);
	}
}

int
ig_model_transition_ok(const struct ig_collection *c, int f, jv from, jv to)
{
	jv edges = c->fields[f].edges, allowed;
	int ok = 0;

	if (!ig_valid(edges) || jv_equal(jv_copy(from), jv_copy(to)))
		return 1;	/* no transitions, or no change: it goes */
	allowed = ig_kind(from) == JV_KIND_STRING ?
	    ig_get(edges, jv_string_value(from)) : jv_invalid();
	if (ig_kind(allowed) == JV_KIND_ARRAY)
		jv_array_foreach(allowed, i, s)
			ok |= jv_equal(s, jv_copy(to));
	ig_jv_free(allowed);
	return ok;
}

int
ig_model_stamp(const struct ig_collection *c, int f, jv state)
{
	jv name;
	int r = -1;

	if (ig_valid(c->fields[f].stamps) && ig_kind(state) == JV_KIND_STRING) {
		name = ig_get(c->fields[f].stamps, jv_string_value(state));
		if (ig_kind(name) == JV_KIND_STRING)
			r = ig_field_find(c, jv_string_value(name));
		ig_jv_free(name);
	}
	return r;
}

size_t
ig_model_write(struct ig_buf *b, const struct ig_collection *c, const jv *row)
{
	size_t start = b->len, id_at = 0;

	ig_buf_add(b, "{\"collection\":", 14);
	ig_json_write_string(b, c->name, strlen(c->name));
	for (int i = 0; i < c->nfields; i++) {
		if (!ig_valid(row[i]))
			continue;
		ig_buf_addc(b, ',');
		ig_json_write_string(b, c->fields[i].name, c->fields[i].namelen);
		ig_buf_addc(b, ':');
		if (i == c->f_id)
			id_at = b->len - start;
		ig_json_write(b, row[i]);
	}
	ig_buf_addc(b, '}');
	return id_at;
}
