/* query.c - ig-query's lists: plans over the store's indexes, predicates */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "query.h"
#include "uuid.h"

int
ig_query_emit(struct ig_query *q, const uint8_t id[16], const MDB_val *val, int all)
{
	if (q->limit >= 0 && q->shown >= q->limit)
		return 1;
	q->read++;
	if (!all && !q->deleted && ig_stored_deleted(val))
		return 0;
	if (q->since_test && ig_pred_eval(q->since_test, val->mv_data, val->mv_size) != 1)
		return 0;
	if (q->where) {
		int r = q->native ? ig_pred_eval(q->native, val->mv_data, val->mv_size) : IG_PRED_ASK_JQ;

		if (r == IG_PRED_ASK_JQ) {
			char err[512], text[IG_UUID_TEXT];
			jv rec;

			/* libjq compiles its builtins first, some milliseconds: only
			 * when a record needs it */
			if (!q->jq && !(q->jq = ig_filter_new(q->where, err, sizeof err)))
				ig_die(IG_EXIT_USAGE, "--where: %s", err);
			rec = ig_json_parse(val->mv_data, val->mv_size, err, sizeof err);
			q->asked_jq++;
			r = ig_filter_test(q->jq, rec, err, sizeof err);
			/* the first failure is told, by the record it failed on; an
			 * expression that fails on one mostly fails on all */
			if (r < 0 && q->failed++ == 0) {
				ig_uuid_format(id, text);
				ig_warn("--where: record %s: %s", text, err);
			}
		}
		if (r <= 0)
			return 0;
	}
	q->shown++;
	if (!q->count) {
		fwrite(val->mv_data, 1, val->mv_size, stdout);
		putchar('\n');
		ig_check_stdout();
	}
	return q->limit >= 0 && q->shown >= q->limit;
}

/* the records an index's entries name, from key lo (all keys when lo is
 * NULL) while a key starts with prefix[0..plen) and ends there or at a
 * separator; newest key first with reverse. dups: ids are the data. */
static int
walk(struct ig_query *q, MDB_dbi dbi, const uint8_t *prefix, size_t plen, const uint8_t *lo, size_t lolen,
    int all)
{
	MDB_cursor *cur;
	MDB_val k, v, rec;
	uint8_t upper[IG_KEY_MAX + 1];
	int rc, op;

	if ((rc = mdb_cursor_open(q->txn, dbi, &cur)))
		return rc;
	if (!q->reverse) {
		if (plen || lo) {
			k.mv_size = lo ? lolen : plen;
			k.mv_data = (void *)(lo ? lo : prefix);
			rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		} else {
			rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
		}
		op = MDB_NEXT;
	} else {
		/* from past the last key with the prefix: the prefix and a
		 * byte above the separator */
		if (plen) {
			memcpy(upper, prefix, plen);
			upper[plen] = 1;
			k.mv_size = plen + 1;
			k.mv_data = upper;
			rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
			rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) :
			    rc == MDB_NOTFOUND ? mdb_cursor_get(cur, &k, &v, MDB_LAST) : rc;
		} else {
			rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		}
		op = MDB_PREV;
	}
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, op)) {
		if (plen && !ig_index_key_begins(&k, prefix, plen))
			break;
		if (lo && q->reverse && (k.mv_size < lolen ? memcmp(k.mv_data, lo, k.mv_size) <= 0 :
		    memcmp(k.mv_data, lo, lolen) < 0))
			break;
		if (v.mv_size != 16) {
			rc = MDB_CORRUPTED;
			break;
		}
		if ((rc = ig_store_get(q->store, q->txn, q->col->index, v.mv_data, &rec)))
			break;
		if (ig_query_emit(q, v.mv_data, &rec, all))
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* every record of the collection in its key order (ids): no index, no
 * lookup a record, the pages in the order they lie */
static int
scan_records(struct ig_query *q)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(q->txn, q->store->colls[q->col->index], &cur)))
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, q->reverse ? MDB_LAST : MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, q->reverse ? MDB_PREV : MDB_NEXT)) {
		if (k.mv_size != 16) {
			rc = MDB_CORRUPTED;
			break;
		}
		if (ig_query_emit(q, k.mv_data, &v, 0))
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* --of ID: each foreign key's index, the first that starts with it */
static int
plan_of(struct ig_query *q)
{
	const struct ig_collection *col = q->col;
	char text[IG_UUID_TEXT];
	int any = 0, rc;

	ig_uuid_format(q->of, text);
	for (int i = 0; i < col->nindexes; i++) {
		const struct ig_index *ix = &col->indexes[i];
		int first = 1;

		if (col->fields[ix->fields[0]].ref < 0)
			continue;
		for (int j = 0; j < i; j++)
			if (col->indexes[j].fields[0] == ix->fields[0])
				first = 0;
		if (!first)
			continue;
		snprintf(q->plan + strlen(q->plan), sizeof q->plan - strlen(q->plan), "%sindex %s = %s",
		    any ? ", " : "", ix->name, text);
		any = 1;
		if ((rc = walk(q, q->store->indexes[col->index][i], q->of, 16, NULL, 0, 0)))
			return rc;
	}
	if (!any) {
		snprintf(q->plan, sizeof q->plan, "%s refers to no other collection", col->name);
		return IG_QUERY_USAGE;
	}
	return 0;
}

/* the literal the predicate's conjunction fixes field f to, of the nf in
 * fx: or NULL */
static const struct ig_pred_fixed *
fixed_to(const struct ig_pred_fixed *fx, int nf, const struct ig_field *f)
{
	for (int k = 0; k < nf; k++)
		if (fx[k].flen == f->namelen && memcmp(fx[k].field, f->name, f->namelen) == 0)
			return &fx[k];
	return NULL;
}

/* a predicate that fixes .id to a UUID as ig writes it (lowercase,
 * hyphenated): that id, for the record under its key; 0 if it fixes none */
static int
plan_key(struct ig_query *q, uint8_t id[16])
{
	struct ig_pred_fixed fx[4];
	int nf = q->planner ? ig_pred_fixed(q->planner, fx, 4) : 0;
	const struct ig_pred_fixed *v = fixed_to(fx, nf, &q->col->fields[q->col->f_id]);
	char text[IG_UUID_TEXT], canon[IG_UUID_TEXT];

	if (!v || !v->is_string || v->vlen != IG_UUID_TEXT - 1)
		return 0;
	memcpy(text, v->value, v->vlen);
	text[v->vlen] = '\0';
	if (ig_uuid_parse(text, id) != 0)
		return 0;
	/* another spelling of it is no stored id: the scan says so */
	ig_uuid_format(id, canon);
	return strcmp(canon, text) == 0;
}

/* --count with nothing to judge: the collection's entries, less the
 * soft-deleted, which deleted_at's index holds and nothing else (a null is
 * never indexed; the writer keeps deleted_at set when is_deleted is true).
 * 0, an LMDB error, or IG_QUERY_READ for a store from before that index. */
#define IG_QUERY_READ (-40001)
static int
plan_count(struct ig_query *q)
{
	const struct ig_collection *col = q->col;
	int ix = ig_index_on(col, col->f_deleted_at), rc;
	MDB_stat all, gone = { 0 };

	if (ix < 0 || q->store->indexes[col->index][ix] == IG_DBI_NONE)
		return IG_QUERY_READ;
	if ((rc = mdb_stat(q->txn, q->store->colls[col->index], &all)) ||
	    (!q->deleted && (rc = mdb_stat(q->txn, q->store->indexes[col->index][ix], &gone))))
		return rc;
	if (gone.ms_entries > all.ms_entries)
		return MDB_CORRUPTED;
	q->shown = (long)(all.ms_entries - gone.ms_entries);
	if (q->limit >= 0 && q->shown > q->limit)
		q->shown = q->limit;
	if (q->deleted)
		snprintf(q->plan, sizeof q->plan, "count %s: its entries", col->name);
	else
		snprintf(q->plan, sizeof q->plan, "count %s: its entries, less %s's", col->name,
		    col->indexes[ix].name);
	return 0;
}

/* the index whose leading fields the predicate fixes most of (a unique
 * one that it fixes whole first), and its key prefix; -1 if none */
static int
plan_fixed(struct ig_query *q, uint8_t *key, size_t *klen, int *used)
{
	const struct ig_collection *col = q->col;
	struct ig_pred_fixed fx[4];
	int nf = q->planner ? ig_pred_fixed(q->planner, fx, 4) : 0, best = -1, best_n = 0, best_unique = 0;
	jv *row;

	if (nf == 0)
		return -1;
	for (int i = 0; i < col->nindexes; i++) {
		const struct ig_index *ix = &col->indexes[i];
		int n = 0;

		while (n < ix->nfields && fixed_to(fx, nf, &col->fields[ix->fields[n]]))
			n++;
		if (n == 0)
			continue;
		if (n > best_n || (n == best_n && ix->unique && n == ix->nfields && !best_unique)) {
			best = i;
			best_n = n;
			best_unique = ix->unique && n == ix->nfields;
		}
	}
	if (best < 0)
		return -1;
	/* the prefix, as the store makes keys: from a row of the literals */
	row = ig_row_new(col);
	for (int n = 0; n < best_n; n++) {
		int fi = col->indexes[best].fields[n];
		const struct ig_pred_fixed *v = fixed_to(fx, nf, &col->fields[fi]);
		char err[64];

		ig_jv_free(row[fi]);
		row[fi] = v->is_string ? jv_string_sized(v->value, (int)v->vlen) :
		    ig_json_parse(v->value, v->vlen, err, sizeof err);
	}
	{
		struct ig_index part = col->indexes[best];

		part.nfields = best_n;
		if (ig_index_key(col, &part, row, key, klen) != 0)
			best = -1;	/* too long to be a key: no record's value is in the index */
	}
	ig_row_free(col, row);
	*used = best_n;
	return best;
}

int
ig_query_list(struct ig_query *q)
{
	const struct ig_collection *col = q->col;
	uint8_t key[IG_KEY_MAX], id[16];
	size_t klen = 0;
	int ix, used, rc;

	q->plan[0] = '\0';
	if (!q->store->opened)
		return 0;
	if (q->since) {
		char expr[100];

		/* what a plan other than updated_at's reads is judged by it too */
		snprintf(expr, sizeof expr, ".updated_at >= \"%s\"", q->since);
		q->since_test = ig_pred_compile(expr);
	}
	if (q->of)
		return plan_of(q);
	if (plan_key(q, id)) {
		MDB_val rec;

		ig_uuid_format(id, q->plan + snprintf(q->plan, sizeof q->plan, "key %s id = ", col->name));
		if ((rc = ig_store_get(q->store, q->txn, col->index, id, &rec)))
			return rc == MDB_NOTFOUND ? 0 : rc;
		ig_query_emit(q, id, &rec, 0);
		return 0;
	}
	if (q->since) {
		if ((ix = ig_index_on(col, col->f_updated)) < 0 ||
		    q->store->indexes[col->index][ix] == IG_DBI_NONE) {
			snprintf(q->plan, sizeof q->plan, "scan %s by created_at, updated_at read (the store has "
			    "no updated_at index yet: its next writer builds it)", col->name);
		} else {
			/* the index's own order does the work */
			ig_pred_free(q->since_test);
			q->since_test = NULL;
			snprintf(q->plan, sizeof q->plan, "index %s from %s", col->indexes[ix].name, q->since);
			return walk(q, q->store->indexes[col->index][ix], NULL, 0, (const uint8_t *)q->since,
			    strlen(q->since), 0);
		}
	} else if ((ix = plan_fixed(q, key, &klen, &used)) >= 0) {
		const struct ig_index *x = &col->indexes[ix];

		snprintf(q->plan, sizeof q->plan, "index %s, %d of its %d field%s fixed%s", x->name, used,
		    x->nfields, x->nfields > 1 ? "s" : "", x->unique && used == x->nfields ? " (unique)" : "");
		return walk(q, q->store->indexes[col->index][ix], key, klen, NULL, 0, 0);
	} else if (q->count && !q->where && !q->scan && (rc = plan_count(q)) != IG_QUERY_READ) {
		return rc;
	} else if (q->where || q->count) {
		/* order is the predicate's or nobody's: the records as they lie */
		snprintf(q->plan, sizeof q->plan, "scan %s by id", col->name);
		return scan_records(q);
	} else {
		snprintf(q->plan, sizeof q->plan, "scan %s by created_at", col->name);
	}
	if ((ix = ig_index_on(col, col->f_created)) < 0)
		return 0;
	rc = walk(q, q->store->indexes[col->index][ix], NULL, 0, NULL, 0, 0);
	return rc;
}

int
ig_query_scan_all(struct ig_query *q, const struct ig_collection *col)
{
	int ix = ig_index_on(col, col->f_created);

	q->col = col;
	if (!q->store->opened || ix < 0)
		return 0;
	return walk(q, q->store->indexes[col->index][ix], NULL, 0, NULL, 0, 1);
}
