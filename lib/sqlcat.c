/* sqlcat.c - a SQLite catalogue kept in step with record lines (sqlcat.h)
 *
 * The lines of the open transaction are kept: a commit that fails on a
 * foreign key is rolled back and the lines put again without those whose
 * parent is nowhere, so that nothing the catalogue held is lost with them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "err.h"
#include "json.h"
#include "sqlcat.h"
#include "sqlschema.h"
#include "uuid.h"

struct kept {
	size_t at, len;		/* the line, in lines */
	char file[256];
	long lineno;
	int table;		/* collection index */
	char id[IG_UUID_TEXT];
	int out;		/* refused at commit */
};

struct ig_sqlcat {
	sqlite3 *db;
	const struct ig_model *m;
	sqlite3_stmt **upsert;		/* by collection index */
	struct ig_buf lines;
	struct kept *kept;
	long nkept, capkept;
	int in_txn;
};

static int
db_error(struct ig_sqlcat *s, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

static int
exec(struct ig_sqlcat *s, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
prepare_upsert(struct ig_sqlcat *s, const struct ig_collection *c, char *err, size_t errlen)
{
	struct ig_buf q = { 0 };
	int rc;

	ig_buf_printf(&q, "INSERT INTO %s (", c->name);
	for (int i = 0; i < c->nfields; i++)
		ig_buf_printf(&q, "\"%s\", ", c->fields[i].name);
	ig_buf_printf(&q, "%s) VALUES (", IG_SQL_NULLS);
	for (int i = 0; i <= c->nfields; i++)
		ig_buf_adds(&q, i ? ", ?" : "?");
	ig_buf_adds(&q, ") ON CONFLICT (id) DO UPDATE SET ");
	for (int i = 0; i < c->nfields; i++)
		if (i != c->f_id)
			ig_buf_printf(&q, "\"%s\" = excluded.\"%s\", ", c->fields[i].name, c->fields[i].name);
	ig_buf_printf(&q, "%s = excluded.%s", IG_SQL_NULLS, IG_SQL_NULLS);
	rc = sqlite3_prepare_v2(s->db, ig_buf_str(&q), -1, &s->upsert[c->index], NULL);
	ig_buf_free(&q);
	return rc == SQLITE_OK ? 0 : db_error(s, c->name, err, errlen);
}

struct ig_sqlcat *
ig_sqlcat_open(const struct ig_model *m, const char *path, char *err, size_t errlen)
{
	struct ig_sqlcat *s = ig_malloc(sizeof *s);
	struct ig_buf ddl = { 0 };

	memset(s, 0, sizeof *s);
	s->m = m;
	s->upsert = ig_malloc((size_t)m->ncolls * sizeof *s->upsert);
	memset(s->upsert, 0, (size_t)m->ncolls * sizeof *s->upsert);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		db_error(s, path, err, errlen);
		ig_sqlcat_close(s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, 60000);
	ig_sql_schema(m, IG_SQL_SQLITE, &ddl);
	if (exec(s, "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;", err, errlen) ||
	    exec(s, ig_buf_str(&ddl), err, errlen)) {
		ig_buf_free(&ddl);
		ig_sqlcat_close(s);
		return NULL;
	}
	ig_buf_free(&ddl);
	for (int i = 0; i < m->ncolls; i++)
		if (prepare_upsert(s, &m->colls[i], err, errlen)) {
			ig_sqlcat_close(s);
			return NULL;
		}
	return s;
}

/* v into the statement's parameter k, as f's column holds it; 0, or -1
 * if it is not of the field's type */
static int
bind(sqlite3_stmt *st, int k, const struct ig_field *f, jv v, struct ig_buf *scratch)
{
	jv_kind kind = ig_kind(v);

	if (kind == JV_KIND_INVALID || kind == JV_KIND_NULL)
		return sqlite3_bind_null(st, k) == SQLITE_OK ? 0 : -1;
	switch (f->type) {
	case IG_T_STRING:
	case IG_T_UUID:
	case IG_T_TIMESTAMP:
		if (kind != JV_KIND_STRING)
			return -1;
		return sqlite3_bind_text(st, k, jv_string_value(v), jv_string_length_bytes(jv_copy(v)),
		    SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -1;
	case IG_T_INTEGER:
	case IG_T_NUMBER: {
		double d;

		if (kind != JV_KIND_NUMBER)
			return -1;
		d = jv_number_value(v);
		if (f->type == IG_T_INTEGER && d == (double)(sqlite3_int64)d)
			return sqlite3_bind_int64(st, k, (sqlite3_int64)d) == SQLITE_OK ? 0 : -1;
		return sqlite3_bind_double(st, k, d) == SQLITE_OK ? 0 : -1;
	}
	case IG_T_BOOLEAN:
		if (kind != JV_KIND_TRUE && kind != JV_KIND_FALSE)
			return -1;
		return sqlite3_bind_int(st, k, kind == JV_KIND_TRUE) == SQLITE_OK ? 0 : -1;
	default:
		scratch->len = 0;
		ig_json_write(scratch, v);
		return sqlite3_bind_text(st, k, scratch->p, (int)scratch->len, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -1;
	}
}

/* a kept line into its table: 0, 1 refused (why in err), -1 the database */
static int
apply(struct ig_sqlcat *s, const char *line, size_t n, int *table, char *id, char *err, size_t errlen)
{
	struct ig_members mem = { 0 };
	const struct ig_collection *c = NULL;
	sqlite3_stmt *st;
	struct ig_buf scratch = { 0 }, nulls = { 0 };
	jv coll, *row = NULL;
	uint8_t uid[16];
	int rc = 1, k;

	if (ig_json_parse_members(line, n, &mem, err, errlen) != 0) {
		if (!err[0])
			snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	coll = ig_member_get(&mem, "collection");
	if (ig_kind(coll) != JV_KIND_STRING || !(c = ig_model_find(s->m, jv_string_value(coll)))) {
		snprintf(err, errlen, "not a record of a collection the model has");
		goto out;
	}
	row = ig_row_new(c);
	if (ig_row_take(c, row, &mem, err, errlen) != 0)
		goto out;
	/* what ig-record would fill in a record it had never seen */
	ig_model_defaults(c, row);
	if (ig_kind(row[c->f_id]) != JV_KIND_STRING || ig_uuid_parse(jv_string_value(row[c->f_id]), uid) != 0) {
		snprintf(err, errlen, "a record needs a UUID id");
		goto out;
	}
	*table = c->index;
	snprintf(id, IG_UUID_TEXT, "%s", jv_string_value(row[c->f_id]));
	st = s->upsert[c->index];
	for (k = 0; k < c->nfields; k++) {
		if (ig_kind(row[k]) == JV_KIND_NULL) {
			ig_buf_adds(&nulls, nulls.len ? "," : "[");
			ig_json_write_string(&nulls, c->fields[k].name, c->fields[k].namelen);
		}
		if (bind(st, k + 1, &c->fields[k], row[k], &scratch) != 0) {
			snprintf(err, errlen, "%s is not what its column holds", c->fields[k].name);
			goto reset;
		}
	}
	if (nulls.len)
		ig_buf_addc(&nulls, ']');
	if ((nulls.len ? sqlite3_bind_text(st, k + 1, nulls.p, (int)nulls.len, SQLITE_TRANSIENT) :
	    sqlite3_bind_null(st, k + 1)) != SQLITE_OK) {
		rc = db_error(s, c->name, err, errlen);
		goto reset;
	}
	switch (sqlite3_step(st)) {
	case SQLITE_DONE:
		rc = 0;
		break;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
		snprintf(err, errlen, "%s refuses it: %s", c->name, sqlite3_errmsg(s->db));
		break;
	default:
		rc = db_error(s, c->name, err, errlen);
	}
reset:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
out:
	if (row)
		ig_row_free(c, row);
	ig_members_free(&mem);
	ig_buf_free(&scratch);
	ig_buf_free(&nulls);
	return rc;
}

int
ig_sqlcat_put(struct ig_sqlcat *s, const char *file, long lineno, const char *line, size_t n, char *err,
    size_t errlen)
{
	struct kept *k;
	char lerr[512] = "";
	int rc;

	if (!s->in_txn) {
		if (exec(s, "BEGIN", err, errlen))
			return -1;
		s->in_txn = 1;
	}
	if (s->nkept == s->capkept) {
		s->capkept = s->capkept ? s->capkept * 2 : 1024;
		s->kept = ig_realloc(s->kept, (size_t)s->capkept * sizeof *s->kept);
	}
	k = &s->kept[s->nkept];
	memset(k, 0, sizeof *k);
	rc = apply(s, line, n, &k->table, k->id, lerr, sizeof lerr);
	if (rc < 0) {
		snprintf(err, errlen, "%s", lerr);
		return -1;
	}
	if (rc > 0) {
		ig_err_at(file, lineno, "%s", lerr);
		return 1;
	}
	k->at = s->lines.len;
	k->len = n;
	snprintf(k->file, sizeof k->file, "%s", file);
	k->lineno = lineno;
	ig_buf_add(&s->lines, line, n);
	s->nkept++;
	return 0;
}

/* the kept lines whose rows name a parent that is nowhere, marked out */
static int
orphans(struct ig_sqlcat *s, long *refused, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int found = 0, rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
		return db_error(s, "foreign_key_check", err, errlen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(st, 0);
		const char *parent = (const char *)sqlite3_column_text(st, 2);
		sqlite3_int64 rowid = sqlite3_column_int64(st, 1);
		char q[300], id[IG_UUID_TEXT] = "";
		sqlite3_stmt *idq;

		snprintf(q, sizeof q, "SELECT id FROM %s WHERE rowid = ?", table ? table : "");
		if (sqlite3_prepare_v2(s->db, q, -1, &idq, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(idq, 1, rowid);
			if (sqlite3_step(idq) == SQLITE_ROW && sqlite3_column_text(idq, 0))
				snprintf(id, sizeof id, "%s", (const char *)sqlite3_column_text(idq, 0));
			sqlite3_finalize(idq);
		}
		for (long i = 0; i < s->nkept; i++) {
			struct kept *k = &s->kept[i];

			if (!k->out && strcmp(k->id, id) == 0 && table && strcmp(s->m->colls[k->table].name, table) == 0) {
				k->out = 1;
				found = 1;
				(*refused)++;
				ig_err_at(k->file, k->lineno, "%s %s names a %s row that is nowhere", table, id,
				    parent ? parent : "parent");
			}
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(s, "foreign_key_check", err, errlen);
	return found;
}

/* the transaction again, without the lines marked out: what the
 * catalogue held before it is as it was */
static int
replay(struct ig_sqlcat *s, char *err, size_t errlen)
{
	char lerr[512], id[IG_UUID_TEXT];
	int table;

	if (exec(s, "BEGIN", err, errlen))
		return -1;
	for (long i = 0; i < s->nkept; i++) {
		struct kept *k = &s->kept[i];

		if (!k->out && apply(s, s->lines.p + k->at, k->len, &table, id, lerr, sizeof lerr) != 0) {
			snprintf(err, errlen, "%s", lerr);
			return -1;
		}
	}
	return 0;
}

int
ig_sqlcat_commit(struct ig_sqlcat *s, long *refused, char *err, size_t errlen)
{
	int rc;

	if (!s->in_txn)
		return 0;
	/* at commit every row of the transaction is in: the foreign keys
	 * still broken name parents that are nowhere */
	while (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		if (sqlite3_extended_errcode(s->db) != SQLITE_CONSTRAINT_FOREIGNKEY)
			return db_error(s, "commit", err, errlen);
		if ((rc = orphans(s, refused, err, errlen)) <= 0) {
			if (rc == 0)
				snprintf(err, errlen, "commit: a foreign key fails on no row it can name");
			return -1;
		}
		if (exec(s, "ROLLBACK", err, errlen) || replay(s, err, errlen))
			return -1;
	}
	s->in_txn = 0;
	s->nkept = 0;
	s->lines.len = 0;
	return 0;
}

/* a column of a row back as the field's value; nulls names the fields
 * that were given as null */
static jv
value_of(sqlite3_stmt *st, int k, const struct ig_field *f, jv nulls)
{
	const char *text;
	char err[256];

	if (sqlite3_column_type(st, k) == SQLITE_NULL) {
		int null = 0;

		if (ig_kind(nulls) == JV_KIND_ARRAY)
			jv_array_foreach(nulls, i, name) {
				null |= ig_kind(name) == JV_KIND_STRING && strcmp(jv_string_value(name), f->name) == 0;
				jv_free(name);
			}
		return null ? jv_null() : jv_invalid();
	}
	switch (f->type) {
	case IG_T_STRING:
	case IG_T_UUID:
	case IG_T_TIMESTAMP:
		return jv_string_sized((const char *)sqlite3_column_text(st, k), sqlite3_column_bytes(st, k));
	case IG_T_INTEGER:
	case IG_T_NUMBER:
		return sqlite3_column_type(st, k) == SQLITE_INTEGER ? jv_number((double)sqlite3_column_int64(st, k)) :
		    jv_number(sqlite3_column_double(st, k));
	case IG_T_BOOLEAN:
		return jv_bool(sqlite3_column_int(st, k) != 0);
	default:
		text = (const char *)sqlite3_column_text(st, k);
		return ig_json_parse(text, (size_t)sqlite3_column_bytes(st, k), err, sizeof err);
	}
}

int
ig_sqlcat_dump(struct ig_sqlcat *s, char *err, size_t errlen)
{
	int order[s->m->ncolls];
	struct ig_buf out = { 0 };

	ig_model_order(s->m, order);
	for (int o = 0; o < s->m->ncolls; o++) {
		const struct ig_collection *c = &s->m->colls[order[o]];
		sqlite3_stmt *st;
		struct ig_buf q = { 0 };
		int rc;

		ig_buf_adds(&q, "SELECT ");
		for (int i = 0; i < c->nfields; i++)
			ig_buf_printf(&q, "\"%s\", ", c->fields[i].name);
		ig_buf_printf(&q, "%s FROM %s ORDER BY id", IG_SQL_NULLS, c->name);
		rc = sqlite3_prepare_v2(s->db, ig_buf_str(&q), -1, &st, NULL);
		ig_buf_free(&q);
		if (rc != SQLITE_OK)
			return db_error(s, c->name, err, errlen);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			jv *row = ig_row_new(c), nulls = jv_invalid();
			char perr[256];

			if (sqlite3_column_type(st, c->nfields) == SQLITE_TEXT)
				nulls = ig_json_parse((const char *)sqlite3_column_text(st, c->nfields),
				    (size_t)sqlite3_column_bytes(st, c->nfields), perr, sizeof perr);
			for (int i = 0; i < c->nfields; i++)
				row[i] = value_of(st, i, &c->fields[i], nulls);
			ig_jv_free(nulls);
			out.len = 0;
			ig_model_write(&out, c, row);
			ig_put_line(out.p, out.len);
			ig_row_free(c, row);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return db_error(s, c->name, err, errlen);
	}
	ig_buf_free(&out);
	return 0;
}

void
ig_sqlcat_close(struct ig_sqlcat *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->m->ncolls; i++)
		if (s->upsert[i])
			sqlite3_finalize(s->upsert[i]);
	free(s->upsert);
	if (s->db)
		sqlite3_close(s->db);
	ig_buf_free(&s->lines);
	free(s->kept);
	free(s);
}
