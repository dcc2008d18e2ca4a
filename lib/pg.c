/* pg.c - the PostgreSQL catalogue's driver (sqldrv.h), through libpq
 *
 * PostgreSQL ends a transaction at its first error, so every row goes in
 * under a savepoint of its own: a row a constraint refuses is rolled back
 * alone and the rest of the transaction goes on, as in SQLite. That is
 * three round trips a row, so rows are COPY'd instead, as they come: into
 * their table while none is there yet, else into a temporary table a
 * collection, upserted from it at commit in one statement each. Only a
 * transaction a constraint refuses is put again row by row, to name its
 * lines. The tables are made under an advisory lock, since many
 * hosts may start at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "buf.h"
#include "err.h"
#include "pgcopy.h"
#include "sqldrv.h"

#define SCHEMA_LOCK 7130429	/* pg_advisory_lock's key while the tables are made */

struct pg {
	PGconn *conn;
	const struct ig_model *m;
	struct ig_buf text;		/* the parameters' text, NUL-separated */
	/* the transaction's rows, by collection: COPY's text rows, how far
	 * they are sent, and where to (copy_mode) */
	struct ig_buf *staged;
	size_t *sent;
	int *mode;
	int *direct;			/* rows go straight into the table: no conflict yet */
	long nstaged;
	int open;			/* the collection whose COPY is open, or -1 */
	enum ig_pg_bin **bin;		/* by collection, its columns' binary forms; NULL: text */
	int failed;			/* a COPY could not begin: flush says so */
};

enum copy_mode { COPY_NONE, COPY_DIRECT, COPY_STAGED };

static int copy_end(struct pg *p, char *err, size_t errlen);

/* a cell's text: a parameter's, or escaped for COPY's text format */
static void
cell_text(struct ig_buf *b, const struct ig_cell *x, int copy)
{
	switch (x->kind) {
	case IG_CELL_NULL:
		ig_buf_adds(b, "\\N");
		break;
	case IG_CELL_INT:
		ig_buf_printf(b, "%lld", (long long)x->i);
		break;
	case IG_CELL_BOOL:
		ig_buf_adds(b, x->i ? "true" : "false");
		break;
	case IG_CELL_REAL:
		ig_buf_printf(b, "%.17g", x->d);
		break;
	default:
		if (!copy) {
			ig_buf_add(b, x->s, x->n);
			break;
		}
		for (size_t i = 0, run = 0; i <= x->n; i++) {
			unsigned char ch = i < x->n ? (unsigned char)x->s[i] : 0;
			const char *esc = ch == '\\' ? "\\\\" : ch == '\n' ? "\\n" : ch == '\r' ? "\\r" :
			    ch == '\t' ? "\\t" : NULL;

			if (!esc && i < x->n)
				continue;
			ig_buf_add(b, x->s + run, i - run);
			if (esc)
				ig_buf_adds(b, esc);
			run = i + 1;
		}
	}
}

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
	PGresult *r;
	int ok;

	/* a statement in the middle of a COPY: the COPY ends, failed */
	if (p->open >= 0) {
		p->failed = 1;
		copy_end(p, err, errlen);
	}
	r = PQexec(p->conn, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

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

/* a statement's failure: 1 if it is the rows' (integrity, 23, or data,
 * 22), -1 if not; why in err */
static int
refusal(struct pg *p, PGresult *r, const char *what, char *err, size_t errlen)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	pg_error(what, PQerrorMessage(p->conn), err, errlen);
	return state && (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0) ? 1 : -1;
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
		at[k] = cells[k].kind == IG_CELL_NULL ? (size_t)-1 : p->text.len;
		if (cells[k].kind != IG_CELL_NULL) {
			cell_text(&p->text, &cells[k], 0);
			ig_buf_addc(&p->text, '\0');
		}
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
		rc = refusal(p, r, c->name, err, errlen);
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

/* the COPY of c's rows, into its table or its staging table; 0 or what
 * refusal says */
static int
copy_begin(struct pg *p, const struct ig_collection *c, int direct, char *err, size_t errlen)
{
	struct ig_buf q = { 0 };
	PGresult *r;
	int rc = 0;

	ig_sql_copy(c, direct, &q);
	if (p->bin[c->index])
		ig_buf_adds(&q, " WITH (FORMAT binary)");
	r = PQexec(p->conn, ig_buf_str(&q));
	if (PQresultStatus(r) != PGRES_COPY_IN)
		rc = refusal(p, r, c->name, err, errlen);
	PQclear(r);
	if (!rc && p->bin[c->index]) {
		q.len = 0;
		ig_pg_bin_header(&q);
		if (PQputCopyData(p->conn, q.p, (int)q.len) != 1)
			rc = pg_error(c->name, PQerrorMessage(p->conn), err, errlen);
	}
	ig_buf_free(&q);
	if (!rc) {
		p->open = c->index;
		p->mode[c->index] = direct ? COPY_DIRECT : COPY_STAGED;
	}
	return rc;
}

/* rows sent to the COPY open, as far as c's buffer goes: 0 or -1 */
static int
copy_send(struct pg *p, int c, char *err, size_t errlen)
{
	struct ig_buf *b = &p->staged[c];

	if (b->len > p->sent[c] && PQputCopyData(p->conn, b->p + p->sent[c], (int)(b->len - p->sent[c])) != 1)
		return pg_error(p->m->colls[c].name, PQerrorMessage(p->conn), err, errlen);
	p->sent[c] = b->len;
	return 0;
}

/* the COPY open ended: 0 or what refusal says */
static int
copy_end(struct pg *p, char *err, size_t errlen)
{
	const char *name;
	struct ig_buf end = { 0 };
	PGresult *r;
	int rc = 0, sent = 1;

	if (p->open < 0)
		return 0;
	name = p->m->colls[p->open].name;
	if (p->bin[p->open]) {
		ig_pg_bin_trailer(&end);
		sent = PQputCopyData(p->conn, end.p, (int)end.len) == 1;
		ig_buf_free(&end);
	}
	p->open = -1;
	if (!sent || PQputCopyEnd(p->conn, NULL) != 1)
		return pg_error(name, PQerrorMessage(p->conn), err, errlen);
	while ((r = PQgetResult(p->conn))) {
		if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = refusal(p, r, name, err, errlen);
		PQclear(r);
	}
	return rc;
}

/* A row goes to the COPY open for its collection as it comes, so that the
 * server takes it in while the next lines are read; a row of another
 * collection waits in its buffer until then. */
static int
pg_stage(void *db, const struct ig_collection *c, const struct ig_cell *cells, int n, char *err,
    size_t errlen)
{
	struct pg *p = db;
	struct ig_buf *b = &p->staged[c->index];
	const enum ig_pg_bin *bin = p->bin[c->index];
	size_t at = b->len;
	int rc;

	if (bin)
		ig_pg_bin_tuple(b, n);
	for (int k = 0; k < n; k++) {
		if (!bin) {
			cell_text(b, &cells[k], 1);
			ig_buf_addc(b, k + 1 < n ? '\t' : '\n');
		} else if (ig_pg_bin_field(b, bin[k], &cells[k]) != 0) {
			/* no binary form: the row by row path says what is wrong */
			b->len = at;
			p->failed = 1;
			return 0;
		}
	}
	p->nstaged++;
	if (p->open < 0 && !p->mode[c->index] && !p->failed) {
		if ((rc = copy_begin(p, c, p->direct[c->index], err, errlen)) > 0)
			p->failed = 1;	/* flush says so */
		else if (rc < 0)
			return -1;
	}
	return p->open == c->index ? copy_send(p, c->index, err, errlen) : 0;
}

static void
unstage(struct pg *p)
{
	for (int i = 0; i < p->m->ncolls; i++) {
		p->staged[i].len = 0;
		p->sent[i] = 0;
		p->mode[i] = 0;
	}
	p->nstaged = 0;
	p->failed = 0;
	p->open = -1;
}

/* A COPY straight into a table fails on a row already there, or an id
 * twice: the transaction is put again, that collection staged from then
 * on. A staging table's rows are upserted, the last of an id winning. */
static int
flush_all(struct pg *p, char *err, size_t errlen)
{
	struct ig_buf q = { 0 };
	int rc, open = p->open;

	if ((rc = copy_end(p, err, errlen)) != 0)
		goto refused;
	/* a row with no binary form, or a COPY that could not begin */
	if (p->failed)
		return 1;
	for (int i = 0; i < p->m->ncolls && !rc; i++) {
		if (p->staged[i].len <= p->sent[i])
			continue;
		open = i;
		if ((rc = copy_begin(p, &p->m->colls[i], p->mode[i] ? p->mode[i] == COPY_DIRECT : p->direct[i],
		    err, errlen)) || (rc = copy_send(p, i, err, errlen)) || (rc = copy_end(p, err, errlen)))
			goto refused;
	}
	for (int i = 0; i < p->m->ncolls && !rc; i++) {
		PGresult *r;

		if (p->mode[i] != COPY_STAGED)
			continue;
		q.len = 0;
		ig_sql_upsert_staged(&p->m->colls[i], &q);
		r = PQexec(p->conn, ig_buf_str(&q));
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = refusal(p, r, p->m->colls[i].name, err, errlen);
		PQclear(r);
	}
	ig_buf_free(&q);
	return rc;
refused:
	ig_buf_free(&q);
	if (rc < 0)
		return -1;
	if (open >= 0 && p->mode[open] == COPY_DIRECT) {
		p->direct[open] = 0;
		return IG_SQL_AGAIN;
	}
	return 1;
}

static int
pg_flush(void *db, char *err, size_t errlen)
{
	struct pg *p = db;
	int rc = p->nstaged ? flush_all(p, err, errlen) : 0;

	unstage(p);
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
	for (int i = 0; p->staged && i < p->m->ncolls; i++)
		ig_buf_free(&p->staged[i]);
	free(p->staged);
	free(p->sent);
	free(p->mode);
	free(p->direct);
	for (int i = 0; p->bin && i < p->m->ncolls; i++)
		free(p->bin[i]);
	free(p->bin);
	free(p);
}

static void
quiet(void *arg, const char *message)
{
	(void)arg, (void)message;
}

/* c's columns' binary forms, in COPY's order, as the server has their
 * types, to *out; NULL if one has none (its rows go as text). 0, or -1
 * if the server could not say. */
static int
binary_forms(struct pg *p, const struct ig_collection *c, enum ig_pg_bin **out, char *err, size_t errlen)
{
	int n = c->nfields + 2, rc = 0;
	enum ig_pg_bin *bin = ig_malloc((size_t)n * sizeof *bin);
	struct ig_buf q = { 0 };
	PGresult *r;

	for (int k = 0; k < n; k++)
		bin[k] = IG_PGB_NONE;
	ig_buf_printf(&q, "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
	    "WHERE attrelid = '%s'::regclass AND attnum > 0 AND NOT attisdropped", c->name);
	r = PQexec(p->conn, ig_buf_str(&q));
	ig_buf_free(&q);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = pg_error(c->name, PQerrorMessage(p->conn), err, errlen);
	for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++) {
		const char *name = PQgetvalue(r, i, 0);
		int k = strcmp(name, IG_SQL_NULLS) == 0 ? c->nfields : strcmp(name, IG_SQL_SOURCE) == 0 ?
		    c->nfields + 1 : ig_field_find(c, name);

		if (k >= 0)
			bin[k] = ig_pg_bin_of(PQgetvalue(r, i, 1));
	}
	PQclear(r);
	*out = bin;
	for (int k = 0; k < n; k++)
		if (bin[k] == IG_PGB_NONE) {
			free(bin);
			*out = NULL;
			break;
		}
	return rc;
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
		q.len = 0;
		ig_sql_stage(&p->m->colls[i], &q);
		rc = rc || pg_exec(p, ig_buf_str(&q), err, errlen);
		free(p->bin[i]);
		p->bin[i] = NULL;
		rc = rc || binary_forms(p, &p->m->colls[i], &p->bin[i], err, errlen);
	}
	ig_buf_free(&q);
	return rc;
}

/* a connection the server or the network dropped is made again, once a
 * failure asks: its prepared statements and staging tables with it, the
 * rows staged gone with the transaction */
static int
pg_reconnect(void *db, char *err, size_t errlen)
{
	struct pg *p = db;

	if (PQstatus(p->conn) == CONNECTION_OK)
		return -1;
	unstage(p);
	PQreset(p->conn);
	if (PQstatus(p->conn) != CONNECTION_OK)
		return pg_error("reconnect", PQerrorMessage(p->conn), err, errlen);
	return prepare_all(p, err, errlen);
}

static const struct ig_sqldrv pg_drv = {
	.dialect = IG_SQL_POSTGRES, .exec = pg_exec, .query = pg_query, .upsert = pg_upsert,
	.stage = pg_stage, .flush = pg_flush, .commit = pg_commit, .reconnect = pg_reconnect,
	.close = pg_close,
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
	p->staged = ig_malloc((size_t)m->ncolls * sizeof *p->staged);
	memset(p->staged, 0, (size_t)m->ncolls * sizeof *p->staged);
	p->sent = ig_malloc((size_t)m->ncolls * sizeof *p->sent);
	p->mode = ig_malloc((size_t)m->ncolls * sizeof *p->mode);
	p->direct = ig_malloc((size_t)m->ncolls * sizeof *p->direct);
	p->bin = ig_malloc((size_t)m->ncolls * sizeof *p->bin);
	memset(p->bin, 0, (size_t)m->ncolls * sizeof *p->bin);
	for (int i = 0; i < m->ncolls; i++)
		p->direct[i] = 1;
	unstage(p);
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
