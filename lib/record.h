/* record.h - storing records by the model's rules, inside a write transaction */
#ifndef IG_RECORD_H
#define IG_RECORD_H
#include <stddef.h>
#include <stdint.h>
#include <jv.h>
#include <lmdb.h>

#include "buf.h"
#include "store.h"

#define IG_REJECT (-1)

/* Store one record line (an object with "collection"); takes the values of in.
 * Returns 0 with the stored record's JSON in out, IG_REJECT with the reason
 * in err, or an LMDB error (MDB_MAP_FULL: grow the map and redo the txn). */
int ig_record_put(struct ig_store *s, MDB_txn *txn, struct ig_members *in, int64_t now_us,
    struct ig_buf *out, char *err, size_t errlen);

/* Remove soft-deleted records of collection c that no record refers to.
 * Adds the counts removed and kept to *purged and *kept. */
int ig_record_purge(struct ig_store *s, MDB_txn *txn, int c, long *purged, long *kept);

/* 1 if some record of any collection refers to id of collection c */
int ig_record_referenced(struct ig_store *s, MDB_txn *txn, int c, const uint8_t id[16], int *rc);

#endif
