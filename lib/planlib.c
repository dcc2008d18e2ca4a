/* planlib.c - what the planner knows: the theme library, from the input and the store */
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

const char *const plan_library_colls[] = { "themes", "theme_variations", "style_presets", "theme_elements" };

/* a string field, or "" */
const char *
plan_str(jv rec, const char *key)
{
	const char *s = ig_str(rec, key);

	return s ? s : "";
}

static jv
key2(const char *a, const char *b)
{
	return jv_string_fmt("%s/%s", a, b);
}

int
ig_planner_is_library(jv obj)
{
	jv c = ig_get(obj, "collection");
	int r = 0;

	if (jv_get_kind(c) == JV_KIND_STRING)
		for (int i = 0; i < L_N; i++)
			r |= strcmp(jv_string_value(c), plan_library_colls[i]) == 0;
	jv_free(c);
	return r;
}

/* a library record's key in p->lib: the values of its unique key in the
 * model, joined by "/" (a variation's theme_id/name, an element's
 * category/name, a theme's or preset's name), as the plan names them */
static jv
library_key(int l, jv rec)
{
	const struct ig_collection *c = ig_model_find(ig_model(), plan_library_colls[l]);
	struct ig_buf b = { 0 };
	jv key;

	for (int i = 0; i < c->nindexes; i++) {
		const struct ig_index *ix = &c->indexes[i];

		if (!ix->unique)
			continue;
		for (int k = 0; k < ix->nfields; k++) {
			if (k)
				ig_buf_addc(&b, '/');
			ig_buf_adds(&b, plan_str(rec, c->fields[ix->fields[k]].name));
		}
		break;
	}
	key = jv_string_sized(b.len ? b.p : "", (int)b.len);
	ig_buf_free(&b);
	return key;
}

void
ig_planner_library(struct ig_planner *p, jv rec)
{
	const char *c = plan_str(rec, "collection");
	int l;

	for (l = 0; l < L_N; l++)
		if (strcmp(c, plan_library_colls[l]) == 0)
			break;
	if (l == L_N) {
		jv_free(rec);
		return;
	}
	/* the input's record wins over the store's */
	p->lib[l] = jv_object_set(p->lib[l], library_key(l, rec), rec);
}

/* The store's part of the library, read once, into the maps the input fills:
 * a library is small, and a plan looks names up for every combination. */
void
plan_load_store_library(struct ig_planner *p)
{
	struct ig_store *s = p->store;
	MDB_txn *txn;

	int rc;

	if (p->loaded || !s || !s->opened)
		return;
	if ((rc = ig_store_begin(s, 1, &txn)))
		ig_die(IG_EXIT_SYSTEM, "store %s: %s", s->path, mdb_strerror(rc));
	p->loaded = 1;
	for (int l = 0; l < L_N; l++) {
		const struct ig_collection *c = ig_model_find(s->m, plan_library_colls[l]);
		MDB_cursor *cur;
		MDB_val k, v;

		if ((rc = mdb_cursor_open(txn, s->colls[c->index], &cur)))
			ig_die(IG_EXIT_SYSTEM, "store %s: %s", s->path, mdb_strerror(rc));
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
		    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			jv rec, key;

			if (ig_stored_deleted(&v))
				continue;
			rec = ig_json_parse(v.mv_data, v.mv_size, NULL, 0);
			key = library_key(l, rec);
			if (jv_object_has(jv_copy(p->lib[l]), jv_copy(key))) {
				jv_free(key);
				jv_free(rec);
			} else {
				p->lib[l] = jv_object_set(p->lib[l], key, rec);
			}
		}
		mdb_cursor_close(cur);
		if (rc != MDB_NOTFOUND)
			ig_die(IG_EXIT_SYSTEM, "store %s: %s", s->path, mdb_strerror(rc));
	}
	mdb_txn_abort(txn);
}

/* "a, b, c": the names that exist, for an error message */
void
plan_known(struct ig_planner *p, int l, const char *theme_id, char *out, size_t n)
{
	struct ig_buf b = { 0 };
	jv names = jv_array();

	jv_object_foreach(p->lib[l], k, rec) {
		if (!theme_id || strcmp(plan_str(rec, "theme_id"), theme_id) == 0)
			names = jv_array_append(names, l == L_ELEMENTS ? jv_copy(k) : jv_string(plan_str(rec, "name")));
		jv_free(k);
		jv_free(rec);
	}
	names = jv_sort(names, jv_copy(names));
	jv_array_foreach(names, i, name) {
		int repeat = i && jv_equal(jv_array_get(jv_copy(names), i - 1), jv_copy(name));

		if (!repeat)
			ig_buf_printf(&b, "%s%s", b.len ? ", " : "", jv_string_value(name));
		jv_free(name);
	}
	snprintf(out, n, "%s", b.len ? ig_buf_str(&b) : "none");
	ig_buf_free(&b);
	jv_free(names);
}

jv
plan_find_theme(struct ig_planner *p, const char *name)
{
	return jv_object_get(jv_copy(p->lib[L_THEMES]), jv_string(name));
}

jv
plan_find_variation(struct ig_planner *p, const char *theme_id, const char *name)
{
	return jv_object_get(jv_copy(p->lib[L_VARIATIONS]), key2(theme_id, name));
}

jv
plan_find_preset(struct ig_planner *p, const char *name)
{
	return jv_object_get(jv_copy(p->lib[L_PRESETS]), jv_string(name));
}

/* "category/name", or a name that only one category has */
jv
plan_find_element(struct ig_planner *p, const char *spec, int *ambiguous)
{
	jv found = jv_invalid();

	*ambiguous = 0;
	if (strchr(spec, '/'))
		return jv_object_get(jv_copy(p->lib[L_ELEMENTS]), jv_string(spec));
	jv_object_foreach(p->lib[L_ELEMENTS], k, rec) {
		if (strcmp(plan_str(rec, "name"), spec) == 0) {
			if (jv_is_valid(found))
				*ambiguous = 1;
			jv_free(found);
			found = jv_copy(rec);
		}
		jv_free(k);
		jv_free(rec);
	}
	if (*ambiguous) {
		jv_free(found);
		return jv_invalid();
	}
	return found;
}

/* compatibility: a list of theme names; an empty list, or none, fits all */
int
plan_compatible(jv rec, const char *theme)
{
	jv c = ig_get(rec, "compatibility");
	int ok = jv_get_kind(c) != JV_KIND_ARRAY || jv_array_length(jv_copy(c)) == 0;

	if (!ok)
		jv_array_foreach(c, i, t) {
			ok |= jv_get_kind(t) == JV_KIND_STRING &&
			    (strcmp(jv_string_value(t), theme) == 0 || strcmp(jv_string_value(t), "*") == 0);
			jv_free(t);
		}
	jv_free(c);
	return ok;
}

/* The stored record, as the store has it (caller frees), or NULL: a re-run
 * prints what happened, not what was planned. A read transaction of its
 * own, short, so a writer down the pipe is never held back; a store that
 * fails to answer stops the run. */
char *
plan_stored_record(struct ig_planner *p, const char *coll, const uint8_t id[16], size_t *len)
{
	struct ig_store *s = p->store;
	const struct ig_collection *c;
	char *copy = NULL;
	MDB_txn *txn;
	MDB_val val;
	int rc;

	if (!s || !s->opened || !(c = ig_model_find(s->m, coll)))
		return NULL;
	if ((rc = ig_store_begin(s, 1, &txn)))
		ig_die(IG_EXIT_SYSTEM, "store %s: %s", s->path, mdb_strerror(rc));
	rc = ig_store_get(s, txn, c->index, id, &val);
	if (rc == 0) {
		copy = ig_malloc(val.mv_size + 1);
		memcpy(copy, val.mv_data, val.mv_size);
		copy[val.mv_size] = '\0';
		*len = val.mv_size;
	}
	mdb_txn_abort(txn);
	if (rc && rc != MDB_NOTFOUND)
		ig_die(IG_EXIT_SYSTEM, "store %s: %s", s->path, mdb_strerror(rc));
	return copy;
}
