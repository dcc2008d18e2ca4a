/* story.c - an image's whole story from the store (story.h) */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "record.h"
#include "story.h"
#include "uuid.h"

/* the record of collection name whose id is the string v, or invalid */
static int
by_id(struct ig_store *s, MDB_txn *txn, const char *name, jv v, jv *out)
{
	const struct ig_collection *c = ig_model_find(s->m, name);
	char err[256];
	uint8_t id[16];
	MDB_val val;
	int rc;

	*out = jv_invalid();
	if (!c || ig_kind(v) != JV_KIND_STRING || ig_uuid_parse(jv_string_value(v), id) != 0)
		return 0;
	if ((rc = ig_store_get(s, txn, c->index, id, &val)) == MDB_NOTFOUND)
		return 0;
	if (!rc)
		*out = ig_json_parse(val.mv_data, val.mv_size, err, sizeof err);
	return rc;
}

static int
append_parsed(const MDB_val *val, void *ctx)
{
	char err[256];
	jv *out = ctx;

	*out = jv_array_append(*out, ig_json_parse(val->mv_data, val->mv_size, err, sizeof err));
	return 0;
}

/* the records of collection name whose field is the string v, as an array */
static int
by_field(struct ig_store *s, MDB_txn *txn, const char *name, const char *field, jv v, jv *out)
{
	const struct ig_collection *c = ig_model_find(s->m, name);
	int f;

	*out = jv_array();
	if (!c || (f = ig_field_find(c, field)) < 0 || ig_kind(v) != JV_KIND_STRING)
		return 0;
	return ig_record_each_at(s, txn, c, f, jv_string_value(v), append_parsed, out);
}

/* story[key] = v, unless v is nothing or key is there already */
static jv
put(jv story, const char *key, jv v)
{
	jv had = ig_get(story, key);
	int empty = ig_kind(v) == JV_KIND_INVALID || (ig_kind(v) == JV_KIND_ARRAY && jv_array_length(jv_copy(v)) == 0);

	if (empty || ig_kind(had) != JV_KIND_INVALID) {
		ig_jv_free(had);
		ig_jv_free(v);
		return story;
	}
	return jv_object_set(story, jv_string(key), v);
}

/* the records rec (of c) refers to, by the model's references, and theirs
 * in turn: each collection once, under its name */
static int
parents(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c, jv rec, jv *story, jv *direct)
{
	int rc = 0;

	for (int f = 0; f < c->nfields && !rc; f++) {
		const struct ig_collection *pc;
		jv v, parent;

		if (c->fields[f].ref < 0 || c->fields[f].ref == c->index)
			continue;
		pc = &s->m->colls[c->fields[f].ref];
		v = ig_get(rec, c->fields[f].name);
		if (!(rc = by_id(s, txn, pc->name, v, &parent)) && jv_is_valid(parent)) {
			jv had = ig_get(*story, pc->name);

			if (!jv_is_valid(had)) {
				*story = put(*story, pc->name, jv_copy(parent));
				if (direct)
					*direct = jv_array_append(*direct, jv_number(pc->index));
				rc = parents(s, txn, pc, parent, story, NULL);
			}
			ig_jv_free(had);
		}
		ig_jv_free(parent);
		ig_jv_free(v);
	}
	return rc;
}

/* the records that refer to rec (of c), through each referring field's
 * index, under their collection's name: c's own kind left out */
static int
children(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c, jv rec, jv *story)
{
	jv id = ig_get(rec, "id");
	int rc = 0;

	for (int ci = 0; ci < s->m->ncolls && !rc; ci++)
		for (int f = 0; f < s->m->colls[ci].nfields && !rc; f++) {
			const struct ig_collection *cc = &s->m->colls[ci];
			jv v;

			if (cc->fields[f].ref != c->index || cc->index == c->index)
				continue;
			if (!(rc = by_field(s, txn, cc->name, cc->fields[f].name, id, &v)))
				*story = put(*story, cc->name, v);
			else
				ig_jv_free(v);
		}
	ig_jv_free(id);
	return rc;
}

int
ig_story(struct ig_store *s, MDB_txn *txn, jv image, jv *story)
{
	const struct ig_collection *c = s ? ig_model_find(s->m, "images") : NULL;
	jv direct = jv_array();
	int rc = 0;

	*story = JV_OBJECT(jv_string("image"), jv_copy(image));
	if (c && txn && !(rc = parents(s, txn, c, image, story, &direct)) && !(rc = children(s, txn, c, image, story)))
		/* and the children of what the image refers to itself: its job's
		 * metadata and tasks, not its batch's every job */
		jv_array_foreach(direct, i, pi) {
			const struct ig_collection *pc = &s->m->colls[(int)jv_number_value(pi)];
			jv parent = ig_get(*story, pc->name);

			if (!rc)
				rc = children(s, txn, pc, parent, story);
			ig_jv_free(parent);
			jv_free(pi);
		}
	jv_free(direct);
	ig_jv_free(image);
	return rc;
}

/* v as label text: a string as it is, a number, an array joined */
static jv
text_of(jv v)
{
	char num[64];

	switch (ig_kind(v)) {
	case JV_KIND_STRING:
		if (jv_string_length_bytes(jv_copy(v)) == 0)
			break;
		return v;
	case JV_KIND_NUMBER:
		snprintf(num, sizeof num, "%.17g", jv_number_value(v));
		jv_free(v);
		return jv_string(num);
	case JV_KIND_TRUE:
		return jv_string("true");
	case JV_KIND_FALSE:
		return jv_string("false");
	case JV_KIND_ARRAY: {
		struct ig_buf b = { 0 };
		jv out;

		jv_array_foreach(v, i, el) {
			jv t = text_of(el);

			if (ig_kind(t) == JV_KIND_STRING)
				ig_buf_printf(&b, "%s%s", b.len ? ", " : "", jv_string_value(t));
			ig_jv_free(t);
		}
		jv_free(v);
		out = b.len ? jv_string(ig_buf_str(&b)) : jv_invalid();
		ig_buf_free(&b);
		return out;
	}
	default:
		break;
	}
	ig_jv_free(v);
	return jv_invalid();
}

jv
ig_story_field(jv story, const char *name)
{
	jv image = ig_get(story, "image"), gen = ig_get(story, "generations"), params = ig_get(gen, "params");
	jv meta = ig_get(story, "metadata"), first = ig_kind(meta) == JV_KIND_ARRAY ? jv_array_get(jv_copy(meta), 0) :
	    jv_invalid(), out = jv_invalid();

	if (strcmp(name, "size") == 0) {
		jv w = ig_get(image, "width"), h = ig_get(image, "height");
		char size[64];

		if (ig_kind(w) == JV_KIND_NUMBER && ig_kind(h) == JV_KIND_NUMBER) {
			snprintf(size, sizeof size, "%.0fx%.0f", jv_number_value(w), jv_number_value(h));
			out = jv_string(size);
		}
		ig_jv_free(w);
		ig_jv_free(h);
	} else {
		const jv from[] = { image, params, first, gen };

		for (size_t i = 0; i < sizeof from / sizeof *from && ig_kind(out) == JV_KIND_INVALID; i++)
			out = text_of(ig_get(from[i], name));
	}
	ig_jv_free(image);
	ig_jv_free(gen);
	ig_jv_free(params);
	ig_jv_free(meta);
	ig_jv_free(first);
	return out;
}
