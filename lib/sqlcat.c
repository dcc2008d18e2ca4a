/* sqlcat.c - a SQL catalogue kept in step with record lines (sqlcat.h)
 *
 * The lines of the open transaction are kept: a commit that fails on a
 * foreign key is rolled back and the lines put again without those whose
 * parent is nowhere, so that nothing the catalogue held is lost with them.
 * A driver that stages rows (PostgreSQL's COPY) takes them as they come
 * and applies them at commit, deletes after them; if a constraint refuses
 * that, the transaction is put again row by row, which names the lines
 * refused. The database is a driver's (sqldrv.h):
 * SQLite or PostgreSQL.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "sqlcat.h"
#include "sqldrv.h"
#include "uuid.h"

struct kept {
	size_t at, len;		/* the line, in lines */
	char file[256];
	long lineno;
	int table;		/* collection index */
	char id[IG_UUID_TEXT];
	int out;		/* refused at commit */
	int purge;		/* the row deleted (table, id), not a line put */
};

struct ig_sqlcat {
	const struct ig_sqldrv *drv;
	void *db;
	const struct ig_model *m;
	struct ig_buf lines;
	struct kept *kept;
	long nkept, capkept;
	int in_txn;
	int retried;		/* the connection was made again in this transaction */
	int exact;		/* rows go in one by one, not staged, in this transaction */
	long late;		/* lines refused as the transaction was put again */
	char mark_store[IG_UUID_TEXT];	/* set at commit: store synced up to mark_seq */
	uint64_t mark_seq;
};

struct ig_sqlcat *
ig_sqlcat_open(const struct ig_model *m, const char *name, char *err, size_t errlen)
{
	struct ig_sqlcat *s = ig_malloc(sizeof *s);

	memset(s, 0, sizeof *s);
	s->m = m;
	s->db = strncmp(name, "sqlite:", 7) == 0 ? ig_sqlite_open(m, name + 7, &s->drv, err, errlen) :
	    ig_pg_open(m, name, &s->drv, err, errlen);
	if (!s->db) {
		free(s);
		return NULL;
	}
	return s;
}

/* rows go in staged, at commit (else one by one, as they come) */
static int
staged(const struct ig_sqlcat *s)
{
	return s->drv->stage && !s->exact;
}

/* v as f's column holds it, into c (text in scratch); 0, or -1 if it is
 * not of the field's type */
static int
cell_from(struct ig_cell *c, const struct ig_field *f, jv v, struct ig_buf *scratch)
{
	jv_kind kind = ig_kind(v);

	memset(c, 0, sizeof *c);
	if (kind == JV_KIND_INVALID || kind == JV_KIND_NULL)
		return 0;
	switch (f->type) {
	case IG_T_STRING:
	case IG_T_UUID:
	case IG_T_TIMESTAMP:
		if (kind != JV_KIND_STRING)
			return -1;
		c->kind = IG_CELL_TEXT;
		c->s = jv_string_value(v);
		c->n = (size_t)jv_string_length_bytes(jv_copy(v));
		return 0;
	case IG_T_INTEGER:
	case IG_T_NUMBER:
		if (kind != JV_KIND_NUMBER)
			return -1;
		c->d = jv_number_value(v);
		if (f->type == IG_T_INTEGER && c->d >= -9.2e18 && c->d <= 9.2e18 && c->d == (double)(int64_t)c->d) {
			c->kind = IG_CELL_INT;
			c->i = (int64_t)c->d;
		} else {
			c->kind = IG_CELL_REAL;
		}
		return 0;
	case IG_T_BOOLEAN:
		if (kind != JV_KIND_TRUE && kind != JV_KIND_FALSE)
			return -1;
		c->kind = IG_CELL_BOOL;
		c->i = kind == JV_KIND_TRUE;
		return 0;
	default:
		c->kind = IG_CELL_TEXT;
		c->i = (int64_t)scratch->len;	/* where, until scratch stops growing */
		ig_json_write(scratch, v);
		c->n = scratch->len - (size_t)c->i;
		return 0;
	}
}

/* 1 if jsonb gives v back as it is, so that ig_source need not hold it:
 * every object's keys in jsonb's order (shorter first, then bytewise), and
 * no -0, which numeric makes 0 */
static int
jsonb_keeps(jv v)
{
	int keeps = 1;

	switch (ig_kind(v)) {
	case JV_KIND_OBJECT: {
		const char *last = NULL;
		int last_len = 0;

		jv_object_foreach(v, key, val) {
			const char *k = jv_string_value(key);
			int len = jv_string_length_bytes(jv_copy(key));

			if (last && (len < last_len || (len == last_len && memcmp(last, k, (size_t)len) >= 0)))
				keeps = 0;
			last = k;	/* the key lives as long as v */
			last_len = len;
			keeps = keeps && jsonb_keeps(val);
			jv_free(key);
			jv_free(val);
		}
		return keeps;
	}
	case JV_KIND_ARRAY:
		jv_array_foreach(v, i, el) {
			keeps = keeps && jsonb_keeps(el);
			jv_free(el);
		}
		return keeps;
	case JV_KIND_NUMBER:
		return !(jv_number_value(v) == 0 && signbit(jv_number_value(v)));
	default:
		return 1;
	}
}

static int
is_json(const struct ig_field *f)
{
	return f->type == IG_T_OBJECT || f->type == IG_T_ARRAY || f->type == IG_T_JSON;
}

/* a line into its table: 0, 1 refused (why in err), -1 the database */
static int
apply(struct ig_sqlcat *s, const char *line, size_t n, int *table, char *id, char *err, size_t errlen)
{
	struct ig_members mem = { 0 };
	const struct ig_collection *c = NULL;
	struct ig_buf scratch = { 0 }, nulls = { 0 }, source = { 0 };
	struct ig_cell *cells = NULL;
	jv coll, *row = NULL;
	uint8_t uid[16];
	int rc = 1, k, ncells;

	err[0] = '\0';
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
	ncells = c->nfields + (s->drv->dialect == IG_SQL_POSTGRES ? 2 : 1);
	cells = ig_malloc((size_t)ncells * sizeof *cells);
	for (k = 0; k < c->nfields; k++) {
		const struct ig_field *f = &c->fields[k];

		if (ig_kind(row[k]) == JV_KIND_NULL) {
			ig_buf_adds(&nulls, nulls.len ? "," : "[");
			ig_json_write_string(&nulls, f->name, f->namelen);
		} else if (is_json(f) && ig_kind(row[k]) != JV_KIND_INVALID && s->drv->dialect == IG_SQL_POSTGRES &&
		    !jsonb_keeps(row[k])) {
			ig_buf_adds(&source, source.len ? "," : "{");
			ig_json_write_string(&source, f->name, f->namelen);
			ig_buf_addc(&source, ':');
			ig_json_write(&source, row[k]);
		}
		if (cell_from(&cells[k], f, row[k], &scratch) != 0) {
			snprintf(err, errlen, "%s is not what its column holds", f->name);
			goto out;
		}
	}
	/* JSON cells point into scratch, now that it has stopped growing */
	for (int i = 0; i < c->nfields; i++)
		if (is_json(&c->fields[i]) && cells[i].kind == IG_CELL_TEXT)
			cells[i].s = scratch.p + cells[i].i;
	if (nulls.len)
		ig_buf_addc(&nulls, ']');
	if (source.len)
		ig_buf_addc(&source, '}');
	cells[k] = (struct ig_cell){ nulls.len ? IG_CELL_TEXT : IG_CELL_NULL, nulls.p, nulls.len, 0, 0 };
	if (ncells > k + 1)
		cells[k + 1] = (struct ig_cell){ source.len ? IG_CELL_TEXT : IG_CELL_NULL, source.p, source.len, 0, 0 };
	rc = staged(s) ? s->drv->stage(s->db, c, cells, ncells, err, errlen) :
	    s->drv->upsert(s->db, c, cells, ncells, err, errlen);
out:
	if (row)
		ig_row_free(c, row);
	free(cells);
	ig_members_free(&mem);
	ig_buf_free(&scratch);
	ig_buf_free(&nulls);
	ig_buf_free(&source);
	return rc;
}

static int replay(struct ig_sqlcat *s, char *err, size_t errlen);
static int again(struct ig_sqlcat *s, char *err, size_t errlen);

/* the row deleted as the store purged it: 0, or -1 */
static int
purge_row(struct ig_sqlcat *s, int table, const char *id, char *err, size_t errlen)
{
	struct ig_buf q = { 0 };
	int rc;

	ig_sql_purge(s->m, &s->m->colls[table], id, &q);
	rc = s->drv->exec(s->db, ig_buf_str(&q), err, errlen);
	ig_buf_free(&q);
	return rc;
}

/* a new kept entry, cleared */
static struct kept *
keep(struct ig_sqlcat *s)
{
	if (s->nkept == s->capkept) {
		s->capkept = s->capkept ? s->capkept * 2 : 1024;
		s->kept = ig_realloc(s->kept, (size_t)s->capkept * sizeof *s->kept);
	}
	memset(&s->kept[s->nkept], 0, sizeof *s->kept);
	return &s->kept[s->nkept];
}

static int
begin(struct ig_sqlcat *s, char *err, size_t errlen)
{
	if (!s->in_txn) {
		if (s->drv->exec(s->db, "BEGIN", err, errlen) && again(s, err, errlen))
			return -1;
		s->in_txn = 1;
	}
	return 0;
}

/* after a failure: a lost connection made again, once a transaction, and
 * the transaction's lines put again; 0, or -1 (err says why) */
static int
again(struct ig_sqlcat *s, char *err, size_t errlen)
{
	char why[512];

	if (s->retried || !s->drv->reconnect || s->drv->reconnect(s->db, why, sizeof why) != 0)
		return -1;
	ig_warn("%s; connected again, the open transaction is put again", err);
	s->retried = 1;
	return replay(s, err, errlen);
}

int
ig_sqlcat_put(struct ig_sqlcat *s, const char *file, long lineno, const char *line, size_t n, char *err,
    size_t errlen)
{
	struct kept *k;
	char lerr[512] = "";
	int rc;

	if (begin(s, err, errlen))
		return -1;
	k = keep(s);
	rc = apply(s, line, n, &k->table, k->id, lerr, sizeof lerr);
	if (rc < 0 && again(s, lerr, sizeof lerr) == 0) {
		k = keep(s);
		rc = apply(s, line, n, &k->table, k->id, lerr, sizeof lerr);
	}
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

int
ig_sqlcat_remove(struct ig_sqlcat *s, const char *file, long lineno, int table, const char *id, char *err,
    size_t errlen)
{
	struct kept *k;
	int rc = 0;

	if (begin(s, err, errlen))
		return -1;
	/* staged rows go in at commit, and so do deletes, after them */
	if (!staged(s) && (rc = purge_row(s, table, id, err, errlen)) && (rc = again(s, err, errlen)) == 0)
		rc = purge_row(s, table, id, err, errlen);
	if (rc)
		return -1;
	k = keep(s);
	k->purge = 1;
	k->table = table;
	snprintf(k->id, sizeof k->id, "%s", id);
	snprintf(k->file, sizeof k->file, "%s", file);
	k->lineno = lineno;
	s->nkept++;
	return 0;
}

static int
mark_row(void *ctx, const struct ig_cell *cells, int n)
{
	uint64_t *seq = ctx;
	char num[32];

	if (n != 1 || cells[0].kind == IG_CELL_NULL)
		return -1;
	if (cells[0].kind == IG_CELL_INT) {
		*seq = (uint64_t)cells[0].i;
		return 0;
	}
	snprintf(num, sizeof num, "%.*s", (int)(cells[0].n < 31 ? cells[0].n : 31), cells[0].s);
	*seq = strtoull(num, NULL, 10);
	return 0;
}

int
ig_sqlcat_mark(struct ig_sqlcat *s, const char *store, uint64_t *seq, char *err, size_t errlen)
{
	struct ig_buf q = { 0 };
	int rc;

	*seq = 0;
	ig_buf_printf(&q, "SELECT seq FROM " IG_SQL_SYNC " WHERE store = '%s'", store);
	rc = s->drv->query(s->db, ig_buf_str(&q), mark_row, seq, err, errlen);
	ig_buf_free(&q);
	return rc;
}

void
ig_sqlcat_set_mark(struct ig_sqlcat *s, const char *store, uint64_t seq)
{
	snprintf(s->mark_store, sizeof s->mark_store, "%s", store);
	s->mark_seq = seq;
}

/* the mark set, in the transaction about to commit */
static int
put_mark(struct ig_sqlcat *s, char *err, size_t errlen)
{
	struct ig_buf q = { 0 };
	int rc;

	if (!s->mark_store[0])
		return 0;
	ig_sql_mark(s->drv->dialect, s->mark_store, s->mark_seq, &q);
	rc = s->drv->exec(s->db, ig_buf_str(&q), err, errlen);
	ig_buf_free(&q);
	return rc;
}

struct orphan_scan {
	struct ig_sqlcat *s;
	const struct ig_collection *c;
	const char *parent;
	long *refused;
	int found;
};

static int
orphan_row(void *ctx, const struct ig_cell *cells, int n)
{
	struct orphan_scan *o = ctx;
	char id[IG_UUID_TEXT];

	if (n < 1 || cells[0].kind != IG_CELL_TEXT)
		return 0;
	snprintf(id, sizeof id, "%.*s", (int)cells[0].n, cells[0].s);
	for (long i = 0; i < o->s->nkept; i++) {
		struct kept *k = &o->s->kept[i];

		if (!k->out && !k->purge && k->table == o->c->index && strcmp(k->id, id) == 0) {
			k->out = 1;
			o->found = 1;
			(*o->refused)++;
			ig_err_at(k->file, k->lineno, "%s %s names a %s row that is nowhere", o->c->name, id, o->parent);
		}
	}
	return 0;
}

/* the kept lines whose rows name a parent that is nowhere, marked out:
 * 1 if there were any */
static int
orphans(struct ig_sqlcat *s, long *refused, char *err, size_t errlen)
{
	struct orphan_scan o = { .s = s, .refused = refused };
	struct ig_buf q = { 0 };
	int rc = 0;

	for (int ci = 0; ci < s->m->ncolls && !rc; ci++) {
		const struct ig_collection *c = &s->m->colls[ci];

		for (int f = 0; f < c->nfields && !rc; f++) {
			const char *parent;

			if (c->fields[f].ref < 0)
				continue;
			parent = s->m->colls[c->fields[f].ref].name;
			q.len = 0;
			ig_buf_printf(&q, "SELECT c.\"id\"%s FROM %s c WHERE c.\"%s\" IS NOT NULL AND NOT EXISTS "
			    "(SELECT 1 FROM %s p WHERE p.\"id\" = c.\"%s\")", s->drv->dialect == IG_SQL_POSTGRES ?
			    "::text" : "", c->name, c->fields[f].name, parent, c->fields[f].name);
			o.c = c;
			o.parent = parent;
			rc = s->drv->query(s->db, ig_buf_str(&q), orphan_row, &o, err, errlen);
		}
	}
	ig_buf_free(&q);
	return rc ? -1 : o.found;
}

/* the transaction again, without the lines marked out: what the
 * catalogue held before it is as it was. Put row by row, a line a
 * constraint refuses is said and marked out. */
static int
replay(struct ig_sqlcat *s, char *err, size_t errlen)
{
	char lerr[512], id[IG_UUID_TEXT];
	int table, rc;

	if (s->drv->exec(s->db, "BEGIN", err, errlen))
		return -1;
	for (long i = 0; i < s->nkept; i++) {
		struct kept *k = &s->kept[i];

		if (k->out || (k->purge && staged(s)))
			continue;
		if (k->purge)
			rc = purge_row(s, k->table, k->id, lerr, sizeof lerr);
		else
			rc = apply(s, s->lines.p + k->at, k->len, &table, id, lerr, sizeof lerr);
		if (rc == 0)
			continue;
		if (rc < 0) {
			snprintf(err, errlen, "%s", lerr);
			return -1;
		}
		ig_err_at(k->file, k->lineno, "%s", lerr);
		k->out = 1;
		s->late++;
	}
	return 0;
}

/* the staged rows put in, then the deletes kept for after them: 0, or -1
 * (err says why). Refused, the transaction is put again row by row. */
static int
flush(struct ig_sqlcat *s, char *err, size_t errlen)
{
	int rc;

	while (staged(s) && (rc = s->drv->flush(s->db, err, errlen)) != 0) {
		if (rc < 0 && again(s, err, errlen) == 0)
			continue;
		if (rc < 0)
			return -1;
		if (rc != IG_SQL_AGAIN)
			s->exact = 1;
		if (s->drv->exec(s->db, "ROLLBACK", err, errlen) || replay(s, err, errlen))
			return -1;
	}
	for (long i = 0; s->drv->stage && !s->exact && i < s->nkept; i++)
		if (s->kept[i].purge && !s->kept[i].out && purge_row(s, s->kept[i].table, s->kept[i].id, err, errlen))
			return -1;
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
	for (;;) {
		if (flush(s, err, errlen))
			return -1;
		if ((rc = put_mark(s, err, errlen)) == 0 && (rc = s->drv->commit(s->db, err, errlen)) == 0)
			break;
		if (rc < 0 && again(s, err, errlen) == 0)
			continue;
		if (rc < 0)
			return -1;
		if ((rc = orphans(s, refused, err, errlen)) <= 0) {
			if (rc == 0)
				snprintf(err, errlen, "commit: a foreign key fails on no row it can name");
			return -1;
		}
		if (s->drv->exec(s->db, "ROLLBACK", err, errlen) || replay(s, err, errlen))
			return -1;
	}
	*refused += s->late;
	s->late = 0;
	s->in_txn = 0;
	s->retried = 0;
	s->exact = 0;
	s->mark_store[0] = '\0';
	s->nkept = 0;
	s->lines.len = 0;
	return 0;
}

/* a cell read back as the field's value; nulls names the fields that
 * were given as null */
static jv
value_of(const struct ig_cell *x, const struct ig_field *f, jv nulls)
{
	char err[256], num[64];

	if (x->kind == IG_CELL_NULL) {
		int null = 0;

		if (ig_kind(nulls) == JV_KIND_ARRAY)
			jv_array_foreach(nulls, i, name) {
				null |= ig_kind(name) == JV_KIND_STRING && strcmp(jv_string_value(name), f->name) == 0;
				jv_free(name);
			}
		return null ? jv_null() : jv_invalid();
	}
	if (x->kind == IG_CELL_INT)
		return f->type == IG_T_BOOLEAN ? jv_bool(x->i != 0) : jv_number((double)x->i);
	if (x->kind == IG_CELL_REAL)
		return jv_number(x->d);
	switch (f->type) {
	case IG_T_STRING:
	case IG_T_UUID:
	case IG_T_TIMESTAMP:
		return jv_string_sized(x->s, (int)x->n);
	case IG_T_INTEGER:
	case IG_T_NUMBER:
		snprintf(num, sizeof num, "%.*s", (int)(x->n < 63 ? x->n : 63), x->s);
		return jv_number(strtod(num, NULL));
	case IG_T_BOOLEAN:
		return jv_bool(x->n && (x->s[0] == 't' || x->s[0] == '1'));
	default:
		return ig_json_parse(x->s, x->n, err, sizeof err);
	}
}

struct dumping {
	const struct ig_collection *c;
	struct ig_buf out;
};

static int
dump_row(void *ctx, const struct ig_cell *cells, int n)
{
	struct dumping *d = ctx;
	const struct ig_collection *c = d->c;
	jv *row, nulls = jv_invalid();
	char err[256];

	if (n != c->nfields + 1)
		return -1;
	if (cells[c->nfields].kind == IG_CELL_TEXT)
		nulls = ig_json_parse(cells[c->nfields].s, cells[c->nfields].n, err, sizeof err);
	row = ig_row_new(c);
	for (int i = 0; i < c->nfields; i++)
		row[i] = value_of(&cells[i], &c->fields[i], nulls);
	ig_jv_free(nulls);
	d->out.len = 0;
	ig_model_write(&d->out, c, row);
	ig_put_line(d->out.p, d->out.len);
	ig_row_free(c, row);
	return 0;
}

int
ig_sqlcat_dump(struct ig_sqlcat *s, char *err, size_t errlen)
{
	int order[s->m->ncolls], rc = 0;
	struct dumping d = { 0 };
	struct ig_buf q = { 0 };

	ig_model_order(s->m, order);
	for (int o = 0; o < s->m->ncolls && !rc; o++) {
		d.c = &s->m->colls[order[o]];
		q.len = 0;
		ig_sql_select(d.c, s->drv->dialect, &q);
		rc = s->drv->query(s->db, ig_buf_str(&q), dump_row, &d, err, errlen);
	}
	ig_buf_free(&q);
	ig_buf_free(&d.out);
	return rc;
}

void
ig_sqlcat_close(struct ig_sqlcat *s)
{
	if (!s)
		return;
	s->drv->close(s->db);
	ig_buf_free(&s->lines);
	free(s->kept);
	free(s);
}
