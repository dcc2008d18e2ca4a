/* record.h - storing records by the model's rules, inside a write transaction */
#ifndef IG_RECORD_H
#define IG_RECORD_H
#include <stddef.h>
#include <stdint.h>
#include <jv.h>
#include <lmdb.h>

#include "buf.h"
#include "clock.h"
#include "model.h"
#include "store.h"

#define IG_REJECT (-1)

/*
 * A line is stored in two steps, so that the first can run on other threads
 * while the store writes:
 *
 * ig_record_prepare needs no store: it parses the line, checks it as a new
 * record against model m (a thread's own: see ig_model_new) and appends one
 * prepared item to item.
 *
 * ig_record_apply, in the write transaction, stores the item. Where the store
 * knows better (the id is stored already, a reference or a unique key fails)
 * it applies line itself under every rule, updates and transitions included.
 * result is the stored record, or the reason for the rejection. Returns 0 or
 * an LMDB error (MDB_MAP_FULL: grow the map and apply the batch again).
 */
/* what became of a line */
enum ig_applied { IG_STORED, IG_PASSED, IG_REJECTED, IG_BLANK };
void ig_record_prepare(const struct ig_model *m, const char *line, size_t len,
    const struct ig_now *now, struct ig_members *scratch, struct ig_buf *item);
int ig_record_apply(struct ig_store *s, MDB_txn *txn, const char *item, size_t itemlen,
    const char *line, size_t len, const struct ig_now *now, struct ig_members *scratch,
    struct ig_buf *result, enum ig_applied *outcome);

/* Inside the record code (record.c, upkeep.c): the stored row of a record
 * (MDB_NOTFOUND if none), and one record put from members under every rule
 * (IG_REJECT with the reason in err, or an LMDB error). */
int ig_record_load(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c,
    const uint8_t id[16], jv **row);
int ig_record_put(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c,
    struct ig_members *in, const struct ig_now *now, struct ig_buf *out, char *err,
    size_t errlen);

/* derive.c: after row (old, the stored row before, or NULL) of c was put,
 * the derived fields of its parents, and its own, brought in step */
int ig_derive_after_put(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c, const uint8_t id[16],
    const jv *old, const jv *row, const struct ig_now *now, char *err, size_t errlen);
/* 1 if a new row of c moves a derived field: the rule book writes it */
int ig_derives_on(const struct ig_model *m, const struct ig_collection *c, const jv *row);

/* Give back every record the model says is being worked on whose claim no
 * live process holds (claim.h): the store's own counterpart of LMDB's stale
 * reader check, run by writers as they open and close the store. Adds the
 * records given back to *n. */
/* the ids of c's records whose field is value (a uuid field's value as
 * its text; 16 bytes each, appended to ids), through a one-field index on
 * it, else one that begins with it; MDB_NOTFOUND if there is none */
int ig_record_ids_at(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c, int field,
    const char *value, struct ig_buf *ids);
/* each stored record those ids name, in turn, to fn (its stored JSON);
 * fn's non-zero return, or an LMDB error, ends it and is returned. None
 * when c has no index on the field. */
int ig_record_each_at(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c, int field,
    const char *value, int (*fn)(const MDB_val *rec, void *ctx), void *ctx);
int ig_record_recover(struct ig_store *s, MDB_txn *txn, const struct ig_now *now, long *n);
/* the same in a transaction of its own, growing the map as needed; 0 or an
 * LMDB/errno code */
int ig_record_recover_all(struct ig_store *s, long *n);

/* Remove soft-deleted records of collection c that no record refers to.
 * Adds the counts removed and kept to *purged and *kept. */
int ig_record_purge(struct ig_store *s, MDB_txn *txn, int c, long *purged, long *kept);

/* 1 if some record of any collection refers to id of collection c */
int ig_record_referenced(struct ig_store *s, MDB_txn *txn, int c, const uint8_t id[16], int *rc);

#endif
