/* query.h - ig-query's lists: a plan (an index or a scan), a predicate
 * (native where it can be, else libjq), counts, limits and order
 *
 * The plan is the cheapest the store offers for what is asked: --of ID
 * through the foreign keys' indexes, `.id == ID` under the record's key,
 * --changed-since through updated_at's, a predicate's fixed fields
 * (`.f == literal` in its conjunction) through the index they cover best,
 * a --count of no predicate from the entries the store counts, else every
 * record by created_at. The predicate still judges every record a plan
 * reads, so a plan only ever changes how much is read, never what is
 * printed; an index plan prints in the index's order (its keys, then ids).
 * See ig-query(1).
 */
#ifndef IG_QUERY_H
#define IG_QUERY_H
#include <stdint.h>

#include "filter.h"
#include "pred.h"
#include "store.h"

struct ig_query {
	struct ig_store *store;
	MDB_txn *txn;
	const struct ig_collection *col;
	const char *where;		/* the --where expression, or NULL */
	struct ig_filter *jq;		/* it through libjq: made when first needed */
	struct ig_pred *native;		/* the same, native, or NULL (--jq) */
	struct ig_pred *planner;	/* the same, for its fixed fields, or NULL (--scan) */
	struct ig_pred *since_test;	/* --changed-since without its index */
	const uint8_t *of;		/* --of ID, or NULL */
	const char *since;		/* --changed-since, canonical, or NULL */
	int deleted, reverse, count, explain;
	int scan;			/* --scan: read every record, whatever a plan could spare */
	long limit;			/* -1: no limit */
	/* what the run did */
	long shown, read, failed, asked_jq;
	char plan[600];
};

/* runs q: 0, or an LMDB error; a usage error (the collection refers to
 * nothing, for --of) is IG_QUERY_USAGE with the reason in q->plan */
#define IG_QUERY_USAGE (-40000)
int ig_query_list(struct ig_query *q);
/* every record of col, the soft-deleted too, by created_at: 0 or an LMDB error */
int ig_query_scan_all(struct ig_query *q, const struct ig_collection *col);
/* one record's text, if it passes q's predicate and deleted rule: printed
 * (or counted); 1 if the limit is reached. id names it in errors. */
int ig_query_emit(struct ig_query *q, const uint8_t id[16], const MDB_val *val, int all);

#endif
