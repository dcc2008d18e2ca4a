/* writer.c - batched, replayable application of record lines */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "json.h"
#include "record.h"
#include "writer.h"

/* results in the out spool: the tag's low bits say which kind */
enum { OUT_RECORD, OUT_ERROR };
#define LINE_BITS 40

void
ig_writer_init(struct ig_writer *w, struct ig_store *s, int strict)
{
	memset(w, 0, sizeof *w);
	w->store = s;
	w->strict = strict;
	ig_spool_init(&w->in, strict);
	ig_spool_init(&w->out, strict);
}

int
ig_writer_file(struct ig_writer *w, const char *name)
{
	w->names = ig_realloc(w->names, (size_t)(w->nnames + 1) * sizeof *w->names);
	w->names[w->nnames] = name;
	return w->nnames++;
}

void
ig_writer_add(struct ig_writer *w, int file, long lineno, const char *line, size_t len)
{
	if (w->in.count == 0)
		w->batch_start_us = ig_now_us();
	ig_spool_add(&w->in, (long)file << LINE_BITS | lineno, line, len);
}

/* one line: its result goes to the out spool; returns an LMDB error or 0 */
static int
apply(struct ig_writer *w, MDB_txn *txn, long tag, const char *line, size_t len,
    int64_t now_us, int *rejected)
{
	char err[1024];
	int rc;

	if (strspn(line, " \t\r") == len)
		return 0;	/* blank lines carry nothing */
	rc = ig_json_parse_members(line, len, &w->members, err, sizeof err);
	if (rc < 0)
		goto reject;
	if (rc > 0) {
		snprintf(err, sizeof err, "not a JSON object");
		goto reject;
	}
	if (!jv_is_valid(ig_member_get(&w->members, "collection"))) {
		/* not a record: pass it on untouched */
		ig_spool_add(&w->out, tag << 1 | OUT_RECORD, line, len);
		return 0;
	}
	w->rec.len = 0;
	rc = ig_record_put(w->store, txn, &w->members, now_us, &w->rec, err, sizeof err);
	if (rc == IG_REJECT)
		goto reject;
	if (rc)
		return rc;
	ig_spool_add(&w->out, tag << 1 | OUT_RECORD, w->rec.p, w->rec.len);
	return 0;
reject:
	(*rejected)++;
	ig_spool_add(&w->out, tag << 1 | OUT_ERROR, err, strlen(err));
	return 0;
}

void
ig_writer_flush(struct ig_writer *w)
{
	struct ig_store *s = w->store;
	MDB_txn *txn;
	long tag;
	const char *p;
	size_t n;
	int rc, rejected;

	if (w->in.count == 0)
		return;
	for (;;) {
		int64_t now_us = ig_now_us();

		rejected = 0;
		ig_spool_clear(&w->out);
		if ((rc = ig_store_begin(s, 0, &txn)))
			ig_die(IG_EXIT_SYSTEM, "store %s: %s", s->path, mdb_strerror(rc));
		ig_spool_rewind(&w->in);
		while (!rc && ig_spool_next(&w->in, &tag, &p, &n))
			rc = apply(w, txn, tag, p, n, now_us, &rejected);
		if (!rc && w->strict && rejected) {
			mdb_txn_abort(txn);
			break;
		}
		if (rc)
			mdb_txn_abort(txn);
		else
			rc = mdb_txn_commit(txn);
		if (rc == MDB_MAP_FULL) {
			if ((rc = ig_store_grow(s)))
				ig_die(IG_EXIT_SYSTEM, "store %s: growing the map: %s", s->path, mdb_strerror(rc));
			continue;
		}
		if (rc)
			ig_die(IG_EXIT_SYSTEM, "store %s: %s", s->path, mdb_strerror(rc));
		break;
	}
	w->rejected += rejected;
	ig_spool_rewind(&w->out);
	while (ig_spool_next(&w->out, &tag, &p, &n)) {
		long line = (tag >> 1) & ((1L << LINE_BITS) - 1);
		int file = (int)(tag >> (LINE_BITS + 1));

		if ((tag & 1) == OUT_ERROR) {
			ig_err_at(w->names[file], line, "%s", p);
		} else if (!(w->strict && rejected)) {
			ig_put_line(p, n);
		}
	}
	if (w->strict && rejected)
		ig_warn("--strict: %d line%s rejected, nothing stored", rejected,
		    rejected == 1 ? "" : "s");
	fflush(stdout);
	ig_check_stdout();
	ig_spool_clear(&w->in);
	ig_spool_clear(&w->out);
}

void
ig_writer_free(struct ig_writer *w)
{
	ig_spool_free(&w->in);
	ig_spool_free(&w->out);
	ig_buf_free(&w->rec);
	ig_members_free(&w->members);
	free(w->names);
}
