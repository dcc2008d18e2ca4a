/* record.c - the rules of the model applied to one record at a time */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changes.h"
#include "clock.h"
#include "err.h"
#include "json.h"
#include "path.h"
#include "record.h"
#include "uuid.h"

static int
same(jv a, jv b)
{
	return jv_equal(jv_copy(a), jv_copy(b));
}

/* Time-ordered keys mostly arrive in order: appending then fills pages
 * instead of splitting them in half. LMDB refuses an append that is out of
 * order (MDB_KEYEXIST), and then the ordinary put does it. */
static int
ig_put_ordered(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *d, int dup)
{
	int rc = mdb_put(txn, dbi, k, d, dup ? MDB_APPENDDUP : MDB_APPEND);

	if (rc == MDB_KEYEXIST)
		rc = mdb_put(txn, dbi, k, d, dup ? MDB_NODUPDATA : 0);
	return rc;
}

/* uuids in lowercase, timestamps in UTC with microseconds: one spelling per
 * value keeps keys and comparisons exact */
static void
normalize(const struct ig_collection *c, jv *row)
{
	for (int i = 0; i < c->nfields; i++) {
		const struct ig_field *f = &c->fields[i];
		char text[IG_UUID_TEXT > IG_TIME_TEXT ? IG_UUID_TEXT : IG_TIME_TEXT];
		const char *s;
		uint8_t u[16];
		int64_t t;

		if (f->absolute && ig_kind(row[i]) == JV_KIND_STRING) {
			char *abs;

			s = jv_string_value(row[i]);
			if (*s && ig_path_absolute(s, &abs) == 0) {
				if (strcmp(abs, s) != 0) {
					ig_jv_free(row[i]);
					row[i] = jv_string(abs);
				}
				free(abs);
			}
			continue;
		}
		if ((f->type != IG_T_UUID && f->type != IG_T_TIMESTAMP) ||
		    ig_kind(row[i]) != JV_KIND_STRING)
			continue;
		s = jv_string_value(row[i]);
		if (f->type == IG_T_UUID) {
			if (strpbrk(s, "ABCDEF") == NULL || ig_uuid_parse(s, u) != 0)
				continue;
			ig_uuid_format(u, text);
		} else {
			/* the canonical shape needs no rewriting */
			if ((strlen(s) == 27 && s[10] == 'T' && s[19] == '.' && s[26] == 'Z') ||
			    ig_time_parse(s, &t) != 0)
				continue;
			ig_time_format(t, text);
		}
		ig_jv_free(row[i]);
		row[i] = jv_string(text);
	}
}

static int
index_put(struct ig_store *s, MDB_txn *txn, int c, int i, const jv *old, const jv *row,
    const uint8_t id[16])
{
	const struct ig_collection *col = &s->m->colls[c];
	const struct ig_index *ix = &col->indexes[i];
	uint8_t okey[IG_KEY_MAX], nkey[IG_KEY_MAX];
	size_t olen = 0, nlen = 0;
	int ohas, nhas, rc;
	MDB_val k, d = { 16, (void *)id };

	ohas = old && ig_index_key(col, ix, old, okey, &olen) == 0;
	nhas = ig_index_key(col, ix, row, nkey, &nlen) == 0;
	if (ohas && nhas && olen == nlen && memcmp(okey, nkey, olen) == 0)
		return 0;
	if (ohas) {
		k.mv_size = olen;
		k.mv_data = okey;
		rc = mdb_del(txn, s->indexes[c][i], &k, ix->unique ? NULL : &d);
		if (rc && rc != MDB_NOTFOUND)
			return rc;
	}
	if (nhas) {
		k.mv_size = nlen;
		k.mv_data = nkey;
		rc = ig_put_ordered(txn, s->indexes[c][i], &k, &d, !ix->unique);
		if (rc && rc != MDB_KEYEXIST)
			return rc;
	}
	return 0;
}

/* the stored row of a record; MDB_NOTFOUND if there is none */
int
ig_record_load(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c,
    const uint8_t id[16], jv **row)
{
	char err[256];
	struct ig_members m = { 0 };
	MDB_val val;
	int rc;

	*row = NULL;
	if ((rc = ig_store_get(s, txn, c->index, id, &val)))
		return rc;
	/* no NUL follows a stored value, but it ends in "}", which ends any number */
	if (ig_json_parse_members(val.mv_data, val.mv_size, &m, err, sizeof err) != 0) {
		ig_members_free(&m);
		return MDB_CORRUPTED;
	}
	*row = ig_row_new(c);
	rc = ig_row_take(c, *row, &m, err, sizeof err);
	ig_members_free(&m);
	if (rc) {
		ig_row_free(c, *row);
		*row = NULL;
		return MDB_CORRUPTED;
	}
	return 0;
}

/* ig_index_key, with the reason when the key is too long */
static int
row_key(const struct ig_collection *c, const struct ig_index *ix, const jv *row,
    uint8_t key[IG_KEY_MAX], size_t *len, char *err, size_t errlen)
{
	int rc = ig_index_key(c, ix, row, key, len);

	if (rc < 0)
		snprintf(err, errlen, "the key of index %s is longer than %d bytes", ix->name, IG_KEY_MAX);
	return rc;
}

static int
check_keys(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c, const jv *row,
    const uint8_t id[16], char *err, size_t errlen)
{
	int rc;

	for (int i = 0; i < c->nfields; i++) {
		const struct ig_field *f = &c->fields[i];
		uint8_t ref[16];
		MDB_val val;

		if (f->ref < 0 || ig_kind(row[i]) != JV_KIND_STRING ||
		    ig_uuid_parse(jv_string_value(row[i]), ref) != 0)
			continue;
		rc = ig_store_get(s, txn, f->ref, ref, &val);
		if (rc == MDB_NOTFOUND) {
			snprintf(err, errlen, "'%s' refers to no %s record %s",
			    f->name, s->m->colls[f->ref].name, jv_string_value(row[i]));
			return IG_REJECT;
		}
		if (rc)
			return rc;
	}
	for (int i = 0; i < c->nindexes; i++) {
		const struct ig_index *ix = &c->indexes[i];
		uint8_t key[IG_KEY_MAX];
		size_t len;
		MDB_val k, d;
		int kr;

		if ((kr = row_key(c, ix, row, key, &len, err, errlen)) < 0)
			return IG_REJECT;
		if (kr > 0 || !ix->unique)
			continue;
		k.mv_size = len;
		k.mv_data = key;
		rc = mdb_get(txn, s->indexes[c->index][i], &k, &d);
		if (rc == 0 && (d.mv_size != 16 || memcmp(d.mv_data, id, 16) != 0)) {
			char other[IG_UUID_TEXT];
			struct ig_buf names = { 0 };

			ig_uuid_format(d.mv_data, other);
			for (int j = 0; j < ix->nfields; j++) {
				ig_buf_printf(&names, "%s%s=", j ? ", " : "", c->fields[ix->fields[j]].name);
				ig_json_write(&names, row[ix->fields[j]]);
			}
			snprintf(err, errlen, "%s with %s exists already (id %s)", c->name,
			    ig_buf_str(&names), other);
			ig_buf_free(&names);
			return IG_REJECT;
		}
		if (rc && rc != MDB_NOTFOUND)
			return rc;
	}
	return 0;
}

static void
set(jv *row, int f, jv v)
{
	ig_jv_free(row[f]);
	row[f] = v;
}

/* The row a line makes: its values over the stored ones (old), or over the
 * model's defaults when the record is new; then the rules that tie fields
 * together. Takes given's values where the record is new. */
static jv *
build_row(const struct ig_collection *c, jv *given, const jv *old, const struct ig_now *now)
{
	const int F_DELETED_AT = c->f_deleted_at, F_IS_DELETED = c->f_is_deleted;
	jv *row = ig_row_new(c);

	if (old) {
		for (int i = 0; i < c->nfields; i++)
			row[i] = jv_copy(ig_valid(given[i]) ? given[i] : old[i]);
		/* when a record was made is history: no update rewrites it */
		set(row, c->f_created, jv_copy(old[c->f_created]));
		normalize(c, row);
	} else {
		/* the given values become the row; what the rules below ask of
		 * given stays there */
		for (int i = 0; i < c->nfields; i++) {
			row[i] = given[i];
			given[i] = jv_invalid();
		}
		given[c->f_updated] = jv_copy(row[c->f_updated]);
		given[F_DELETED_AT] = jv_copy(row[F_DELETED_AT]);
		given[F_IS_DELETED] = jv_copy(row[F_IS_DELETED]);
		/* before the defaults, which may be made from a normalized value */
		normalize(c, row);
		ig_model_defaults(c, row);
		if (!ig_valid(row[c->f_created]))
			set(row, c->f_created, jv_string(now->text));
	}

	/* soft delete: is_deleted and deleted_at say the same thing */
	if (ig_kind(given[F_IS_DELETED]) == JV_KIND_TRUE) {
		if (ig_kind(row[F_DELETED_AT]) != JV_KIND_STRING)
			set(row, F_DELETED_AT, jv_string(now->text));
	} else if (ig_kind(given[F_IS_DELETED]) == JV_KIND_FALSE) {
		set(row, F_DELETED_AT, jv_null());
	} else if (ig_valid(given[F_DELETED_AT])) {
		set(row, F_IS_DELETED, ig_kind(row[F_DELETED_AT]) == JV_KIND_NULL ?
		    jv_false() : jv_true());
	}

	/* entering a state may stamp a time, once */
	if (ig_valid(c->stamps))
		for (int f = 0; f < c->nfields; f++) {
			int sf;

			if ((!old || !same(row[f], old[f])) &&
			    (sf = ig_model_stamp(c, f, row[f])) >= 0 &&
			    ig_kind(row[sf]) != JV_KIND_STRING)
				set(row, sf, jv_string(now->text));
		}
	return row;
}

/* a changed row: stamped, then checked against the model and its transitions */
static int
check_change(const struct ig_collection *c, const jv *given, jv *row, const jv *old,
    const struct ig_now *now, char *err, size_t errlen)
{
	if (!ig_valid(given[c->f_updated]))
		set(row, c->f_updated, jv_string(now->text));
	if (ig_model_check(c, row, old, now->us, err, errlen))
		return IG_REJECT;
	for (int f = 0; old && f < c->nfields; f++)
		if (!ig_model_transition_ok(c, f, old[f], row[f])) {
			struct ig_buf m = { 0 };

			ig_buf_printf(&m, "'%s' cannot change from ", c->fields[f].name);
			ig_json_write(&m, old[f]);
			ig_buf_adds(&m, " to ");
			ig_json_write(&m, row[f]);
			snprintf(err, errlen, "%s", ig_buf_str(&m));
			ig_buf_free(&m);
			return IG_REJECT;
		}
	return 0;
}

/* the line's id, or a new one; IG_REJECT if it is not a UUID */
static int
take_id(const struct ig_collection *c, jv *given, uint8_t id[16], char *err, size_t errlen)
{
	char idtext[IG_UUID_TEXT];

	if (ig_valid(given[c->f_id])) {
		if (ig_kind(given[c->f_id]) != JV_KIND_STRING ||
		    ig_uuid_parse(jv_string_value(given[c->f_id]), id) != 0) {
			snprintf(err, errlen, "'id' must be a UUID");
			return IG_REJECT;
		}
	} else {
		ig_uuid_v7(id);
	}
	ig_uuid_format(id, idtext);
	set(given, c->f_id, jv_string(idtext));
	return 0;
}

/* A line that says when it was last changed is that version of the record:
 * older than the stored one, it is out of date (a copy read before another
 * process changed the record) and loses. Timestamps compare as text once
 * normalized. */
static int
stale(const struct ig_collection *c, const jv *given, const jv *row, const jv *old)
{
	jv mine = row[c->f_updated], theirs = old[c->f_updated];

	return ig_valid(given[c->f_updated]) && ig_kind(mine) == JV_KIND_STRING &&
	    ig_kind(theirs) == JV_KIND_STRING &&
	    strcmp(jv_string_value(mine), jv_string_value(theirs)) < 0;
}

int
ig_record_put(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c,
    struct ig_members *in, const struct ig_now *now, struct ig_buf *out, char *err,
    size_t errlen)
{
	uint8_t id[16];
	jv *given = ig_row_new(c), *old = NULL, *row = NULL;
	MDB_val key = { 16, id }, val;
	int rc;

	if (ig_row_take(c, given, in, err, errlen)) {
		rc = IG_REJECT;
		goto done;
	}
	if ((rc = take_id(c, given, id, err, errlen)))
		goto done;
	rc = ig_record_load(s, txn, c, id, &old);
	if (rc && rc != MDB_NOTFOUND)
		goto done;
	row = build_row(c, given, old, now);
	if (old && stale(c, given, row, old)) {
		/* an older version of the record than the store's: it changes nothing */
		ig_model_write(out, c, old);
		rc = 0;
		goto done;
	}
	if (old && ig_row_equal(c, row, old)) {
		/* nothing changed: keep updated_at, write nothing */
		ig_model_write(out, c, old);
		rc = 0;
		goto done;
	}
	if ((rc = check_change(c, given, row, old, now, err, errlen)) ||
	    (rc = check_keys(s, txn, c, row, id, err, errlen)))
		goto done;

	ig_model_write(out, c, row);
	val.mv_size = out->len;
	val.mv_data = out->p;
	if ((rc = old ? mdb_put(txn, s->colls[c->index], &key, &val, 0) :
	    ig_put_ordered(txn, s->colls[c->index], &key, &val, 0)) ||
	    (rc = ig_changes_note(s, txn, c->index, id, IG_CHANGE_PUT)))
		goto done;
	for (int i = 0; i < c->nindexes; i++)
		if ((rc = index_put(s, txn, c->index, i, old, row, id)))
			goto done;

	rc = ig_derive_after_put(s, txn, c, id, old, row, now, err, errlen);
done:
	ig_row_free(c, row);
	ig_row_free(c, old);
	ig_row_free(c, given);
	return rc;
}

/* the collection a line names; IG_REJECT with the reason if none */
static const struct ig_collection *
line_collection(const struct ig_model *m, const struct ig_members *in, char *err, size_t errlen)
{
	jv name = ig_member_get(in, "collection");
	const struct ig_collection *c = NULL;
	struct ig_buf names = { 0 };

	if (ig_kind(name) == JV_KIND_STRING &&
	    (c = ig_model_find(m, jv_string_value(name))))
		return c;
	for (int i = 0; i < m->ncolls; i++)
		ig_buf_printf(&names, "%s%s", i ? ", " : "", m->colls[i].name);
	if (ig_kind(name) == JV_KIND_STRING)
		snprintf(err, errlen, "unknown collection \"%.64s\" (known: %s)",
		    jv_string_value(name), ig_buf_str(&names));
	else
		snprintf(err, errlen, "'collection' must be a string (one of %s)",
		    ig_buf_str(&names));
	ig_buf_free(&names);
	return NULL;
}

/*
 * A prepared item: what the store needs of a line, laid out by a thread that
 * has no store. The head, then nrefs references, then one key per index of
 * the collection (length IG_NO_KEY where the row has none), then the record's
 * JSON or the reason of a rejection.
 */
enum item_kind { ITEM_BLANK, ITEM_PASS, ITEM_REJECT, ITEM_NEW };
struct item_head {
	uint8_t kind;
	uint8_t given;		/* the line named its id: it may be stored already */
	uint8_t derives;	/* a parent's derived field follows it: the rule book writes it */
	uint16_t coll, nrefs, nkeys;
	uint32_t id_at;		/* where the id's text starts in the JSON */
	uint8_t id[16];
};
struct item_ref {
	uint16_t coll;
	uint8_t id[16];
};
#define IG_NO_KEY 0xffff

static void
item_reject(struct ig_buf *item, const struct item_head *h, const char *why)
{
	struct item_head r = *h;

	r.kind = ITEM_REJECT;
	r.nrefs = r.nkeys = 0;
	ig_buf_add(item, &r, sizeof r);
	ig_buf_adds(item, why);
}

void
ig_record_prepare(const struct ig_model *m, const char *line, size_t len,
    const struct ig_now *now, struct ig_members *scratch, struct ig_buf *item)
{
	struct item_head h = { 0 };
	const struct ig_collection *c;
	char err[1024];
	jv *given = NULL, *row = NULL;
	size_t head_at = item->len;
	int rc;

	if (strspn(line, " \t\r") == len) {
		/* blank lines carry nothing */
		h.kind = ITEM_BLANK;
		ig_buf_add(item, &h, sizeof h);
		return;
	}
	rc = ig_json_parse_members(line, len, scratch, err, sizeof err);
	if (rc != 0) {
		item_reject(item, &h, rc > 0 ? "not a JSON object" : err);
		return;
	}
	if (!ig_valid(ig_member_get(scratch, "collection"))) {
		/* not a record: passed on untouched */
		h.kind = ITEM_PASS;
		ig_buf_add(item, &h, sizeof h);
		return;
	}
	if (!(c = line_collection(m, scratch, err, sizeof err))) {
		item_reject(item, &h, err);
		return;
	}
	h.coll = (uint16_t)c->index;
	{
		/* a line naming a stored record updates it: whether this line
		 * does, only the store can tell, so rejections say the id too */
		jv idv = ig_member_get(scratch, "id");

		h.given = ig_kind(idv) == JV_KIND_STRING &&
		    ig_uuid_parse(jv_string_value(idv), h.id) == 0;
	}
	given = ig_row_new(c);
	if (ig_row_take(c, given, scratch, err, sizeof err) ||
	    (ig_valid(given[c->f_id]) && take_id(c, given, h.id, err, sizeof err))) {
		item_reject(item, &h, err);
		goto done;
	}
	if (!h.given)
		/* a stand-in: the store names new records, in input order */
		set(given, c->f_id, jv_string("00000000-0000-0000-0000-000000000000"));
	row = build_row(c, given, NULL, now);
	if (check_change(c, given, row, NULL, now, err, sizeof err)) {
		item_reject(item, &h, err);
		goto done;
	}
	h.kind = ITEM_NEW;
	h.derives = (uint8_t)ig_derives_on(m, c, row);
	h.nkeys = (uint16_t)c->nindexes;
	ig_buf_add(item, &h, sizeof h);
	for (int i = 0; i < c->nfields; i++) {
		struct item_ref r;

		if (c->fields[i].ref < 0 || ig_kind(row[i]) != JV_KIND_STRING ||
		    ig_uuid_parse(jv_string_value(row[i]), r.id) != 0)
			continue;
		r.coll = (uint16_t)c->fields[i].ref;
		ig_buf_add(item, &r, sizeof r);
		h.nrefs++;
	}
	for (int i = 0; i < c->nindexes; i++) {
		uint8_t key[IG_KEY_MAX];
		size_t klen;
		uint16_t n;

		if ((rc = row_key(c, &c->indexes[i], row, key, &klen, err, sizeof err)) < 0) {
			item->len = head_at;
			item_reject(item, &h, err);
			goto done;
		}
		n = rc > 0 ? IG_NO_KEY : (uint16_t)klen;
		ig_buf_add(item, &n, sizeof n);
		if (rc == 0)
			ig_buf_add(item, key, klen);
	}
	h.id_at = (uint32_t)ig_model_write(item, c, row) + 1;	/* past the quote */
	memcpy(item->p + head_at, &h, sizeof h);
done:
	ig_row_free(c, row);
	ig_row_free(c, given);
}

/* a prepared item's parts */
struct item {
	struct item_head h;
	const struct item_ref *refs;	/* unaligned: read with memcpy */
	const uint8_t *keys;
	const char *body;		/* the JSON, or the reason */
	size_t bodylen;
};

/* the index key at p into key (mv_data NULL if the row has none); returns
 * where the next one starts */
static const uint8_t *
item_key(const uint8_t *p, MDB_val *key)
{
	uint16_t klen;

	memcpy(&klen, p, sizeof klen);
	p += sizeof klen;
	key->mv_size = klen == IG_NO_KEY ? 0 : klen;
	key->mv_data = klen == IG_NO_KEY ? NULL : (void *)p;
	return p + key->mv_size;
}

static void
item_read(const char *p, size_t n, struct item *it)
{
	const uint8_t *q;
	MDB_val key;

	memcpy(&it->h, p, sizeof it->h);
	it->refs = (const struct item_ref *)(p + sizeof it->h);
	it->keys = (const uint8_t *)(it->refs + it->h.nrefs);
	q = it->keys;
	for (int i = 0; i < it->h.nkeys; i++)
		q = item_key(q, &key);
	it->body = (const char *)q;
	it->bodylen = n - (size_t)(it->body - p);
}

/* the whole rule book on one line, in the write transaction */
static int
apply_line(struct ig_store *s, MDB_txn *txn, const char *line, size_t len,
    const struct ig_now *now, struct ig_members *scratch, struct ig_buf *result,
    enum ig_applied *outcome)
{
	char err[1024];
	const struct ig_collection *c;
	int rc;

	/* prepared once already: this parse cannot fail */
	if (ig_json_parse_members(line, len, scratch, err, sizeof err) != 0 ||
	    !(c = line_collection(s->m, scratch, err, sizeof err)))
		return MDB_CORRUPTED;
	rc = ig_record_put(s, txn, c, scratch, now, result, err, sizeof err);
	ig_members_clear(scratch);
	*outcome = IG_STORED;
	if (rc == IG_REJECT) {
		*outcome = IG_REJECTED;
		result->len = 0;
		ig_buf_adds(result, err);
		rc = 0;
	}
	return rc;
}

int
ig_record_apply(struct ig_store *s, MDB_txn *txn, const char *prepared, size_t plen,
    const char *line, size_t len, const struct ig_now *now, struct ig_members *scratch,
    struct ig_buf *result, enum ig_applied *outcome)
{
	struct item it;
	MDB_val key, val;
	const uint8_t *kp;
	int rc;

	result->len = 0;
	item_read(prepared, plen, &it);
	key.mv_size = 16;
	key.mv_data = it.h.id;
	if (it.h.kind == ITEM_BLANK || it.h.kind == ITEM_PASS) {
		*outcome = it.h.kind == ITEM_BLANK ? IG_BLANK : IG_PASSED;
		return 0;
	}
	/* a line naming a stored record updates it, under the whole rule book */
	if (it.h.given) {
		rc = mdb_get(txn, s->colls[it.h.coll], &key, &val);
		if (rc == 0)
			return apply_line(s, txn, line, len, now, scratch, result, outcome);
		if (rc != MDB_NOTFOUND)
			return rc;
	}
	if (it.h.kind == ITEM_REJECT) {
		*outcome = IG_REJECTED;
		ig_buf_add(result, it.body, it.bodylen);
		return 0;
	}
	if (it.h.derives)
		return apply_line(s, txn, line, len, now, scratch, result, outcome);

	/* a new record: where a reference or a unique key fails, the whole
	 * rule book says why */
	for (int i = 0; i < it.h.nrefs; i++) {
		struct item_ref r;

		memcpy(&r, &it.refs[i], sizeof r);
		key.mv_data = r.id;
		rc = mdb_get(txn, s->colls[r.coll], &key, &val);
		if (rc == MDB_NOTFOUND)
			return apply_line(s, txn, line, len, now, scratch, result, outcome);
		if (rc)
			return rc;
	}
	kp = it.keys;
	for (int i = 0; i < it.h.nkeys; i++) {
		kp = item_key(kp, &key);
		if (!key.mv_data || !s->m->colls[it.h.coll].indexes[i].unique)
			continue;
		rc = mdb_get(txn, s->indexes[it.h.coll][i], &key, &val);
		if (rc == 0)
			return apply_line(s, txn, line, len, now, scratch, result, outcome);
		if (rc != MDB_NOTFOUND)
			return rc;
	}

	ig_buf_add(result, it.body, it.bodylen);
	if (!it.h.given) {
		char idtext[IG_UUID_TEXT];

		ig_uuid_v7(it.h.id);
		ig_uuid_format(it.h.id, idtext);
		memcpy(result->p + it.h.id_at, idtext, IG_UUID_TEXT - 1);
	}
	key.mv_size = 16;
	key.mv_data = it.h.id;
	val.mv_size = result->len;
	val.mv_data = result->p;
	if ((rc = ig_put_ordered(txn, s->colls[it.h.coll], &key, &val, 0)) ||
	    (rc = ig_changes_note(s, txn, it.h.coll, it.h.id, it.h.given ? IG_CHANGE_PUT : IG_CHANGE_NEW)))
		return rc;
	kp = it.keys;
	for (int i = 0; i < it.h.nkeys; i++) {
		MDB_val d = { 16, it.h.id };

		kp = item_key(kp, &key);
		if (!key.mv_data)
			continue;
		rc = ig_put_ordered(txn, s->indexes[it.h.coll][i], &key, &d,
		    !s->m->colls[it.h.coll].indexes[i].unique);
		if (rc && rc != MDB_KEYEXIST)
			return rc;
	}
	*outcome = IG_STORED;
	return 0;
}
