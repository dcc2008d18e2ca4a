/* sqlite.c - the SQLite catalogue's driver (sqldrv.h), through libsqlite3 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "err.h"
#include "sqldrv.h"

struct lite {
	sqlite3 *db;
	const struct ig_model *m;
	sqlite3_stmt **upsert;		/* by collection index */
};

static int
lite_error(struct lite *l, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(l->db));
	return -1;
}

static int
lite_exec(void *db, const char *sql, char *err, size_t errlen)
{
	struct lite *l = db;
	char *msg = NULL;

	if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(l->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static void
cell_of(sqlite3_stmt *st, int k, struct ig_cell *c)
{
	memset(c, 0, sizeof *c);
	switch (sqlite3_column_type(st, k)) {
	case SQLITE_NULL:
		c->kind = IG_CELL_NULL;
		break;
	case SQLITE_INTEGER:
		c->kind = IG_CELL_INT;
		c->i = sqlite3_column_int64(st, k);
		break;
	case SQLITE_FLOAT:
		c->kind = IG_CELL_REAL;
		c->d = sqlite3_column_double(st, k);
		break;
	default:
		c->kind = IG_CELL_TEXT;
		c->s = (const char *)sqlite3_column_text(st, k);
		c->n = (size_t)sqlite3_column_bytes(st, k);
	}
}

static int
lite_query(void *db, const char *sql, ig_row_fn fn, void *ctx, char *err, size_t errlen)
{
	struct lite *l = db;
	sqlite3_stmt *st;
	struct ig_cell *cells;
	int rc, n, stop = 0;

	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK)
		return lite_error(l, "query", err, errlen);
	n = sqlite3_column_count(st);
	cells = ig_malloc((size_t)(n ? n : 1) * sizeof *cells);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int k = 0; k < n; k++)
			cell_of(st, k, &cells[k]);
		stop = fn(ctx, cells, n);
	}
	free(cells);
	sqlite3_finalize(st);
	if (!stop && rc != SQLITE_DONE)
		return lite_error(l, "query", err, errlen);
	return stop < 0 ? -1 : 0;
}

static int
bind(sqlite3_stmt *st, int k, const struct ig_cell *c)
{
	switch (c->kind) {
	case IG_CELL_NULL:
		return sqlite3_bind_null(st, k);
	case IG_CELL_INT:
	case IG_CELL_BOOL:
		return sqlite3_bind_int64(st, k, c->i);
	case IG_CELL_REAL:
		return sqlite3_bind_double(st, k, c->d);
	default:
		return sqlite3_bind_text(st, k, c->s, (int)c->n, SQLITE_TRANSIENT);
	}
}

static int
lite_upsert(void *db, const struct ig_collection *c, const struct ig_cell *cells, int n, char *err,
    size_t errlen)
{
	struct lite *l = db;
	sqlite3_stmt *st = l->upsert[c->index];
	int rc = 0;

	for (int k = 0; k < n && !rc; k++)
		if (bind(st, k + 1, &cells[k]) != SQLITE_OK)
			rc = lite_error(l, c->name, err, errlen);
	if (!rc)
		switch (sqlite3_step(st)) {
		case SQLITE_DONE:
			break;
		case SQLITE_CONSTRAINT:
		case SQLITE_MISMATCH:
		case SQLITE_TOOBIG:
			snprintf(err, errlen, "%s refuses it: %s", c->name, sqlite3_errmsg(l->db));
			rc = 1;
			break;
		default:
			rc = lite_error(l, c->name, err, errlen);
		}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* a failed COMMIT on a deferred foreign key leaves the transaction open */
static int
lite_commit(void *db, char *err, size_t errlen)
{
	struct lite *l = db;

	if (sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	if (sqlite3_extended_errcode(l->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
		return 1;
	return lite_error(l, "commit", err, errlen);
}

static void
lite_close(void *db)
{
	struct lite *l = db;

	if (!l)
		return;
	for (int i = 0; l->upsert && i < l->m->ncolls; i++)
		if (l->upsert[i])
			sqlite3_finalize(l->upsert[i]);
	free(l->upsert);
	if (l->db)
		sqlite3_close(l->db);
	free(l);
}

static const struct ig_sqldrv lite_drv = {
	.dialect = IG_SQL_SQLITE, .exec = lite_exec, .query = lite_query, .upsert = lite_upsert,
	.commit = lite_commit, .close = lite_close,
};

void *
ig_sqlite_open(const struct ig_model *m, const char *path, const struct ig_sqldrv **drv, char *err,
    size_t errlen)
{
	struct lite *l = ig_malloc(sizeof *l);
	struct ig_buf q = { 0 };

	memset(l, 0, sizeof *l);
	l->m = m;
	*drv = &lite_drv;
	if (sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		lite_error(l, path, err, errlen);
		lite_close(l);
		return NULL;
	}
	sqlite3_busy_timeout(l->db, 60000);
	ig_sql_schema(m, IG_SQL_SQLITE, &q);
	if (lite_exec(l, "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA cache_size = -65536;", err, errlen) ||
	    lite_exec(l, ig_buf_str(&q), err, errlen)) {
		ig_buf_free(&q);
		lite_close(l);
		return NULL;
	}
	l->upsert = ig_malloc((size_t)m->ncolls * sizeof *l->upsert);
	memset(l->upsert, 0, (size_t)m->ncolls * sizeof *l->upsert);
	for (int i = 0; i < m->ncolls; i++) {
		q.len = 0;
		ig_sql_upsert(&m->colls[i], IG_SQL_SQLITE, &q);
		if (sqlite3_prepare_v2(l->db, ig_buf_str(&q), -1, &l->upsert[i], NULL) != SQLITE_OK) {
			lite_error(l, m->colls[i].name, err, errlen);
			ig_buf_free(&q);
			lite_close(l);
			return NULL;
		}
	}
	ig_buf_free(&q);
	return l;
}
