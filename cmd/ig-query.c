/* ig-query - read records from the store */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "json.h"
#include "query.h"
#include "store.h"
#include "summary.h"
#include "uuid.h"

const char *ig_prog = "ig-query";

static struct ig_store store;
static MDB_txn *txn;
static long errors;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: ig-query [-s store] get [--deleted] id ...\n"
	    "       ig-query [-s store] list [--deleted] [--where expr] [--jq] [--scan] [--of id]\n"
	    "                [--changed-since time] [--count] [--limit n] [--reverse] [--explain] collection\n"
	    "       ig-query [-s store] summary batch-id\n"
	    "       ig-query [-s store] export\n");
	exit(code);
}

static void
fail(int rc)
{
	ig_die(IG_EXIT_SYSTEM, "store %s: %s", store.path, mdb_strerror(rc));
}

struct got {
	struct ig_query *q;
	const uint8_t *id;
	int shown;
};

static void
got_one(const MDB_val *val, void *ctx)
{
	struct got *g = ctx;

	if (!g->q->deleted && ig_stored_deleted(val))
		return;
	ig_query_emit(g->q, g->id, val, 1);
	g->shown++;
}

/* by id alone, without the model: its load would be most of the time */
static void
get(struct ig_query *q, const char *dir, int argc, char **argv)
{
	struct ig_store_ids ids;
	char err[600];
	int rc;

	if ((rc = ig_store_ids_open(&ids, dir, err, sizeof err)))
		ig_die(IG_EXIT_SYSTEM, "%s", err);
	for (int i = 0; i < argc; i++) {
		uint8_t id[16];
		struct got g = { q, id, 0 };

		if (ig_uuid_parse(argv[i], id) != 0) {
			ig_warn("not a UUID: %s", argv[i]);
			errors++;
			continue;
		}
		if (ig_store_ids_get(&ids, id, got_one, &g, &rc) < 0)
			ig_die(IG_EXIT_SYSTEM, "store %s: %s", dir, mdb_strerror(rc));
		if (!g.shown) {
			ig_warn("no record %s", argv[i]);
			errors++;
		}
	}
	ig_store_ids_close(&ids);
}

static void
summary(int argc, char **argv)
{
	struct ig_buf b = { 0 };
	uint8_t id[16];
	jv out;
	int rc;

	if (argc != 1)
		usage(IG_EXIT_USAGE);
	if (ig_uuid_parse(argv[0], id) != 0)
		ig_die(IG_EXIT_USAGE, "not a UUID: %s", argv[0]);
	if ((rc = ig_batch_summary(&store, txn, id, &out)) == MDB_NOTFOUND) {
		ig_warn("no batch %s", argv[0]);
		errors++;
		return;
	}
	if (rc)
		fail(rc);
	ig_json_put_line(&b, out);
	ig_buf_free(&b);
}

/* --changed-since: a time as the store writes times */
static const char *
since_of(const char *s)
{
	static char text[IG_TIME_TEXT];
	int64_t us;

	if (ig_time_parse(s, &us) != 0)
		ig_die(IG_EXIT_USAGE, "--changed-since: not a time: %s", s);
	ig_time_format(us, text);
	return text;
}

static void
list(struct ig_query *q, const char *name, const char *of)
{
	static uint8_t id[16];
	int rc;

	if (!(q->col = ig_model_find(store.m, name)))
		ig_die(IG_EXIT_USAGE, "unknown collection: %s", name);
	if (of && ig_uuid_parse(of, id) != 0)
		ig_die(IG_EXIT_USAGE, "--of: not a UUID: %s", of);
	q->of = of ? id : NULL;
	rc = ig_query_list(q);
	if (rc == IG_QUERY_USAGE)
		ig_die(IG_EXIT_USAGE, "%s", q->plan);
	if (rc)
		fail(rc);
	if (q->explain)
		ig_warn("plan: %s; predicate: %s; %ld read, %ld shown%s", q->plan[0] ? q->plan : "none",
		    !q->where ? "none" : q->native ? "native" : "jq", q->read, q->shown,
		    q->asked_jq && q->native ? ", some through jq" : "");
	if (q->count) {
		printf("%ld\n", q->shown);
		ig_check_stdout();
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "where", required_argument, NULL, 'w' },
		{ "jq", no_argument, NULL, 'j' },
		{ "scan", no_argument, NULL, 'S' },
		{ "of", required_argument, NULL, 'o' },
		{ "changed-since", required_argument, NULL, 'c' },
		{ "count", no_argument, NULL, 'n' },
		{ "limit", required_argument, NULL, 'l' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "explain", no_argument, NULL, 'e' },
		{ "deleted", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ig_query q = { .store = &store, .limit = -1 };
	const char *store_opt = NULL, *where_expr = NULL, *of = NULL, *cmd;
	char err[1024];
	int c, rc, jq_only = 0, scan = 0, listing;
	struct ig_pred *pred = NULL;

	while ((c = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1)
		switch (c) {
		case 's': store_opt = optarg; break;
		case 'w': where_expr = optarg; break;
		case 'j': jq_only = 1; break;
		case 'S': scan = 1; break;
		case 'o': of = optarg; break;
		case 'c': q.since = since_of(optarg); break;
		case 'n': q.count = 1; break;
		case 'l': q.limit = (long)ig_opt_number("--limit", optarg, 0, 1e15, 0); break;
		case 'r': q.reverse = 1; break;
		case 'e': q.explain = 1; break;
		case 'd': q.deleted = 1; break;
		case 'h': usage(0); break;
		default: usage(IG_EXIT_USAGE);
		}
	if (optind >= argc)
		usage(IG_EXIT_USAGE);
	cmd = argv[optind++];
	listing = strcmp(cmd, "list") == 0;
	if (!listing && (where_expr || of || q.since || q.count || q.limit >= 0 || q.reverse || q.explain || jq_only || scan))
		usage(IG_EXIT_USAGE);
	/* the native subset is jq's: what it parses, jq compiles; the rest
	 * jq judges now, so a bad expression is a usage error before anything
	 * is read */
	q.where = where_expr;
	if (where_expr && (pred = ig_pred_compile(where_expr))) {
		q.native = jq_only ? NULL : pred;
		q.planner = scan ? NULL : pred;
	}
	q.scan = scan;
	if (where_expr && (!pred || jq_only) && !(q.jq = ig_filter_new(where_expr, err, sizeof err)))
		ig_die(IG_EXIT_USAGE, "--where: %s", err);
	/* end the read transaction on a closed pipe instead of dying in it */
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(cmd, "get") == 0) {
		if (optind >= argc)
			usage(IG_EXIT_USAGE);
		get(&q, ig_store_default(store_opt), argc - optind, argv + optind);
		ig_close_stdout();
		return errors ? IG_EXIT_REJECT : IG_EXIT_OK;
	}
	if (ig_store_open(&store, ig_store_default(store_opt), 1, err, sizeof err))
		ig_die(IG_EXIT_SYSTEM, "%s", err);
	if ((rc = ig_store_begin(&store, 1, &txn)))
		fail(rc);
	q.txn = txn;
	if (listing) {
		if (optind + 1 != argc)
			usage(IG_EXIT_USAGE);
		list(&q, argv[optind], of);
	} else if (strcmp(cmd, "summary") == 0) {
		summary(argc - optind, argv + optind);
	} else if (strcmp(cmd, "export") == 0) {
		int *order = ig_malloc((size_t)store.m->ncolls * sizeof *order);

		if (optind != argc)
			usage(IG_EXIT_USAGE);
		/* parents before children, so the export imports as it is */
		ig_model_order(store.m, order);
		for (int i = 0; i < store.m->ncolls; i++)
			if ((rc = ig_query_scan_all(&q, &store.m->colls[order[i]])))
				fail(rc);
		free(order);
	} else {
		usage(IG_EXIT_USAGE);
	}
	mdb_txn_abort(txn);
	ig_store_close(&store);
	ig_filter_free(q.jq);
	ig_pred_free(pred);
	ig_pred_free(q.since_test);
	if (q.failed > 1)
		ig_warn("--where: failed on %ld records in all, each left out", q.failed);
	errors += q.failed;
	ig_close_stdout();
	return errors ? IG_EXIT_REJECT : IG_EXIT_OK;
}
