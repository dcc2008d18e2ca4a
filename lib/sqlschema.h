/* sqlschema.h - the SQL catalogue's tables, made from db/model
 *
 * A table a collection, named as the collection, a column a field, in model
 * order (the base fields first), with one more, ig_nulls: the fields the
 * record gave as null (a JSON array, or NULL), so that a row read back is
 * the record it came from, absent and null kept apart; and in PostgreSQL
 * ig_source (json, which keeps text as given), the record's JSON fields as
 * they came, since jsonb orders keys its own way: a row read back takes a
 * field from ig_source while the jsonb column still equals it. Seed 000's tables
 * (generations, metadata, batches) and seed 003's keep their names and
 * columns; ig's own fields are further columns. Every name is quoted, since
 * one field is called references. Types:
 *
 *   model      SQLite    PostgreSQL
 *   uuid       TEXT      UUID
 *   string     TEXT      VARCHAR(max_length), or TEXT
 *   timestamp  TEXT      TIMESTAMP WITH TIME ZONE
 *   integer    INTEGER   INTEGER (a field's pg_type may say BIGINT)
 *   number     REAL      FLOAT
 *   boolean    INTEGER   BOOLEAN
 *   object, array, json  TEXT (JSON)  JSONB
 *
 * Required fields are NOT NULL, defaults are DEFAULT, the model's unique
 * sets are UNIQUE indexes and its indexes (every reference has one: seed
 * 003's inline INDEX) are CREATE INDEX; references are foreign keys checked
 * at commit, so rows may come in any order within a transaction. Tables
 * come parents first.
 */
#ifndef IG_SQLSCHEMA_H
#define IG_SQLSCHEMA_H
#include <stdint.h>

#include "buf.h"
#include "model.h"

enum ig_sql_dialect { IG_SQL_SQLITE, IG_SQL_POSTGRES };

#define IG_SQL_NULLS "ig_nulls"	/* the column naming the fields given as null */
#define IG_SQL_SOURCE "ig_source"	/* PostgreSQL: the JSON fields' text as given (json keeps it) */

#define IG_SQL_SYNC "ig_sync"	/* ig-sql --changes: a store's id, the last change synced */

/* the DDL of every collection's table and indexes, and of ig_sync,
 * appended to out */
void ig_sql_schema(const struct ig_model *m, enum ig_sql_dialect d, struct ig_buf *out);
/* the upsert of a row of c: its fields, ig_nulls, and in PostgreSQL
 * ig_source, as parameters in order */
void ig_sql_upsert(const struct ig_collection *c, enum ig_sql_dialect d, struct ig_buf *out);
/* PostgreSQL's COPY (pg.c): c's staging table made, a temporary table
 * emptied at commit whose ig_ord numbers its rows as they come; the COPY
 * into c's table, or (direct 0) its staging table, a column a field, then
 * ig_nulls, ig_source; and the upsert of what the staging table holds
 * into c's table */
#define IG_SQL_STAGE "ig_stage_"
void ig_sql_stage(const struct ig_collection *c, struct ig_buf *out);
void ig_sql_copy(const struct ig_collection *c, int direct, struct ig_buf *out);
void ig_sql_upsert_staged(const struct ig_collection *c, struct ig_buf *out);
/* every row of c, a column a field then ig_nulls, as ig_sql_upsert wrote them */
void ig_sql_select(const struct ig_collection *c, enum ig_sql_dialect d, struct ig_buf *out);
/* store (a UUID's text) synced up to its change seq */
void ig_sql_mark(enum ig_sql_dialect d, const char *store, uint64_t seq, struct ig_buf *out);
/* the row id (a UUID's text) of c deleted, unless a row refers to it: as
 * the store purges */
void ig_sql_purge(const struct ig_model *m, const struct ig_collection *c, const char *id,
    struct ig_buf *out);
/* a field's column type */
const char *ig_sql_type(const struct ig_field *f, enum ig_sql_dialect d, char *buf, size_t n);

#endif
