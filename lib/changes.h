/* changes.h - the store's change log: what changed, in the order written
 *
 * Every record put or purged takes the next number of the store's log:
 * ig/changes maps the number (8 bytes, big-endian) to the record's id, an
 * op and its collection's name; ig/changed maps a record (id, collection)
 * to its number, so that its earlier entry goes. The log holds each record
 * once, where it last changed, and each purged record once more, as a
 * tombstone: it is as long as the store, not its history. Numbers only
 * grow, never taken twice: ig/meta's "last" is the last given (an aborted
 * transaction may leave a gap). A reader that keeps the
 * last number it took reads on from there (ig-sql --changes), and
 * ig/meta's "id", made with the store, tells it which store it read.
 * A store made before the log has its records entered when a writer first
 * opens it.
 */
#ifndef IG_CHANGES_H
#define IG_CHANGES_H
#include <stdint.h>

#include "store.h"
#include "uuid.h"

#define IG_CHANGE_PUT 'p'
#define IG_CHANGE_PURGE 'x'
#define IG_CHANGE_NEW 'n'	/* to note: a put of an id made just now, never logged */

struct ig_change {
	uint64_t seq;
	int op;			/* IG_CHANGE_PUT, IG_CHANGE_PURGE */
	int coll;		/* collection index, or -1 if the model has it no more */
	uint8_t id[16];
};

/* the databases opened (made, for a writer); 0 or an LMDB code. A reader
 * of a store without them has s->logged 0. */
int ig_changes_open(struct ig_store *s, MDB_txn *txn);
/* record id of collection c was put, or purged: it takes the next number
 * (op IG_CHANGE_NEW is logged as a put) */
int ig_changes_note(struct ig_store *s, MDB_txn *txn, int c, const uint8_t id[16], int op);
/* the store's id */
int ig_changes_store_id(struct ig_store *s, MDB_txn *txn, char id[IG_UUID_TEXT]);
/* the entries after number after, in order, at most max, to fn (which
 * stops them by returning nonzero); *n says how many; 0 or an LMDB code */
int ig_changes_after(struct ig_store *s, MDB_txn *txn, uint64_t after, long max,
    int (*fn)(void *ctx, const struct ig_change *ch), void *ctx, long *n);

#endif
