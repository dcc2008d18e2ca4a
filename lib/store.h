/* store.h - the LMDB store: one database per collection, one per index */
#ifndef IG_STORE_H
#define IG_STORE_H
#include <stdint.h>
#include <lmdb.h>

#include "model.h"

/* max key bytes LMDB takes */
#define IG_KEY_MAX 511
/* an index a store made before the model had it lacks, for a reader; the
 * next writer builds it (see open_dbs) */
#define IG_DBI_NONE ((MDB_dbi)~0u)

struct ig_store {
	MDB_env *env;
	const struct ig_model *m;
	char *path;
	int rdonly;
	MDB_dbi *colls;		/* per collection */
	MDB_dbi **indexes;	/* per collection, per index */
	int opened;		/* database handles are open */
	int missing;		/* a reader found no database for some collection */
	int claims;		/* a writer's claims file (claim.h), or -1 */
	int deriving;		/* record.c is writing a derived step: not derived again */
	MDB_dbi log, at, meta;	/* the change log (changes.h) */
	int logged;		/* the store has one */
	uint64_t log_next;	/* its next number, in write transaction log_txn */
	size_t log_txn;
};

/* -s DIR, else $IG_STORE, else $XDG_DATA_HOME/ig/store */
const char *ig_store_default(const char *opt);
/* opens (a writer creates) the store; returns 0 or an LMDB/errno code,
 * with the reason in err */
int ig_store_open(struct ig_store *s, const char *dir, int rdonly, char *err, size_t errlen);
/* For commands the store only helps (map_grids, a library): opens the
 * store read-only if it exists; 1 if open, 0 if there is none. One that
 * does not exist yet, or is being made by an ig-record further
 * down the pipe, holds nothing to look up. Dies (exit 3) if a store that is
 * there cannot be opened, or -s named none. */
int ig_store_open_optional(struct ig_store *s, const char *opt);
void ig_store_close(struct ig_store *s);
/* begins a transaction, following another process's map growth */
int ig_store_begin(struct ig_store *s, int rdonly, MDB_txn **txn);
/* doubles the map; no transaction of this process may be open */
int ig_store_grow(struct ig_store *s);
/* what a store error means: LMDB's words, but a short write on a full
 * file system (LMDB's EIO) is said to be that */
const char *ig_store_strerror(const struct ig_store *s, int rc);

/* A reader of records by id alone (ig-query get), without the model: the
 * store's collections are the named databases its own list holds that
 * are no index (no ':') and no log ("ig/"). The model's load is most of a
 * short process's time. */
struct ig_store_ids {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi *colls;
	int ncolls;
};
/* 0, or an LMDB/errno code with the reason in err; a store not there is ENOENT */
int ig_store_ids_open(struct ig_store_ids *s, const char *dir, char *err, size_t errlen);
/* each stored record with the id, to fn: how many there were, or -1 with
 * the LMDB error in *rc */
int ig_store_ids_get(struct ig_store_ids *s, const uint8_t id[16], void (*fn)(const MDB_val *, void *), void *ctx,
    int *rc);
void ig_store_ids_close(struct ig_store_ids *s);

/* the stored JSON of a record, or MDB_NOTFOUND */
int ig_store_get(struct ig_store *s, MDB_txn *txn, int coll, const uint8_t id[16], MDB_val *val);
/* the stored JSON of the record whose one-field unique key is value
 * (consumed), or MDB_NOTFOUND */
int ig_store_get_unique(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c,
    const char *field, jv value, MDB_val *val);
/* 1 if the record's serialized form says it is soft-deleted */
int ig_stored_deleted(const MDB_val *val);
/* where a stored record's own fields begin, past the base fields the
 * writer puts first (collection, id, created_at, updated_at, deleted_at,
 * is_deleted): the offset of the comma or brace after them, 0 if the text
 * is not laid out so */
size_t ig_stored_fields_at(const char *json, size_t n);

/* the index of c on field alone, or -1 */
int ig_index_on(const struct ig_collection *c, int field);
/* 1 if an index key begins with the leading fields prefix[0..plen): it is
 * them, or them and a separator and more */
int ig_index_key_begins(const MDB_val *k, const void *prefix, size_t plen);

/* the index key of a row: 0, 1 if a field is null (not indexed), -1 if too long */
int ig_index_key(const struct ig_collection *c, const struct ig_index *ix, const jv *row,
    uint8_t key[IG_KEY_MAX], size_t *len);

#endif
