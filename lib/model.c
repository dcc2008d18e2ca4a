/* model.c - the data model as data, loaded from db/model and looked up */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "model.h"
#include "modelload.h"

/* generated from db/model by the Makefile */
extern const char ig_model_json[];

/* refs and default_from name other things: resolved after loading */
struct pending {
	struct ig_field *f;
	struct ig_collection *c;
	char *ref, *from;
};
void
ig_model_bad(struct loader *ld, const char *where, const char *what)
{
	if (!ld->bad)
		snprintf(ld->err, ld->errlen, "%s: %s", where, what);
	ld->bad = 1;
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
parse_type(struct loader *ld, const char *where, const char *s)
{
	static const char *names[] = { "string", "integer", "number", "boolean",
	    "uuid", "timestamp", "object", "array", "json" };

	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(s, names[i]) == 0)
			return (enum ig_type)i;
	ig_model_bad(ld, where, "unknown type");
	return IG_T_JSON;
}

static enum ig_syntax
parse_syntax(struct loader *ld, const char *where, const char *s)
{
	static const char *names[] = { "", "path", "color", "sha256", "xxh128" };

	for (size_t i = 1; i < sizeof names / sizeof *names; i++)
		if (strcmp(s, names[i]) == 0)
			return (enum ig_syntax)i;
	ig_model_bad(ld, where, "unknown syntax");
	return IG_S_NONE;
}

static void load_fields(struct loader *ld, struct ig_collection *c, jv spec,
    struct ig_field **out, int *n);
static void load_field(struct loader *ld, struct ig_collection *c, struct ig_field *f,
    const char *name, jv spec);

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

/* a field's boolean attribute by its name in db/model, or NULL */
static int *
flag_of(struct ig_field *f, const char *key)
{
	static const struct { const char *key; size_t at; } flags[] = {
		{ "required", offsetof(struct ig_field, required) },
		{ "nonempty", offsetof(struct ig_field, nonempty) },
		{ "not_future", offsetof(struct ig_field, not_future) },
		{ "exists", offsetof(struct ig_field, exists) },
		{ "open", offsetof(struct ig_field, open) },
		{ "absolute", offsetof(struct ig_field, absolute) },
	};

	for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
		if (strcmp(key, flags[i].key) == 0)
			return (int *)((char *)f + flags[i].at);
	return NULL;
}

/* one attribute of a field's spec */
static void
field_attr(struct loader *ld, struct ig_collection *c, struct ig_field *f, const char *name,
    const char *key, jv v, int *typed)
{
	jv_kind kind = ig_kind(v);

	if (strcmp(key, "type") == 0) {
		if (kind != JV_KIND_STRING)
			ig_model_bad(ld, name, "field has no type");
		else
			f->type = parse_type(ld, name, jv_string_value(v));
		*typed = 1;
	} else if (flag_of(f, key)) {
		*flag_of(f, key) = kind == JV_KIND_TRUE;
	} else if (strcmp(key, "as") == 0 && kind == JV_KIND_STRING) {
		const char *as = jv_string_value(v);

		if (strcmp(as, "basename") == 0)
			f->as = IG_AS_BASENAME;
		else if (strcmp(as, "file_uri") == 0)
			f->as = IG_AS_FILE_URI;
		else
			ig_model_bad(ld, name, "'as' is basename or file_uri");
	} else if (strcmp(key, "max_length") == 0 && kind == JV_KIND_NUMBER) {
		f->max_length = jv_number_value(v) >= 0 && jv_number_value(v) < 1e9 ?
		    (long)jv_number_value(v) : 0;
	} else if (strcmp(key, "min") == 0 && kind == JV_KIND_NUMBER) {
		f->has_min = 1;
		f->min = jv_number_value(v);
	} else if (strcmp(key, "max") == 0 && kind == JV_KIND_NUMBER) {
		f->has_max = 1;
		f->max = jv_number_value(v);
	} else if (strcmp(key, "syntax") == 0 && kind == JV_KIND_STRING) {
		f->syntax = parse_syntax(ld, name, jv_string_value(v));
	} else if (strcmp(key, "enum") == 0 && kind == JV_KIND_ARRAY) {
		ig_jv_free(f->enumv);
		f->enumv = jv_copy(v);
	} else if (strcmp(key, "default") == 0) {
		ig_jv_free(f->defval);
		f->defval = jv_copy(v);
	} else if (strcmp(key, "items") == 0 && kind == JV_KIND_OBJECT && !f->items) {
		f->items = ig_malloc(sizeof *f->items);
		load_field(ld, c, f->items, name, jv_copy(v));
	} else if (strcmp(key, "fields") == 0 && kind == JV_KIND_OBJECT && !f->fields) {
		load_fields(ld, c, jv_copy(v), &f->fields, &f->nfields);
	} else if (strcmp(key, "ref") == 0 && kind == JV_KIND_STRING) {
		pending(ld, c, f)->ref = ig_strdup(jv_string_value(v));
	} else if (strcmp(key, "default_from") == 0 && kind == JV_KIND_STRING) {
		pending(ld, c, f)->from = ig_strdup(jv_string_value(v));
	} else if (strcmp(key, "pg_type") == 0 && kind == JV_KIND_STRING && !f->pg_type &&
	    strspn(jv_string_value(v), "ABCDEFGHIJKLMNOPQRSTUVWXYZ ()0123456789") == strlen(jv_string_value(v))) {
		f->pg_type = ig_strdup(jv_string_value(v));
	} else if (strcmp(key, "doc") != 0) {
		ig_model_bad(ld, name, "unknown field attribute");
	}
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
	if (ig_kind(spec) != JV_KIND_OBJECT) {
		ig_model_bad(ld, name, "field spec is not an object");
		ig_jv_free(spec);
		return;
	}
	/* one pass over the spec's keys: every process loads the model */
	jv_object_foreach(spec, k, v) {
		if (!ld->bad)
			field_attr(ld, c, f, name, jv_string_value(k), v, &typed);
		ig_jv_free(k);
		ig_jv_free(v);
	}
	if (!typed)
		ig_model_bad(ld, name, "field has no type");
	ig_jv_free(spec);
}

static void
load_fields(struct loader *ld, struct ig_collection *c, jv spec, struct ig_field **out, int *n)
{
	int i = 0;

	/* n counts the fields loaded, so that a model that fails half way is
	 * freed as it stands */
	*out = ig_malloc((size_t)jv_object_length(jv_copy(spec)) * sizeof **out + 1);
	*n = 0;
	jv_object_foreach(spec, k, v) {
		if (!ld->bad) {
			load_field(ld, c, &(*out)[i++], jv_string_value(k), v);
			*n = i;
		} else {
			ig_jv_free(v);
		}
		ig_jv_free(k);
	}
	ig_jv_free(spec);
}

static void
add_index(struct loader *ld, struct ig_collection *c, jv fields, int unique)
{
	struct ig_index *ix;
	struct ig_buf name = { 0 };
	int n = ig_kind(fields) == JV_KIND_ARRAY ? jv_array_length(jv_copy(fields)) : 0;

	if (n < 1 || n > IG_INDEX_MAX) {
		ig_model_bad(ld, c->name, "an index needs 1 to 4 fields");
		ig_jv_free(fields);
		return;
	}
	ig_buf_printf(&name, "%s:%s", c->name, unique ? "unique:" : "");
	c->indexes = ig_realloc(c->indexes, (size_t)(c->nindexes + 1) * sizeof *c->indexes);
	ix = &c->indexes[c->nindexes];
	memset(ix, 0, sizeof *ix);
	ix->nfields = n;
	ix->unique = unique;
	for (int i = 0; i < n && !ld->bad; i++) {
		jv f = jv_array_get(jv_copy(fields), i);

		if (ig_kind(f) != JV_KIND_STRING ||
		    (ix->fields[i] = ig_field_find(c, jv_string_value(f))) < 0)
			ig_model_bad(ld, c->name, "an index names an unknown field");
		else
			ig_buf_printf(&name, "%s%s", i ? "," : "", jv_string_value(f));
		ig_jv_free(f);
	}
	if (!ld->bad) {
		ix->name = ig_strdup(ig_buf_str(&name));
		c->nindexes++;
	}
	ig_buf_free(&name);
	ig_jv_free(fields);
}

int
ig_model_index_of(const struct ig_collection *c, int nf, const int *fields, int prefix)
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
add_indexes(struct loader *ld, struct ig_collection *c, jv spec, const char *key, int unique)
{
	jv list = ig_get(spec, key);

	if (ig_kind(list) == JV_KIND_ARRAY)
		jv_array_foreach(list, i, fields) {
			if (!ld->bad)
				add_index(ld, c, fields, unique);
			else
				ig_jv_free(fields);
		}
	ig_jv_free(list);
}

/* each collection's fields: the base fields, then its own (specs borrowed) */
static void
load_collections(struct loader *ld, struct ig_model *m, jv base, jv specs)
{
	jv_array_foreach(specs, i, spec) {
		struct ig_collection *c = &m->colls[i];
		jv name = ig_get(spec, "collection"), fields = ig_get(base, "fields");
		jv own = ig_get(spec, "fields");

		c->index = i;
		c->stamps = jv_invalid();
		if (ld->bad) {
			/* nothing */
		} else if (ig_kind(name) != JV_KIND_STRING) {
			ig_model_bad(ld, "model", "a file has no collection name");
		} else if (ig_model_find(m, jv_string_value(name))) {
			ig_model_bad(ld, jv_string_value(name), "two files name the collection");
		} else if (ig_kind(own) != JV_KIND_OBJECT || ig_kind(fields) != JV_KIND_OBJECT) {
			ig_model_bad(ld, jv_string_value(name), "no fields");
		} else {
			c->name = ig_strdup(jv_string_value(name));
			m->ncolls = i + 1;
			/* one object, base fields first, so the array never moves
			 * after pending names point into it */
			jv_object_foreach(own, k, v)
				fields = jv_object_set(fields, k, v);
			load_fields(ld, c, jv_copy(fields), &c->fields, &c->nfields);
		}
		ig_jv_free(own);
		ig_jv_free(fields);
		ig_jv_free(name);
		ig_jv_free(spec);
	}
}

/* refs and default_from, now that every field array is final */
static void
resolve_names(struct loader *ld, struct ig_model *m)
{
	for (int i = 0; i < ld->npend; i++) {
		struct pending *p = &ld->pend[i];
		const struct ig_collection *to = NULL;

		if (ld->bad) {
			/* nothing */
		} else if (p->ref && !(to = ig_model_find(m, p->ref))) {
			ig_model_bad(ld, p->c->name, "ref names an unknown collection");
		} else {
			if (p->ref)
				p->f->ref = to->index;
			if (p->from && (p->f->default_from = ig_field_find(p->c, p->from)) < 0)
				ig_model_bad(ld, p->c->name, "default_from names an unknown field");
		}
		free(p->ref);
		free(p->from);
	}
	free(ld->pend);
	ld->pend = NULL;
}

/* a collection's indexes, its base fields, its transitions and stamps */
static void
load_shape(struct loader *ld, struct ig_collection *c, jv base, jv spec)
{
	jv transitions;

	add_indexes(ld, c, base, "indexes", 0);
	add_indexes(ld, c, spec, "indexes", 0);
	add_indexes(ld, c, spec, "unique", 1);
	/* a foreign key is followed through any index that starts with it */
	for (int f = 0; f < c->nfields && !ld->bad; f++)
		if (c->fields[f].ref >= 0 && ig_model_index_of(c, 1, &f, 1) < 0)
			add_index(ld, c, JV_ARRAY(jv_string(c->fields[f].name)), 0);
	if ((c->f_id = ig_field_find(c, "id")) < 0 ||
	    (c->f_created = ig_field_find(c, "created_at")) < 0 ||
	    (c->f_updated = ig_field_find(c, "updated_at")) < 0 ||
	    (c->f_deleted_at = ig_field_find(c, "deleted_at")) < 0 ||
	    (c->f_is_deleted = ig_field_find(c, "is_deleted")) < 0) {
		ig_model_bad(ld, "base.json", "id, created_at, updated_at, deleted_at and is_deleted are required");
		return;
	}
	c->stamps = ig_get(spec, "stamps");
	/* looked up once here, not by name on every write */
	transitions = ig_get(spec, "transitions");
	for (int f = 0; f < c->nfields; f++) {
		c->fields[f].edges = ig_get(transitions, c->fields[f].name);
		c->fields[f].stamps = ig_get(c->stamps, c->fields[f].name);
	}
	ig_jv_free(transitions);
}

/* collections in an order where each comes after those it refers to */
static void
order_collections(struct loader *ld, struct ig_model *m)
{
	int *placed = ig_malloc((size_t)m->ncolls * sizeof *placed + 1), n = 0;

	memset(placed, 0, (size_t)m->ncolls * sizeof *placed);
	m->order = ig_malloc((size_t)m->ncolls * sizeof *m->order + 1);
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
				m->order[n++] = i;
				progress = 1;
			}
		}
		if (!progress) {
			ig_model_bad(ld, "model", "foreign keys form a cycle");
			break;
		}
	}
	free(placed);
}

static int
load(struct ig_model *m, const char *text, size_t len, char *err, size_t errlen)
{
	struct loader ld = { NULL, 0, err, errlen, 0 };
	char perr[256];
	jv all = ig_json_parse(text, len, perr, sizeof perr);
	jv base = jv_invalid(), specs = jv_array();
	int n;

	if (ig_kind(all) != JV_KIND_ARRAY) {
		ig_model_bad(&ld, "model", ig_valid(all) ? "not an array of collections" : perr);
		ig_jv_free(all);
		ig_jv_free(specs);
		return -1;
	}
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
		ig_model_bad(&ld, "base.json", "missing");
	n = jv_array_length(jv_copy(specs));
	m->colls = ig_malloc((size_t)n * sizeof *m->colls + 1);
	memset(m->colls, 0, (size_t)n * sizeof *m->colls);
	load_collections(&ld, m, base, specs);
	resolve_names(&ld, m);
	jv_array_foreach(specs, i, spec) {
		if (!ld.bad) {
			load_shape(&ld, &m->colls[i], base, spec);
			m->nindexes += m->colls[i].nindexes;
		}
		ig_jv_free(spec);
	}
	jv_array_foreach(specs, i, spec) {
		jv d = ig_get(spec, "derive"), life = ig_get(spec, "lifecycle");

		if (!ld.bad && ig_kind(life) == JV_KIND_OBJECT)
			ig_model_load_lifecycle(&ld, &m->colls[i], life);
		else
			ig_jv_free(life);
		if (!ld.bad && ig_kind(d) == JV_KIND_OBJECT)
			ig_model_load_derive(&ld, m, &m->colls[i], d);
		else
			ig_jv_free(d);
		ig_jv_free(spec);
	}
	/* after every lifecycle: a summary reads its children's */
	jv_array_foreach(specs, i, spec) {
		jv sum = ig_get(spec, "summary");

		if (!ld.bad && ig_kind(sum) == JV_KIND_OBJECT)
			ig_model_load_summary(&ld, m, &m->colls[i], sum);
		else
			ig_jv_free(sum);
		ig_jv_free(spec);
	}
	if (!ld.bad)
		order_collections(&ld, m);
	ig_jv_free(specs);
	ig_jv_free(base);
	return ld.bad ? -1 : 0;
}

struct ig_model *
ig_model_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct ig_model *m = ig_malloc(sizeof *m);

	memset(m, 0, sizeof *m);
	if (load(m, text, len, err, errlen) != 0) {
		ig_model_free(m);
		return NULL;
	}
	return m;
}

static struct ig_model *
embedded(void)
{
	char err[512];
	struct ig_model *m = ig_model_parse(ig_model_json, strlen(ig_model_json), err, sizeof err);

	if (!m)
		ig_die(IG_EXIT_SYSTEM, "db/model: %s", err);
	return m;
}

const struct ig_model *
ig_model(void)
{
	static struct ig_model *model;

	if (!model)
		model = embedded();
	return model;
}

struct ig_model *
ig_model_new(void)
{
	return embedded();
}

static void
free_field(struct ig_field *f)
{
	free(f->name);
	free(f->pg_type);
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
			free((char *)c->life->remote);
			free(c->life);
		}
		free(c->summary);
	}
	free(m->colls);
	free(m->order);
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
	memcpy(order, m->order, (size_t)m->ncolls * sizeof *order);
}
