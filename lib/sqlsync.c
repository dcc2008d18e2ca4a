/* sqlsync.c - a SQL catalogue kept in step with a store's change log (sqlsync.h) */
#include <stdio.h>
#include <string.h>

#include "changes.h"
#include "sqlsync.h"

struct syncing {
	struct ig_sqlcat *cat;
	struct ig_store *st;
	MDB_txn *txn;
	uint64_t last;
	long refused;
	int failed;		/* -1 the catalogue, else an LMDB code */
	char *err;
	size_t errlen;
};

static int
take(void *ctx, const struct ig_change *ch)
{
	struct syncing *y = ctx;
	char id[IG_UUID_TEXT];
	MDB_val val;
	int rc;

	y->last = ch->seq;
	/* a collection the model no longer has: nothing to put it in */
	if (ch->coll < 0)
		return 0;
	ig_uuid_format(ch->id, id);
	if (ch->op == IG_CHANGE_PURGE) {
		rc = ig_sqlcat_remove(y->cat, y->st->path, (long)ch->seq, ch->coll, id, y->err, y->errlen);
	} else if ((rc = ig_store_get(y->st, y->txn, ch->coll, ch->id, &val))) {
		snprintf(y->err, y->errlen, "store %s: %s %s: %s", y->st->path, y->st->m->colls[ch->coll].name, id,
		    ig_store_strerror(y->st, rc));
		y->failed = rc;
		return 1;
	} else {
		rc = ig_sqlcat_put(y->cat, y->st->path, (long)ch->seq, val.mv_data, val.mv_size, y->err, y->errlen);
	}
	if (rc < 0) {
		y->failed = -1;
		return 1;
	}
	y->refused += rc;
	return 0;
}

int
ig_sql_sync_store(struct ig_sqlcat *cat, struct ig_store *st, long *synced, long *refused, char *err,
    size_t errlen)
{
	struct syncing y = { .cat = cat, .st = st, .err = err, .errlen = errlen };
	char store_id[IG_UUID_TEXT];
	uint64_t mark;
	long n;
	int rc;

	*synced = 0;
	if ((rc = ig_store_begin(st, 1, &y.txn)))
		goto store_failed;
	rc = ig_changes_store_id(st, y.txn, store_id);
	mdb_txn_abort(y.txn);
	if (rc == MDB_NOTFOUND) {
		snprintf(err, errlen, "store %s has no change log yet: a writer makes it (ig-record </dev/null)",
		    st->path);
		return -1;
	}
	if (rc)
		goto store_failed;
	if (ig_sqlcat_mark(cat, store_id, &mark, err, errlen))
		return -1;
	do {
		if ((rc = ig_store_begin(st, 1, &y.txn)))
			goto store_failed;
		rc = ig_changes_after(st, y.txn, mark, IG_SQL_BATCH, take, &y, &n);
		mdb_txn_abort(y.txn);
		if (y.failed < 0)
			return -1;
		if (y.failed || rc) {
			if (!y.failed)
				snprintf(err, errlen, "store %s: %s", st->path, ig_store_strerror(st, rc));
			return -1;
		}
		if (n) {
			ig_sqlcat_set_mark(cat, store_id, y.last);
			if (ig_sqlcat_commit(cat, &y.refused, err, errlen))
				return -1;
			*synced += n;
			mark = y.last;
		}
		*refused = y.refused;
	} while (n == IG_SQL_BATCH);
	return 0;
store_failed:
	snprintf(err, errlen, "store %s: %s", st->path, ig_store_strerror(st, rc));
	return -1;
}
