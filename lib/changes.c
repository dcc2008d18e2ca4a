/* changes.c - the store's change log (changes.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changes.h"
#include "err.h"

#define LOG_DB "ig/changes"
#define AT_DB "ig/changed"
#define META_DB "ig/meta"
#define ENTRY_MAX (16 + 1 + IG_KEY_MAX)

static void
seq_key(uint64_t seq, uint8_t k[8])
{
	for (int i = 7; i >= 0; i--, seq >>= 8)
		k[i] = (uint8_t)seq;
}

static uint64_t
seq_of(const uint8_t *k)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | k[i];
	return v;
}

/* id then the collection's name: the key of ig/changed, and after the op
 * the value of ig/changes */
static size_t
record_key(const struct ig_store *s, int c, const uint8_t id[16], uint8_t *out)
{
	size_t n = strlen(s->m->colls[c].name);

	memcpy(out, id, 16);
	memcpy(out + 16, s->m->colls[c].name, n);
	return 16 + n;
}

/* the next number: after ig/meta's "last", which the log's own last key
 * may fall behind when its last entry moves on */
static int
next_seq(struct ig_store *s, MDB_txn *txn, uint64_t *seq)
{
	MDB_val k = { 4, "last" }, v;
	uint8_t sk[8];
	int rc;

	if (s->log_txn != mdb_txn_id(txn)) {
		rc = mdb_get(txn, s->meta, &k, &v);
		if (rc && rc != MDB_NOTFOUND)
			return rc;
		if (rc == 0 && v.mv_size != 8)
			return MDB_CORRUPTED;
		s->log_next = rc ? 1 : seq_of(v.mv_data) + 1;
		s->log_txn = mdb_txn_id(txn);
	}
	*seq = s->log_next++;
	seq_key(*seq, sk);
	v.mv_size = 8;
	v.mv_data = sk;
	return mdb_put(txn, s->meta, &k, &v, 0);
}

int
ig_changes_note(struct ig_store *s, MDB_txn *txn, int c, const uint8_t id[16], int op)
{
	uint8_t rk[ENTRY_MAX], entry[ENTRY_MAX + 1], sk[8];
	size_t rn = record_key(s, c, id, rk);
	MDB_val k = { rn, rk }, v, lk = { 8, sk };
	uint64_t seq;
	int rc;

	if (!s->logged)
		return 0;
	rc = op == IG_CHANGE_NEW ? MDB_NOTFOUND : mdb_get(txn, s->at, &k, &v);
	if (rc == 0 && v.mv_size == 8) {
		memcpy(sk, v.mv_data, 8);
		if ((rc = mdb_del(txn, s->log, &lk, NULL)) && rc != MDB_NOTFOUND)
			return rc;
	} else if (rc && rc != MDB_NOTFOUND) {
		return rc;
	}
	if ((rc = next_seq(s, txn, &seq)))
		return rc;
	seq_key(seq, sk);
	memcpy(entry, rk, 16);
	entry[16] = (uint8_t)(op == IG_CHANGE_NEW ? IG_CHANGE_PUT : op);
	memcpy(entry + 17, rk + 16, rn - 16);
	v.mv_size = rn + 1;
	v.mv_data = entry;
	if ((rc = mdb_put(txn, s->log, &lk, &v, MDB_APPEND)))
		return rc;
	v.mv_size = 8;
	v.mv_data = sk;
	return mdb_put(txn, s->at, &k, &v, 0);
}

/* every record already stored, entered: a store from before the log */
static int
enter_all(struct ig_store *s, MDB_txn *txn)
{
	int rc = 0;

	for (int c = 0; c < s->m->ncolls && !rc; c++) {
		MDB_cursor *cur;
		MDB_val k, v;

		if ((rc = mdb_cursor_open(txn, s->colls[c], &cur)))
			return rc;
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
		    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
			if (k.mv_size == 16 && (rc = ig_changes_note(s, txn, c, k.mv_data, IG_CHANGE_PUT)))
				break;
		mdb_cursor_close(cur);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	return rc;
}

int
ig_changes_open(struct ig_store *s, MDB_txn *txn)
{
	unsigned create = s->rdonly ? 0 : MDB_CREATE;
	MDB_val k = { 2, "id" }, v;
	int rc, fresh;

	rc = mdb_dbi_open(txn, LOG_DB, 0, &s->log);
	if (rc == MDB_NOTFOUND && s->rdonly)
		return 0;
	fresh = rc == MDB_NOTFOUND;
	if ((fresh && (rc = mdb_dbi_open(txn, LOG_DB, create, &s->log))) || (!fresh && rc) ||
	    (rc = mdb_dbi_open(txn, AT_DB, create, &s->at)) ||
	    (rc = mdb_dbi_open(txn, META_DB, create, &s->meta)))
		return rc;
	s->logged = 1;
	s->log_txn = 0;
	if (!fresh)
		return 0;
	if ((rc = mdb_get(txn, s->meta, &k, &v)) == MDB_NOTFOUND) {
		uint8_t id[16];

		ig_uuid_v7(id);
		v.mv_size = 16;
		v.mv_data = id;
		rc = mdb_put(txn, s->meta, &k, &v, 0);
	}
	return rc ? rc : enter_all(s, txn);
}

int
ig_changes_store_id(struct ig_store *s, MDB_txn *txn, char id[IG_UUID_TEXT])
{
	MDB_val k = { 2, "id" }, v;
	int rc;

	if (!s->logged)
		return MDB_NOTFOUND;
	if ((rc = mdb_get(txn, s->meta, &k, &v)))
		return rc;
	if (v.mv_size != 16)
		return MDB_CORRUPTED;
	ig_uuid_format(v.mv_data, id);
	return 0;
}

int
ig_changes_after(struct ig_store *s, MDB_txn *txn, uint64_t after, long max,
    int (*fn)(void *ctx, const struct ig_change *ch), void *ctx, long *n)
{
	uint8_t sk[8];
	MDB_cursor *cur;
	MDB_val k = { 8, sk }, v;
	int rc;

	*n = 0;
	if (!s->logged)
		return 0;
	seq_key(after + 1, sk);
	if ((rc = mdb_cursor_open(txn, s->log, &cur)))
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && *n < max;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct ig_change ch = { 0 };

		if (k.mv_size != 8 || v.mv_size < 18) {
			rc = MDB_CORRUPTED;
			break;
		}
		ch.seq = seq_of(k.mv_data);
		memcpy(ch.id, v.mv_data, 16);
		ch.op = ((uint8_t *)v.mv_data)[16];
		ch.coll = -1;
		for (int c = 0; c < s->m->ncolls; c++)
			if (strlen(s->m->colls[c].name) == v.mv_size - 17 &&
			    memcmp(s->m->colls[c].name, (char *)v.mv_data + 17, v.mv_size - 17) == 0)
				ch.coll = c;
		(*n)++;
		if (fn(ctx, &ch))
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}
