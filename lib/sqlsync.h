/* sqlsync.h - a SQL catalogue kept in step with a store's change log
 *
 * What changed in the store (changes.h) since the catalogue last synced it
 * goes in, IG_SQL_BATCH changes a transaction, each transaction recording
 * in ig_sync how far it took the store: a run stopped anywhere leaves a
 * catalogue that says how far it is, and the next one goes on from there.
 * A record put is upserted as its stored line; a record purged is
 * deleted, unless a row refers to it. Each batch is read in a read
 * transaction of its own, so that writers are not held up.
 */
#ifndef IG_SQLSYNC_H
#define IG_SQLSYNC_H
#include "sqlcat.h"
#include "store.h"

/* the store's changes since the catalogue's mark: 0, or -1 (err); lines
 * refused are said as STORE:N (N the change's number) and counted in
 * *refused, and *synced counts the changes taken */
int ig_sql_sync_store(struct ig_sqlcat *cat, struct ig_store *st, long *synced, long *refused, char *err,
    size_t errlen);

#endif
