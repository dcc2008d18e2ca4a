/* sqlschema.c - the SQL catalogue's tables, made from db/model (sqlschema.h) */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "sqlschema.h"

const char *
ig_sql_type(const struct ig_field *f, enum ig_sql_dialect d, char *buf, size_t n)
{
	int pg = d == IG_SQL_POSTGRES;

	switch (f->type) {
	case IG_T_UUID:
		return pg ? "UUID" : "TEXT";
	case IG_T_STRING:
		if (pg && f->max_length > 0) {
			snprintf(buf, n, "VARCHAR(%ld)", f->max_length);
			return buf;
		}
		return "TEXT";
	case IG_T_TIMESTAMP:
		return pg ? "TIMESTAMP WITH TIME ZONE" : "TEXT";
	case IG_T_INTEGER:
		return pg && f->pg_type ? f->pg_type : "INTEGER";
	case IG_T_NUMBER:
		return pg ? "FLOAT" : "REAL";
	case IG_T_BOOLEAN:
		return pg ? "BOOLEAN" : "INTEGER";
	default:
		return pg ? "JSONB" : "TEXT";
	}
}

/* a literal SQL string: quotes doubled */
static void
quoted(struct ig_buf *out, const char *s, size_t n)
{
	ig_buf_addc(out, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			ig_buf_addc(out, '\'');
		ig_buf_addc(out, s[i]);
	}
	ig_buf_addc(out, '\'');
}

static void
default_of(struct ig_buf *out, const struct ig_field *f, enum ig_sql_dialect d)
{
	jv v = f->defval;
	struct ig_buf text = { 0 };

	switch (ig_kind(v)) {
	case JV_KIND_STRING:
		ig_buf_adds(out, " DEFAULT ");
		quoted(out, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
		break;
	case JV_KIND_TRUE:
	case JV_KIND_FALSE:
		ig_buf_adds(out, d == IG_SQL_POSTGRES ? (ig_kind(v) == JV_KIND_TRUE ? " DEFAULT TRUE" : " DEFAULT FALSE") :
		    (ig_kind(v) == JV_KIND_TRUE ? " DEFAULT 1" : " DEFAULT 0"));
		break;
	case JV_KIND_NUMBER:
	case JV_KIND_OBJECT:
	case JV_KIND_ARRAY:
		ig_json_write(&text, v);
		ig_buf_adds(out, " DEFAULT ");
		if (ig_kind(v) == JV_KIND_NUMBER)
			ig_buf_add(out, text.p, text.len);
		else
			quoted(out, text.p, text.len);
		break;
	default:
		break;
	}
	ig_buf_free(&text);
}

static void
table(const struct ig_model *m, const struct ig_collection *c, enum ig_sql_dialect d, struct ig_buf *out)
{
	char type[64];

	ig_buf_printf(out, "CREATE TABLE IF NOT EXISTS %s (\n", c->name);
	for (int i = 0; i < c->nfields; i++) {
		const struct ig_field *f = &c->fields[i];

		ig_buf_printf(out, "    \"%s\" %s", f->name, ig_sql_type(f, d, type, sizeof type));
		if (i == c->f_id)
			ig_buf_adds(out, " PRIMARY KEY");
		else if (f->required)
			ig_buf_adds(out, " NOT NULL");
		default_of(out, f, d);
		if (f->ref >= 0)
			ig_buf_printf(out, " REFERENCES %s(id) DEFERRABLE INITIALLY DEFERRED", m->colls[f->ref].name);
		ig_buf_adds(out, ",\n");
	}
	if (d == IG_SQL_POSTGRES)
		ig_buf_printf(out, "    %s JSONB,\n    %s JSON\n);\n", IG_SQL_NULLS, IG_SQL_SOURCE);
	else
		ig_buf_printf(out, "    %s TEXT\n);\n", IG_SQL_NULLS);
	for (int i = 0; i < c->nindexes; i++) {
		const struct ig_index *ix = &c->indexes[i];

		ig_buf_printf(out, "CREATE %sINDEX IF NOT EXISTS %s", ix->unique ? "UNIQUE " : "", c->name);
		for (int k = 0; k < ix->nfields; k++)
			ig_buf_printf(out, "_%s", c->fields[ix->fields[k]].name);
		ig_buf_printf(out, "%s ON %s (", ix->unique ? "_key" : "_idx", c->name);
		for (int k = 0; k < ix->nfields; k++)
			ig_buf_printf(out, "%s\"%s\"", k ? ", " : "", c->fields[ix->fields[k]].name);
		ig_buf_adds(out, ");\n");
	}
}

/* the SQL list of a rule's states: ('a', 'b') */
static void
states_list(struct ig_buf *out, jv states)
{
	int first = 1;

	ig_buf_addc(out, '(');
	jv_array_foreach(states, i, st) {
		if (ig_kind(st) == JV_KIND_STRING) {
			ig_buf_adds(out, first ? "" : ", ");
			quoted(out, jv_string_value(st), strlen(jv_string_value(st)));
			first = 0;
		}
		jv_free(st);
	}
	ig_buf_addc(out, ')');
}

static int
has_state(jv states, const char *name)
{
	int found = 0;

	jv_array_foreach(states, i, st) {
		found |= ig_kind(st) == JV_KIND_STRING && strcmp(jv_string_value(st), name) == 0;
		jv_free(st);
	}
	return found;
}

/* PostgreSQL: a view of a derived field over every child in the database,
 * the model's rules as a CASE, children planned but not yet stored counted
 * at their lifecycle's ready stage: the rows many hosts sync make one
 * truthful parent */
static void
derived_view(const struct ig_model *m, const struct ig_collection *c, const struct ig_derive *dv,
    struct ig_buf *out)
{
	const struct ig_collection *ch = &m->colls[dv->child];
	const char *by = ch->fields[dv->child_by].name, *cf = ch->fields[dv->child_field].name;
	const char *ready = ch->life && ch->life->field == dv->child_field ? ch->life->names[IG_STAGE_READY] : NULL;
	jv values = ch->fields[dv->child_field].enumv;
	struct ig_buf missing = { 0 };

	if (dv->planned >= 0)
		ig_buf_printf(&missing, "greatest(coalesce(jsonb_array_length(p.\"%s\"), 0) - count(x.id), 0)",
		    c->fields[dv->planned].name);
	else
		ig_buf_adds(&missing, "0");
	ig_buf_printf(out, "CREATE OR REPLACE VIEW %s_%s AS\nSELECT p.id, count(x.id) + %s AS %s", c->name,
	    c->fields[dv->field].name, ig_buf_str(&missing), ch->name);
	if (ig_kind(values) == JV_KIND_ARRAY)
		jv_array_foreach(values, i, v) {
			if (ig_kind(v) == JV_KIND_STRING) {
				ig_buf_printf(out, ",\n    count(x.id) FILTER (WHERE x.\"%s\" = ", cf);
				quoted(out, jv_string_value(v), strlen(jv_string_value(v)));
				ig_buf_printf(out, ")%s%s AS \"%s\"", ready && strcmp(ready, jv_string_value(v)) == 0 ?
				    " + " : "", ready && strcmp(ready, jv_string_value(v)) == 0 ? ig_buf_str(&missing) : "",
				    jv_string_value(v));
			}
			jv_free(v);
		}
	ig_buf_adds(out, ",\n    CASE");
	for (int r = 0; r < dv->nrules; r++) {
		const struct ig_derive_rule *rule = &dv->rules[r];
		int counts_missing = ready && has_state(rule->states, ready);

		ig_buf_adds(out, "\n        WHEN ");
		if (rule->all) {
			ig_buf_printf(out, "count(x.id) + %s > 0 AND count(x.id) FILTER (WHERE x.\"%s\" NOT IN ",
			    ig_buf_str(&missing), cf);
			states_list(out, rule->states);
			ig_buf_printf(out, ") = 0%s%s%s", counts_missing ? "" : " AND ", counts_missing ? "" :
			    ig_buf_str(&missing), counts_missing ? "" : " = 0");
		} else {
			ig_buf_printf(out, "(count(x.id) FILTER (WHERE x.\"%s\" IN ", cf);
			states_list(out, rule->states);
			ig_buf_printf(out, ") > 0%s%s%s)", counts_missing ? " OR " : "", counts_missing ?
			    ig_buf_str(&missing) : "", counts_missing ? " > 0" : "");
		}
		ig_buf_adds(out, " THEN ");
		quoted(out, jv_string_value(rule->then), strlen(jv_string_value(rule->then)));
	}
	ig_buf_adds(out, "\n        ELSE ");
	if (ig_kind(dv->fallback) == JV_KIND_STRING)
		quoted(out, jv_string_value(dv->fallback), strlen(jv_string_value(dv->fallback)));
	else
		ig_buf_adds(out, "NULL");
	ig_buf_printf(out, "\n    END AS \"%s\"\nFROM %s p LEFT JOIN %s x ON x.\"%s\" = p.id\nGROUP BY p.id;\n",
	    c->fields[dv->field].name, c->name, ch->name, by);
	ig_buf_free(&missing);
}

void
ig_sql_schema(const struct ig_model *m, enum ig_sql_dialect d, struct ig_buf *out)
{
	int order[m->ncolls];

	ig_model_order(m, order);
	ig_buf_printf(out, "-- ig's catalogue (ig-sql --schema %s), made from db/model\n",
	    d == IG_SQL_POSTGRES ? "postgres" : "sqlite");
	for (int i = 0; i < m->ncolls; i++) {
		ig_buf_addc(out, '\n');
		table(m, &m->colls[order[i]], d, out);
	}
	for (int i = 0; d == IG_SQL_POSTGRES && i < m->ncolls; i++)
		for (int k = 0; k < m->colls[i].nderives; k++) {
			ig_buf_addc(out, '\n');
			derived_view(m, &m->colls[i], &m->colls[i].derives[k], out);
		}
	ig_buf_printf(out, "\n-- ig-sql --changes: how far each store's change log is synced\n"
	    "CREATE TABLE IF NOT EXISTS " IG_SQL_SYNC " (\n"
	    "    store %s PRIMARY KEY,\n    seq %s NOT NULL,\n    synced_at %s NOT NULL\n);\n",
	    d == IG_SQL_POSTGRES ? "UUID" : "TEXT", d == IG_SQL_POSTGRES ? "BIGINT" : "INTEGER",
	    d == IG_SQL_POSTGRES ? "TIMESTAMP WITH TIME ZONE" : "TEXT");
}

void
ig_sql_mark(enum ig_sql_dialect d, const char *store, uint64_t seq, struct ig_buf *q)
{
	ig_buf_printf(q, "INSERT INTO " IG_SQL_SYNC " (store, seq, synced_at) VALUES ('%s', %llu, %s) "
	    "ON CONFLICT (store) DO UPDATE SET seq = excluded.seq, synced_at = excluded.synced_at", store,
	    (unsigned long long)seq, d == IG_SQL_POSTGRES ? "now()" : "strftime('%Y-%m-%dT%H:%M:%fZ')");
}

void
ig_sql_purge(const struct ig_model *m, const struct ig_collection *c, const char *id, struct ig_buf *q)
{
	ig_buf_printf(q, "DELETE FROM %s WHERE id = '%s'", c->name, id);
	for (int ci = 0; ci < m->ncolls; ci++)
		for (int f = 0; f < m->colls[ci].nfields; f++)
			if (m->colls[ci].fields[f].ref == c->index)
				ig_buf_printf(q, " AND NOT EXISTS (SELECT 1 FROM %s WHERE \"%s\" = '%s')",
				    m->colls[ci].name, m->colls[ci].fields[f].name, id);
}

/* the columns a row is written to: its fields, ig_nulls, ig_source */
static void
columns(const struct ig_collection *c, enum ig_sql_dialect d, struct ig_buf *q)
{
	for (int i = 0; i < c->nfields; i++)
		ig_buf_printf(q, "\"%s\", ", c->fields[i].name);
	ig_buf_adds(q, IG_SQL_NULLS);
	if (d == IG_SQL_POSTGRES)
		ig_buf_printf(q, ", %s", IG_SQL_SOURCE);
}

/* an upsert's end: a row already there takes every column */
static void
on_conflict(const struct ig_collection *c, enum ig_sql_dialect d, struct ig_buf *q)
{
	ig_buf_adds(q, " ON CONFLICT (id) DO UPDATE SET ");
	for (int i = 0; i < c->nfields; i++)
		if (i != c->f_id)
			ig_buf_printf(q, "\"%s\" = excluded.\"%s\", ", c->fields[i].name, c->fields[i].name);
	ig_buf_printf(q, "%s = excluded.%s", IG_SQL_NULLS, IG_SQL_NULLS);
	if (d == IG_SQL_POSTGRES)
		ig_buf_printf(q, ", %s = excluded.%s", IG_SQL_SOURCE, IG_SQL_SOURCE);
}

void
ig_sql_upsert(const struct ig_collection *c, enum ig_sql_dialect d, struct ig_buf *q)
{
	int n = c->nfields + (d == IG_SQL_POSTGRES ? 2 : 1);

	ig_buf_printf(q, "INSERT INTO %s (", c->name);
	columns(c, d, q);
	ig_buf_adds(q, ") VALUES (");
	for (int i = 0; i < n; i++)
		if (d == IG_SQL_POSTGRES)
			ig_buf_printf(q, "%s$%d", i ? ", " : "", i + 1);
		else
			ig_buf_adds(q, i ? ", ?" : "?");
	ig_buf_adds(q, ")");
	on_conflict(c, d, q);
}

void
ig_sql_stage(const struct ig_collection *c, struct ig_buf *q)
{
	ig_buf_printf(q, "CREATE TEMP TABLE IF NOT EXISTS " IG_SQL_STAGE "%s ON COMMIT DELETE ROWS AS "
	    "SELECT * FROM %s WITH NO DATA; ALTER TABLE " IG_SQL_STAGE "%s ADD COLUMN IF NOT EXISTS "
	    "ig_ord bigserial", c->name, c->name, c->name);
}

void
ig_sql_copy(const struct ig_collection *c, int direct, struct ig_buf *q)
{
	ig_buf_printf(q, "COPY %s%s (", direct ? "" : IG_SQL_STAGE, c->name);
	columns(c, IG_SQL_POSTGRES, q);
	ig_buf_adds(q, ") FROM STDIN");
}

void
ig_sql_upsert_staged(const struct ig_collection *c, struct ig_buf *q)
{
	ig_buf_printf(q, "INSERT INTO %s (", c->name);
	columns(c, IG_SQL_POSTGRES, q);
	ig_buf_adds(q, ") SELECT ");
	columns(c, IG_SQL_POSTGRES, q);
	/* the last line of an id wins, as one upsert after another would */
	ig_buf_printf(q, " FROM (SELECT DISTINCT ON (id) * FROM " IG_SQL_STAGE "%s ORDER BY id, ig_ord DESC) s",
	    c->name);
	on_conflict(c, IG_SQL_POSTGRES, q);
}

void
ig_sql_select(const struct ig_collection *c, enum ig_sql_dialect d, struct ig_buf *q)
{
	ig_buf_adds(q, "SELECT ");
	for (int i = 0; i < c->nfields; i++) {
		const struct ig_field *f = &c->fields[i];
		const char *n = f->name;

		if (d == IG_SQL_SQLITE)
			ig_buf_printf(q, "\"%s\", ", n);
		else if (f->type == IG_T_TIMESTAMP)
			/* as the store writes them: UTC, to the microsecond */
			ig_buf_printf(q, "to_char(\"%s\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), ", n);
		else if (f->type == IG_T_OBJECT || f->type == IG_T_ARRAY || f->type == IG_T_JSON)
			ig_buf_printf(q, "CASE WHEN (%s -> '%s')::jsonb = \"%s\" THEN (%s -> '%s')::text "
			    "ELSE \"%s\"::text END, ", IG_SQL_SOURCE, n, n, IG_SQL_SOURCE, n, n);
		else
			ig_buf_printf(q, "\"%s\"::text, ", n);
	}
	ig_buf_printf(q, "%s%s FROM %s ORDER BY id", IG_SQL_NULLS, d == IG_SQL_POSTGRES ? "::text" : "", c->name);
}
