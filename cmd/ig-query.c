/* ig-query - read records from the store */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "filter.h"
#include "json.h"
#include "store.h"
#include "uuid.h"

const char *ig_prog = "ig-query";

static struct ig_store store;
static MDB_txn *txn;
static struct ig_filter *where;
static int show_deleted;
static long errors, where_failed;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: ig-query [-s store] get [--deleted] id ...\n"
	    "       ig-query [-s store] list [--deleted] [--where expr] [--of id] collection\n"
	    "       ig-query [-s store] export\n");
	exit(code);
}

static void
fail(int rc)
{
	ig_die(IG_EXIT_SYSTEM, "store %s: %s", store.path, mdb_strerror(rc));
}

/* print a stored record if it passes the filters */
static void
emit(const MDB_val *val, int all)
{
	if (!all && !show_deleted && ig_stored_deleted(val))
		return;
	if (where) {
		char err[512];
		jv rec = ig_json_parse(val->mv_data, val->mv_size, err, sizeof err);
		int r = ig_filter_test(where, rec, err, sizeof err);

		/* the first failure is told; an expression that fails on one
		 * record mostly fails on all, and the rest are counted */
		if (r < 0 && where_failed++ == 0)
			ig_warn("--where: %s", err);
		if (r <= 0)
			return;
	}
	fwrite(val->mv_data, 1, val->mv_size, stdout);
	putchar('\n');
	ig_check_stdout();
}

static void
get(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		uint8_t id[16];
		int found = 0;

		if (ig_uuid_parse(argv[i], id) != 0) {
			ig_warn("not a UUID: %s", argv[i]);
			errors++;
			continue;
		}
		for (int c = 0; c < store.m->ncolls; c++) {
			MDB_val val;
			int rc = ig_store_get(&store, txn, c, id, &val);

			if (rc == MDB_NOTFOUND)
				continue;
			if (rc)
				fail(rc);
			if (!show_deleted && ig_stored_deleted(&val))
				continue;
			emit(&val, 1);
			found = 1;
		}
		if (!found) {
			ig_warn("no record %s", argv[i]);
			errors++;
		}
	}
}

/* records of collection c, oldest first: the created_at index */
static void
list_all(int c, int all)
{
	const struct ig_collection *col = &store.m->colls[c];
	int ix = -1;
	MDB_cursor *cur;
	MDB_val k, v, rec;
	int rc;

	for (int i = 0; i < col->nindexes; i++)
		if (col->indexes[i].nfields == 1 && col->indexes[i].fields[0] == col->f_created)
			ix = i;
	if (!store.opened || ix < 0)
		return;
	if ((rc = mdb_cursor_open(txn, store.indexes[c][ix], &cur)))
		fail(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((rc = ig_store_get(&store, txn, c, v.mv_data, &rec)))
			break;
		emit(&rec, all);
	}
	if (rc != MDB_NOTFOUND)
		fail(rc);
	mdb_cursor_close(cur);
}

/* records of collection c that refer to id, through each foreign key's index */
static void
list_of(int c, const uint8_t id[16])
{
	const struct ig_collection *col = &store.m->colls[c];
	int any = 0;

	for (int i = 0; i < col->nindexes && store.opened; i++) {
		const struct ig_index *ix = &col->indexes[i];
		int first = 1;
		MDB_cursor *cur;
		MDB_val k = { 16, (void *)id }, v, rec;
		int rc;

		/* one index per foreign key: the first that starts with it */
		if (col->fields[ix->fields[0]].ref < 0)
			continue;
		for (int j = 0; j < i; j++)
			if (col->indexes[j].fields[0] == ix->fields[0])
				first = 0;
		if (!first)
			continue;
		any = 1;
		if ((rc = mdb_cursor_open(txn, store.indexes[c][i], &cur)))
			fail(rc);
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
		    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			if (k.mv_size < 16 || memcmp(k.mv_data, id, 16) != 0 ||
			    (k.mv_size > 16 && ((char *)k.mv_data)[16] != '\0'))
				break;
			if ((rc = ig_store_get(&store, txn, c, v.mv_data, &rec)))
				break;
			emit(&rec, 0);
		}
		if (rc && rc != MDB_NOTFOUND)
			fail(rc);
		mdb_cursor_close(cur);
	}
	if (!any)
		ig_die(IG_EXIT_USAGE, "%s refers to no other collection", col->name);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "where", required_argument, NULL, 'w' },
		{ "of", required_argument, NULL, 'o' },
		{ "deleted", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *store_opt = NULL, *where_expr = NULL, *of = NULL, *cmd;
	char err[1024];
	int c, rc;

	while ((c = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1)
		switch (c) {
		case 's': store_opt = optarg; break;
		case 'w': where_expr = optarg; break;
		case 'o': of = optarg; break;
		case 'd': show_deleted = 1; break;
		case 'h': usage(0); break;
		default: usage(IG_EXIT_USAGE);
		}
	if (optind >= argc)
		usage(IG_EXIT_USAGE);
	cmd = argv[optind++];
	if (where_expr && !(where = ig_filter_new(where_expr, err, sizeof err)))
		ig_die(IG_EXIT_USAGE, "--where: %s", err);
	/* end the read transaction on a closed pipe instead of dying in it */
	signal(SIGPIPE, SIG_IGN);
	if (ig_store_open(&store, ig_store_default(store_opt), 1, err, sizeof err))
		ig_die(IG_EXIT_SYSTEM, "%s", err);
	if ((rc = ig_store_begin(&store, 1, &txn)))
		fail(rc);
	if (strcmp(cmd, "get") == 0) {
		if (optind >= argc || of)
			usage(IG_EXIT_USAGE);
		get(argc - optind, argv + optind);
	} else if (strcmp(cmd, "list") == 0) {
		const struct ig_collection *col;
		uint8_t id[16];

		if (optind + 1 != argc)
			usage(IG_EXIT_USAGE);
		if (!(col = ig_model_find(store.m, argv[optind])))
			ig_die(IG_EXIT_USAGE, "unknown collection: %s", argv[optind]);
		if (of && ig_uuid_parse(of, id) != 0)
			ig_die(IG_EXIT_USAGE, "--of: not a UUID: %s", of);
		if (of)
			list_of(col->index, id);
		else
			list_all(col->index, 0);
	} else if (strcmp(cmd, "export") == 0) {
		int *order = ig_malloc((size_t)store.m->ncolls * sizeof *order);

		if (optind != argc || of)
			usage(IG_EXIT_USAGE);
		/* parents before children, so the export imports as it is */
		ig_model_order(store.m, order);
		for (int i = 0; i < store.m->ncolls; i++)
			list_all(order[i], 1);
		free(order);
	} else {
		usage(IG_EXIT_USAGE);
	}
	mdb_txn_abort(txn);
	ig_store_close(&store);
	ig_filter_free(where);
	if (where_failed > 1)
		ig_warn("--where: failed on %ld records in all, each left out", where_failed);
	errors += where_failed;
	ig_close_stdout();
	return errors ? IG_EXIT_REJECT : IG_EXIT_OK;
}
