/* ig-record - validate record lines and store them */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "lines.h"
#include "record.h"
#include "writer.h"

const char *ig_prog = "ig-record";
static char outbuf[1u << 20];

/* what came is committed when input pauses, and at least once a second (the
 * writer commits by size too) */
#define COMMIT_US 1000000
#define IDLE_MS 100

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: ig-record [-s store] [--strict] [file ...]\n"
	    "       ig-record [-s store] --purge\n");
	exit(code);
}

static void
purge(struct ig_store *s)
{
	int *order = ig_malloc((size_t)s->m->ncolls * sizeof *order);
	long purged, kept;
	MDB_txn *txn;
	int rc;

	ig_model_order(s->m, order);
	for (;;) {
		purged = kept = 0;
		if ((rc = ig_store_begin(s, 0, &txn)))
			break;
		/* children before parents, so both can go in one run */
		for (int i = s->m->ncolls - 1; i >= 0 && !rc; i--)
			rc = ig_record_purge(s, txn, order[i], &purged, &kept);
		if (rc)
			mdb_txn_abort(txn);
		else
			rc = mdb_txn_commit(txn);
		if (rc != MDB_MAP_FULL || (rc = ig_store_grow(s)))
			break;
	}
	free(order);
	if (rc)
		ig_die(IG_EXIT_SYSTEM, "store %s: %s", s->path, ig_store_strerror(s, rc));
	printf("{\"purged\":%ld,\"kept\":%ld}\n", purged, kept);
}

/* records whose process ended while working on them are given back */
static void
recover(struct ig_store *s)
{
	long n = 0;
	int rc = ig_record_recover_all(s, &n);

	if (rc)
		ig_die(IG_EXIT_SYSTEM, "store %s: giving back abandoned records: %s", s->path, ig_store_strerror(s, rc));
	if (n)
		ig_warn("%ld record%s abandoned by a process that ended given back", n, n == 1 ? "" : "s");
}

static void
record_file(struct ig_writer *w, const char *path)
{
	struct ig_lines r;
	int file;
	char *line;
	ssize_t n;

	if (ig_lines_open(&r, path) != 0) {
		ig_warn("%s: %s", path, strerror(errno));
		w->rejected++;
		return;
	}
	file = ig_writer_file(w, strcmp(path, "-") == 0 ? "stdin" : path);
	for (;;) {
		if (!w->strict && w->pending && !ig_lines_buffered(&r)) {
			int64_t left = (w->pending_since_us + COMMIT_US - ig_now_us()) / 1000;

			/* input paused: make what came so far durable */
			if (left <= 0 || !ig_lines_wait(&r, left < IDLE_MS ? (int)left : IDLE_MS))
				ig_writer_flush(w);
		}
		if ((n = ig_lines_next(&r, &line)) == -1)
			break;
		if (n == -2)
			ig_die(IG_EXIT_SYSTEM, "%s: %s", path, strerror(errno));
		if (n == -3) {
			ig_lines_too_long(&r, strcmp(path, "-") == 0 ? "stdin" : path);
			w->rejected++;
			continue;
		}
		ig_writer_add(w, file, r.lineno, line, (size_t)n);
		if (!w->strict && ig_now_us() - w->pending_since_us >= COMMIT_US)
			ig_writer_flush(w);
	}
	ig_lines_close(&r);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "strict", no_argument, NULL, 'S' },
		{ "purge", no_argument, NULL, 'P' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *store_opt = NULL;
	int strict = 0, do_purge = 0, c;
	struct ig_store store;
	struct ig_writer w;
	char err[512];

	while ((c = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1)
		switch (c) {
		case 's': store_opt = optarg; break;
		case 'S': strict = 1; break;
		case 'P': do_purge = 1; break;
		case 'h': usage(0); break;
		default: usage(IG_EXIT_USAGE);
		}
	if (do_purge && (strict || optind < argc))
		usage(IG_EXIT_USAGE);
	/* a closed stdout is reported as a write error, not a silent death */
	signal(SIGPIPE, SIG_IGN);
	/* records go out a batch at a time, after its commit: one write each
	 * MiB, not each 4 KiB */
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	if (ig_store_open(&store, ig_store_default(store_opt), 0, err, sizeof err))
		ig_die(IG_EXIT_SYSTEM, "%s", err);
	if (do_purge) {
		purge(&store);
	} else {
		recover(&store);
		ig_writer_init(&w, &store, strict);
		if (optind == argc)
			record_file(&w, "-");
		for (int i = optind; i < argc; i++)
			record_file(&w, argv[i]);
		ig_writer_flush(&w);
		c = w.rejected ? IG_EXIT_REJECT : IG_EXIT_OK;
		ig_writer_free(&w);
		/* the writer upstream has ended: what it left unfinished goes back */
		recover(&store);
	}
	ig_store_close(&store);
	ig_close_stdout();
	return do_purge ? IG_EXIT_OK : c;
}
