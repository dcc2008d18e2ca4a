/* writer.h - record lines stored in batches, one write transaction each
 *
 * Lines are spooled in chunks. A chunk is prepared (parsed, checked, laid
 * out: ig_record_prepare), then applied in the open write transaction, which
 * is committed when it is big enough or when the caller flushes; then its
 * results are printed, so a line on stdout is a record that is stored. The
 * store's single write lock is held only while applying, never while waiting
 * for input.
 *
 * Once a chunk is cut for its size, more are likely to follow: from then on
 * chunks are prepared on one thread per CPU while the calling thread applies
 * them in input order, a few chunks in flight at most. Memory is bounded by
 * the transaction's lines and results and those few chunks.
 *
 * On MDB_MAP_FULL the map grows and the transaction starts over: the lines
 * it had applied are kept until it commits, and are prepared again.
 */
#ifndef IG_WRITER_H
#define IG_WRITER_H
#include <stdint.h>

#include "clock.h"
#include "json.h"
#include "spool.h"
#include "store.h"

struct ig_pool;
struct ig_preparer;

struct ig_chunk {
	struct ig_spool in;	/* lines, tagged with their file and line number */
	struct ig_spool *items;	/* one prepared item per line, while in flight */
	struct ig_now now;
	struct ig_chunk *next;	/* applied in the open transaction, or spare */
};

struct ig_writer {
	struct ig_store *store;
	int strict;		/* one transaction for everything */
	const char **names;	/* input names, by file number */
	int nnames;
	long rejected;		/* lines rejected so far */
	size_t pending;		/* lines not yet committed */
	int64_t pending_since_us;	/* when the first of them came */

	struct ig_chunk *chunk;	/* being filled */
	struct ig_pool *pool;	/* preparing threads, once started */
	struct ig_preparer *preparers;	/* one per thread */
	int threads;		/* the CPUs, once a chunk is full */
	struct ig_chunk *spare;	/* their buffers kept for reuse */
	struct ig_spool **spare_items;	/* so are those of items */
	int nspare_items, capspare_items;

	MDB_txn *txn;		/* open, or NULL */
	struct ig_chunk *applied, **applied_tail;	/* in txn, for a replay */
	size_t txn_lines, txn_bytes;
	int txn_rejected;
	struct ig_spool out;	/* results of txn, printed once it commits */

	struct ig_buf result;
	struct ig_members members;	/* the line being prepared or applied */
};

void ig_writer_init(struct ig_writer *w, struct ig_store *s, int strict);
/* input lines carry their file (an index into names) and line number */
int ig_writer_file(struct ig_writer *w, const char *name);
/* dies with IG_EXIT_SYSTEM on a store failure, here and in flush */
void ig_writer_add(struct ig_writer *w, int file, long lineno, const char *line, size_t len);
/* commit everything so far and print it, as when input pauses or ends
 * (with --strict: only at the end, all or nothing) */
void ig_writer_flush(struct ig_writer *w);
void ig_writer_free(struct ig_writer *w);

#endif
