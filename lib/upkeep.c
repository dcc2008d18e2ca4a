/* upkeep.c - the store's upkeep: records abandoned by a process that ended
 * given back, soft-deleted records purged */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "changes.h"
#include "claim.h"
#include "clock.h"
#include "err.h"
#include "json.h"
#include "record.h"
#include "uuid.h"

int
ig_record_referenced(struct ig_store *s, MDB_txn *txn, int c, const uint8_t id[16], int *rc)
{
	*rc = 0;
	for (int x = 0; x < s->m->ncolls; x++) {
		const struct ig_collection *xc = &s->m->colls[x];

		for (int i = 0; i < xc->nindexes; i++) {
			const struct ig_index *ix = &xc->indexes[i];
			MDB_cursor *cur;
			MDB_val k = { 16, (void *)id }, d;
			int r;

			if (xc->fields[ix->fields[0]].ref != c)
				continue;
			if ((*rc = mdb_cursor_open(txn, s->indexes[x][i], &cur)))
				return 0;
			r = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
			mdb_cursor_close(cur);
			if (r == 0 && k.mv_size >= 16 && memcmp(k.mv_data, id, 16) == 0 &&
			    (k.mv_size == 16 || ((char *)k.mv_data)[16] == '\0'))
				return 1;
			if (r && r != MDB_NOTFOUND) {
				*rc = r;
				return 0;
			}
		}
	}
	return 0;
}

int
ig_record_purge(struct ig_store *s, MDB_txn *txn, int c, long *purged, long *kept)
{
	const struct ig_collection *col = &s->m->colls[c];
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, s->colls[c], &cur)))
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		uint8_t id[16];
		jv *row;
		int refd;

		if (!ig_stored_deleted(&v))
			continue;
		memcpy(id, k.mv_data, 16);
		refd = ig_record_referenced(s, txn, c, id, &rc);
		if (rc)
			break;
		if (refd) {
			(*kept)++;
			continue;
		}
		if ((rc = ig_record_load(s, txn, col, id, &row)))
			break;
		for (int i = 0; i < col->nindexes && !rc; i++) {
			uint8_t key[IG_KEY_MAX];
			size_t len;
			MDB_val ik, d = { 16, id };

			if (ig_index_key(col, &col->indexes[i], row, key, &len))
				continue;
			ik.mv_size = len;
			ik.mv_data = key;
			rc = mdb_del(txn, s->indexes[c][i], &ik, col->indexes[i].unique ? NULL : &d);
			if (rc == MDB_NOTFOUND)
				rc = 0;
		}
		ig_row_free(col, row);
		if (rc || (rc = mdb_cursor_del(cur, 0)) ||
		    (rc = ig_changes_note(s, txn, c, id, IG_CHANGE_PURGE)))
			break;
		(*purged)++;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
ig_record_ids_at(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c, int field,
    const char *value, struct ig_buf *ids)
{
	MDB_cursor *cur;
	MDB_val k = { strlen(value), (void *)value }, d;
	uint8_t uuid[16];
	int ix = -1, rc, prefix = 0;
	size_t plen;
	const void *want;

	/* a uuid is indexed by its 16 bytes */
	if (c->fields[field].type == IG_T_UUID) {
		if (ig_uuid_parse(value, uuid) != 0)
			return 0;
		k.mv_size = 16;
		k.mv_data = uuid;
	}
	ix = ig_index_on(c, field);
	/* else one that begins with it: its keys with the value, then a
	 * separator, first (batch_id in generations' batch_id,status) */
	for (int i = 0; i < c->nindexes && ix < 0; i++)
		if (c->indexes[i].fields[0] == field)
			ix = i, prefix = 1;
	if (ix < 0)
		return MDB_NOTFOUND;
	if ((rc = mdb_cursor_open(txn, s->indexes[c->index][ix], &cur)))
		return rc;
	want = k.mv_data;
	plen = k.mv_size;
	for (rc = mdb_cursor_get(cur, &k, &d, prefix ? MDB_SET_RANGE : MDB_SET); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &d, prefix ? MDB_NEXT : MDB_NEXT_DUP)) {
		if (prefix && !ig_index_key_begins(&k, want, plen))
			break;
		if (d.mv_size == 16)
			ig_buf_add(ids, d.mv_data, 16);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
ig_record_each_at(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c, int field,
    const char *value, int (*fn)(const MDB_val *rec, void *ctx), void *ctx)
{
	struct ig_buf ids = { 0 };
	int rc = ig_record_ids_at(s, txn, c, field, value, &ids);

	if (rc == MDB_NOTFOUND)
		rc = 0;
	for (size_t i = 0; !rc && i + 16 <= ids.len; i += 16) {
		MDB_val val;

		/* an entry whose record has gone says nothing */
		if ((rc = ig_store_get(s, txn, c->index, (uint8_t *)ids.p + i, &val)) == MDB_NOTFOUND)
			rc = 0;
		else if (!rc)
			rc = fn(&val, ctx);
	}
	ig_buf_free(&ids);
	return rc;
}

/* a working record whose claim no live process holds goes back to ready */
static int
give_back(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c, const uint8_t id[16],
    const struct ig_now *now, long *n)
{
	const struct ig_lifecycle *l = c->life;
	char idtext[IG_UUID_TEXT], err[512];
	uint8_t cid[16];
	jv *row;
	int rc, held;

	if ((rc = ig_record_load(s, txn, c, id, &row)))
		return rc == MDB_NOTFOUND ? 0 : rc;
	/* set working by hand (no holder named), claimed on no id, or held by
	 * a remote batch: no process's */
	held = ig_kind(row[l->holder]) != JV_KIND_STRING || ig_kind(row[l->claim]) != JV_KIND_STRING ||
	    ig_holder_remote(l, jv_string_value(row[l->holder])) ||
	    ig_uuid_parse(jv_string_value(row[l->claim]), cid) != 0 ? 1 : ig_claim_held(s->claims, cid);
	ig_row_free(c, row);
	if (held < 0)
		return errno ? errno : EIO;
	if (held)
		return 0;
	ig_uuid_format(id, idtext);
	{
		struct ig_member mv[4] = {
			{ "id", 2, jv_invalid(), jv_string(idtext) },
			{ c->fields[l->field].name, c->fields[l->field].namelen, jv_invalid(),
			  jv_string(l->names[IG_STAGE_READY]) },
			{ c->fields[l->holder].name, c->fields[l->holder].namelen, jv_invalid(), jv_null() },
			{ l->reason >= 0 ? c->fields[l->reason].name : "", l->reason >= 0 ?
			  c->fields[l->reason].namelen : 0, jv_invalid(),
			  jv_string("abandoned: the process working on it ended without finishing it") },
		};
		struct ig_members in = { mv, l->reason >= 0 ? 4 : 3, 4 };
		struct ig_buf out = { 0 };

		rc = ig_record_put(s, txn, c, &in, now, &out, err, sizeof err);
		if (l->reason < 0)
			ig_jv_free(mv[3].value);
		ig_members_clear(&in);
		ig_buf_free(&out);
	}
	if (rc == IG_REJECT)
		return 0;	/* the model does not let it go back: it stays as it is */
	if (rc == 0)
		(*n)++;
	return rc;
}

int
ig_record_recover(struct ig_store *s, MDB_txn *txn, const struct ig_now *now, long *n)
{
	int rc = 0;

	*n = 0;
	for (int ci = 0; ci < s->m->ncolls && !rc; ci++) {
		const struct ig_collection *c = &s->m->colls[ci];
		struct ig_buf ids = { 0 };

		if (!c->life || c->life->claim < 0)
			continue;
		rc = ig_record_ids_at(s, txn, c, c->life->field, c->life->names[IG_STAGE_WORKING], &ids);
		for (size_t i = 0; !rc && i + 16 <= ids.len; i += 16)
			rc = give_back(s, txn, c, (uint8_t *)ids.p + i, now, n);
		ig_buf_free(&ids);
	}
	return rc;
}

int
ig_record_recover_all(struct ig_store *s, long *n)
{
	struct ig_now now;
	MDB_txn *txn;
	int rc;

	for (;;) {
		ig_now_set(&now);
		if ((rc = ig_store_begin(s, 0, &txn)))
			return rc;
		if ((rc = ig_record_recover(s, txn, &now, n)))
			mdb_txn_abort(txn);
		else if (*n == 0)
			mdb_txn_abort(txn);	/* nothing written: no commit to sync */
		else
			rc = mdb_txn_commit(txn);
		if (rc != MDB_MAP_FULL || (rc = ig_store_grow(s)))
			return rc;
	}
}
