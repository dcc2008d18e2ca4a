/* pg.c - the PostgreSQL catalogue's driver (sqldrv.h), through libpq
 *
 * PostgreSQL ends a transaction at its first error, so every row goes in
 * under a savepoint of its own: a row a constraint refuses is rolled back
 * alone and the rest of the transaction goes on, as in SQLite. The tables
 * are made under an advisory lock, since many hosts may start at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "buf.h"
#include "err.h"
#include "sqldrv.h"

#define SCHEMA_LOCK 7130429	/* pg_advisory_lock's key while the tables are made */

struct pg {
	PGconn *conn;
	const struct ig_model *m;
	struct ig_buf text;		/* the parameters' text, NUL-separated */
};

/* the server's message, its first line: it names no password */
static int
pg_error(const char *what, const char *msg, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %.*s", what, (int)strcspn(msg, "\n"), msg);
	return -1;
}

static int
pg_exec(void *db, const char *sql, char *err, size_t errlen)
{
	struct pg *p = db;
	PGresult *r = PQexec(p->conn, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		pg_error("postgres", PQerrorMessage(p->conn), err, errlen);
	PQclear(r);
	return ok ? 0 : -1;
}

static int
pg_query(void *db, const char *sql, ig_row_fn fn, void *ctx, char *err, size_t errlen)
{
	struct pg *p = db;
	PGresult *r = PQexec(p->conn, sql);
	int rows, cols, stop = 0;
	struct ig_cell *cells;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_error("query", PQerrorMessage(p->conn), err, errlen);
		PQclear(r);
		return -1;
	}
	rows = PQntuples(r);
	cols = PQnfields(r);
	cells = ig_malloc((size_t)(cols ? cols : 1) * sizeof *cells);
	for (int i = 0; i < rows && !stop; i++) {
		for (int k = 0; k < cols; k++) {
			memset(&cells[k], 0, sizeof cells[k]);
			if (PQgetisnull(r, i, k)) {
				cells[k].kind = IG_CELL_NULL;
			} else {
				cells[k].kind = IG_CELL_TEXT;
				cells[k].s = PQgetvalue(r, i, k);
				cells[k].n = (size_t)PQgetlength(r, i, k);
			}
		}
		stop = fn(ctx, cells, cols);
	}
	free(cells);
	PQclear(r);
	return stop < 0 ? -1 : 0;
}

static int
pg_upsert(void *db, const struct ig_collection *c, const struct ig_cell *cells, int n, char *err,
    size_t errlen)
{
	struct pg *p = db;
	const char **values = ig_malloc((size_t)n * sizeof *values);
	size_t *at = ig_malloc((size_t)n * sizeof *at);
	char name[32];
	PGresult *r;
	int rc = 0;

	p->text.len = 0;
	for (int k = 0; k < n; k++) {
		const struct ig_cell *x = &cells[k];

		at[k] = p->text.len;
		switch (x->kind) {
		case IG_CELL_NULL:
			at[k] = (size_t)-1;
			continue;
		case IG_CELL_INT:
			ig_buf_printf(&p->text, "%lld", (long long)x->i);
			break;
		case IG_CELL_BOOL:
			ig_buf_adds(&p->text, x->i ? "true" : "false");
			break;
		case IG_CELL_REAL:
			ig_buf_printf(&p->text, "%.17g", x->d);
			break;
		default:
			ig_buf_add(&p->text, x->s, x->n);
		}
		ig_buf_addc(&p->text, '\0');
	}
	for (int k = 0; k < n; k++)
		values[k] = at[k] == (size_t)-1 ? NULL : p->text.p + at[k];
	snprintf(name, sizeof name, "upsert_%d", c->index);
	if (pg_exec(p, "SAVEPOINT ig_row", err, errlen)) {
		rc = -1;
		goto out;
	}
	r = PQexecPrepared(p->conn, name, n, values, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_COMMAND_OK) {
		rc = pg_exec(p, "RELEASE SAVEPOINT ig_row", err, errlen);
	} else {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		/* integrity (23) and data (22) errors are the row's */
		rc = state && (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0) ? 1 : -1;
		pg_error(c->name, PQerrorMessage(p->conn), err, errlen);
		if (rc > 0) {
			char why[512];

			snprintf(why, sizeof why, "%s refuses it: %s", c->name, err + strlen(c->name) + 2);
			snprintf(err, errlen, "%s", why);
			if (pg_exec(p, "ROLLBACK TO SAVEPOINT ig_row", why, sizeof why))
				rc = -1;
		}
	}
	PQclear(r);
out:
	free(values);
	free(at);
	return rc;
}

/* the deferred foreign keys checked first, under a savepoint, so that a
 * failure leaves the transaction open to ask which rows */
static int
pg_commit(void *db, char *err, size_t errlen)
{
	struct pg *p = db;
	PGresult *r;
	const char *state;
	int rc;

	if (pg_exec(p, "SAVEPOINT ig_commit", err, errlen))
		return -1;
	r = PQexec(p->conn, "SET CONSTRAINTS ALL IMMEDIATE");
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : state && strcmp(state, "23503") == 0 ? 1 : -1;
	if (rc < 0)
		pg_error("commit", PQerrorMessage(p->conn), err, errlen);
	PQclear(r);
	if (rc > 0)
		return pg_exec(p, "ROLLBACK TO SAVEPOINT ig_commit", err, errlen) ? -1 : 1;
	return rc ? -1 : pg_exec(p, "COMMIT", err, errlen);
}

static void
pg_close(void *db)
{
	struct pg *p = db;

	if (!p)
		return;
	if (p->conn)
		PQfinish(p->conn);
	ig_buf_free(&p->text);
	free(p);
}

static void
quiet(void *arg, const char *message)
{
	(void)arg, (void)message;
}

static int
prepare_all(struct pg *p, char *err, size_t errlen)
{
	struct ig_buf q = { 0 };
	int rc = 0;

	for (int i = 0; !rc && i < p->m->ncolls; i++) {
		char name[32];
		PGresult *r;

		q.len = 0;
		ig_sql_upsert(&p->m->colls[i], IG_SQL_POSTGRES, &q);
		snprintf(name, sizeof name, "upsert_%d", i);
		r = PQprepare(p->conn, name, ig_buf_str(&q), 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pg_error(p->m->colls[i].name, PQerrorMessage(p->conn), err, errlen);
		PQclear(r);
	}
	ig_buf_free(&q);
	return rc;
}

/* a connection the server or the network dropped is made again, once a
 * failure asks: its prepared statements with it */
static int
pg_reconnect(void *db, char *err, size_t errlen)
{
	struct pg *p = db;

	if (PQstatus(p->conn) == CONNECTION_OK)
		return -1;
	PQreset(p->conn);
	if (PQstatus(p->conn) != CONNECTION_OK)
		return pg_error("reconnect", PQerrorMessage(p->conn), err, errlen);
	return prepare_all(p, err, errlen);
}

static const struct ig_sqldrv pg_drv = {
	IG_SQL_POSTGRES, pg_exec, pg_query, pg_upsert, pg_commit, pg_reconnect, pg_close,
};

void *
ig_pg_open(const struct ig_model *m, const char *conninfo, const struct ig_sqldrv **drv, char *err, size_t errlen)
{
	struct pg *p = ig_malloc(sizeof *p);
	struct ig_buf q = { 0 };
	char lock[64];
	int rc;

	memset(p, 0, sizeof *p);
	p->m = m;
	*drv = &pg_drv;
	p->conn = PQconnectdb(conninfo);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		pg_error("connect", PQerrorMessage(p->conn), err, errlen);
		pg_close(p);
		return NULL;
	}
	/* "already exists, skipping" and the like are not the user's */
	PQsetNoticeProcessor(p->conn, quiet, NULL);
	snprintf(lock, sizeof lock, "SELECT pg_advisory_lock(%d)", SCHEMA_LOCK);
	ig_sql_schema(m, IG_SQL_POSTGRES, &q);
	rc = pg_exec(p, lock, err, errlen) || pg_exec(p, ig_buf_str(&q), err, errlen);
	snprintf(lock, sizeof lock, "SELECT pg_advisory_unlock(%d)", SCHEMA_LOCK);
	rc = rc || pg_exec(p, lock, err, errlen);
	ig_buf_free(&q);
	rc = rc || prepare_all(p, err, errlen);
	if (rc) {
		pg_close(p);
		return NULL;
	}
	return p;
}
