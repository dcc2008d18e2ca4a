/* ig-sql - a SQL catalogue of the store's records, kept in step */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lines.h"
#include "model.h"
#include "sqlcat.h"
#include "sqlschema.h"
#include "sqlsync.h"
#include "store.h"

const char *ig_prog = "ig-sql";

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: ig-sql sqlite:PATH|postgresql://...|conninfo [file ...]\n"
	    "       ig-sql [-s store] --changes DATABASE\n"
	    "       ig-sql --dump DATABASE\n"
	    "       ig-sql --schema sqlite|postgres\n");
	exit(code);
}

struct sync {
	struct ig_sqlcat *cat;
	long lines, refused;
	int failed;
	char err[512];
};

static void
sync_line(void *ctx, const char *name, long lineno, char *line, size_t n)
{
	struct sync *s = ctx;
	int rc;

	if (s->failed)
		return;
	rc = ig_sqlcat_put(s->cat, name, lineno, line, n, s->err, sizeof s->err);
	if (rc < 0)
		s->failed = 1;
	else if (rc > 0)
		s->refused++;
	else if (++s->lines % IG_SQL_BATCH == 0 &&
	    ig_sqlcat_commit(s->cat, &s->refused, s->err, sizeof s->err) != 0)
		s->failed = 1;
}

/* the database's name for messages: a password in a URI or a conninfo
 * never shows */
static const char *
shown(const char *db)
{
	static char out[1024];
	const char *at = strchr(db, '@'), *scheme = strstr(db, "://"), *pw = strstr(db, "password");

	snprintf(out, sizeof out, "%s", db);
	if (scheme && at && at > scheme) {
		const char *colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));

		if (colon)
			snprintf(out, sizeof out, "%.*s:***%s", (int)(colon - db), db, at);
	} else if (pw) {
		snprintf(out, sizeof out, "%.*spassword=***", (int)(pw - db), db);
	}
	return out;
}

/* the store's changes since the catalogue's mark, and a line saying how many */
static void
sync_changes(struct sync *s, const char *dir, const char *db)
{
	struct ig_store st;
	long synced = 0;

	if (ig_store_open(&st, ig_store_default(dir), 1, s->err, sizeof s->err) != 0)
		ig_die(IG_EXIT_SYSTEM, "%s", s->err);
	if (ig_sql_sync_store(s->cat, &st, &synced, &s->refused, s->err, sizeof s->err) != 0)
		ig_die(IG_EXIT_SYSTEM, "%s: %s; what was committed is marked, the rest goes in next time", db,
		    s->err);
	printf("{\"changes\":%ld,\"refused\":%ld}\n", synced, s->refused);
	ig_store_close(&st);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "schema", required_argument, NULL, 'S' },
		{ "dump", no_argument, NULL, 'D' },
		{ "changes", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *schema = NULL, *store_dir = NULL;
	int dump = 0, changes = 0, c;
	struct sync s = { 0 };
	char *stdin_only[] = { "-" };

	while ((c = getopt_long(argc, argv, "hs:", longopts, NULL)) != -1)
		switch (c) {
		case 's': store_dir = optarg; break;
		case 'C': changes = 1; break;
		case 'S': schema = optarg; break;
		case 'D': dump = 1; break;
		case 'h': usage(0); break;
		default: usage(IG_EXIT_USAGE);
		}
	if (schema) {
		struct ig_buf ddl = { 0 };

		if (optind != argc || dump || changes)
			usage(IG_EXIT_USAGE);
		if (strcmp(schema, "sqlite") != 0 && strcmp(schema, "postgres") != 0)
			ig_die(IG_EXIT_USAGE, "--schema is sqlite or postgres, not %s", schema);
		ig_sql_schema(ig_model(), strcmp(schema, "sqlite") == 0 ? IG_SQL_SQLITE : IG_SQL_POSTGRES, &ddl);
		fwrite(ddl.p, 1, ddl.len, stdout);
		ig_buf_free(&ddl);
		ig_close_stdout();
		return 0;
	}
	if (optind >= argc || ((dump || changes) && optind + 1 != argc) || (dump && changes) ||
	    (store_dir && !changes))
		usage(IG_EXIT_USAGE);
	if (strncmp(argv[optind], "sqlite:", 7) == 0 && !argv[optind][7])
		ig_die(IG_EXIT_USAGE, "sqlite: names a file: sqlite:PATH");
	if (!(s.cat = ig_sqlcat_open(ig_model(), argv[optind], s.err, sizeof s.err)))
		ig_die(IG_EXIT_SYSTEM, "%s: %s", shown(argv[optind]), s.err);
	if (dump) {
		if (ig_sqlcat_dump(s.cat, s.err, sizeof s.err) != 0)
			ig_die(IG_EXIT_SYSTEM, "%s: %s", shown(argv[optind]), s.err);
	} else if (changes) {
		sync_changes(&s, store_dir, shown(argv[optind]));
	} else {
		s.refused += ig_lines_each(optind + 1 < argc ? argv + optind + 1 : stdin_only,
		    optind + 1 < argc ? argc - optind - 1 : 1, sync_line, &s);
		if (!s.failed && ig_sqlcat_commit(s.cat, &s.refused, s.err, sizeof s.err) != 0)
			s.failed = 1;
		if (s.failed)
			ig_die(IG_EXIT_SYSTEM, "%s: %s; the open transaction is not applied", shown(argv[optind]), s.err);
	}
	ig_sqlcat_close(s.cat);
	ig_close_stdout();
	return s.refused ? IG_EXIT_REJECT : IG_EXIT_OK;
}
