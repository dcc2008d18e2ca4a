/* sqldrv.h - what sqlcat.c asks of a database: SQLite (sqlite.c) or
 * PostgreSQL (pg.c)
 *
 * A value crosses as a cell: NULL, or text, an integer, a number or a
 * boolean; text is what SQL types without a C type (uuid, timestamps, JSON)
 * are read and written as. Queries are sqlcat.c's, in the driver's dialect.
 */
#ifndef IG_SQLDRV_H
#define IG_SQLDRV_H
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "sqlschema.h"

#define IG_SQL_AGAIN 2

enum ig_cell_kind { IG_CELL_NULL, IG_CELL_TEXT, IG_CELL_INT, IG_CELL_REAL, IG_CELL_BOOL };

struct ig_cell {
	#define IG_SQL_AGAIN 2

enum ig_cell_kind kind;
	const char *s;		/* TEXT: not NUL-terminated */
	size_t n;
	int64_t i;		/* INT, BOOL */
	double d;		/* REAL */
};

/* a row of a query: its cells, valid until the next */
typedef int (*ig_row_fn)(void *ctx, const struct ig_cell *cells, int n);

struct ig_sqldrv {
	enum ig_sql_dialect dialect;
	/* statements without results: 0, or -1 with err */
	int (*exec)(void *db, const char *sql, char *err, size_t errlen);
	/* a query's rows to fn, every column as a cell */
	int (*query)(void *db, const char *sql, ig_row_fn fn, void *ctx, char *err, size_t errlen);
	/* a row upserted into c's table, a cell a column (its fields, then
	 * ig_nulls): 0, 1 refused by a constraint (err names it), -1 failed */
	int (*upsert)(void *db, const struct ig_collection *c, const struct ig_cell *cells, int n, char *err,
	    size_t errlen);
	/* NULL, or the faster way in: a row kept to go in with the rest of
	 * its transaction's at flush (0, or -1 failed) */
	int (*stage)(void *db, const struct ig_collection *c, const struct ig_cell *cells, int n, char *err,
	    size_t errlen);
	/* the rows staged put in, and let go: 0; 1 a constraint refuses one
	 * (which, the row by row upsert tells); IG_SQL_AGAIN the transaction
	 * is to be put again, staged otherwise; -1 failed. Not 0, the
	 * transaction is to be rolled back. */
	int (*flush)(void *db, char *err, size_t errlen);
	/* the open transaction committed: 0; 1 a foreign key refuses it and the
	 * transaction is still open, to query; -1 failed */
	int (*commit)(void *db, char *err, size_t errlen);
	/* after a failure: 0 if the connection was lost and is made again
	 * (the open transaction gone with it), -1 if not; NULL for a file */
	int (*reconnect)(void *db, char *err, size_t errlen);
	void (*close)(void *db);
};

/* sqlite.c: the catalogue at path; NULL with err */
void *ig_sqlite_open(const struct ig_model *m, const char *path, const struct ig_sqldrv **drv, char *err,
    size_t errlen);
/* pg.c: the database conninfo (a postgresql:// URI or libpq's key=value
 * words, PG* variables for the rest) names; NULL with err, which never
 * holds a password */
void *ig_pg_open(const struct ig_model *m, const char *conninfo, const struct ig_sqldrv **drv, char *err,
    size_t errlen);

#endif
