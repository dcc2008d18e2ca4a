/* row.c - records as rows: taken from lines, checked against the model,
 * given their defaults, written */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "color.h"
#include "err.h"
#include "json.h"
#include "bounds.h"
#include "model.h"
#include "path.h"
#include "url.h"
#include "uuid.h"


static const char *
type_name(enum ig_type t)
{
	static const char *names[] = { "a string", "an integer", "a number",
	    "a boolean", "a UUID", "an RFC 3339 timestamp", "an object",
	    "an array", "JSON" };

	return names[t];
}

static int
is_hex_lower(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int
syntax_ok(enum ig_syntax syn, const char *s, size_t n, const char **why)
{
	switch (syn) {
	case IG_S_NONE:
		return 1;
	case IG_S_PATH:
		*why = "must be a valid path (not empty, at most 4096 bytes, no control characters, not ending in /)";
		if (n == 0 || n > 4096 || s[n - 1] == '/')
			return 0;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return 0;
		return 1;
	case IG_S_COLOR: {
		struct ig_color c;

		*why = "must be a color #rgb, #rgba, #rrggbb or #rrggbbaa";
		return ig_color_parse(s, n, &c) == 0;
	}
	case IG_S_SHA256:
		*why = "must be 64 lowercase hex digits";
		return n == 64 && is_hex_lower(s, n);
	case IG_S_XXH128:
		*why = "must be 32 lowercase hex digits";
		return n == 32 && is_hex_lower(s, n);
	}
	return 1;
}

jv *
ig_row_new(const struct ig_collection *c)
{
	jv *row = ig_malloc((size_t)c->nfields * sizeof *row);

	for (int i = 0; i < c->nfields; i++)
		row[i] = jv_invalid();
	return row;
}

void
ig_row_free(const struct ig_collection *c, jv *row)
{
	if (!row)
		return;
	for (int i = 0; i < c->nfields; i++)
		ig_jv_free(row[i]);
	free(row);
}

static int
field_index(const struct ig_field *fields, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (fields[i].name[0] == name[0] && strcmp(fields[i].name, name) == 0)
			return i;
	return -1;
}

/* fields may be a collection's or a nested object's */
static int
fill_row(const struct ig_field *fields, int n, int open, jv *row, jv obj,
    const char *path, char *err, size_t errlen)
{
	int rc = 0;

	jv_object_foreach(obj, k, v) {
		const char *name = jv_string_value(k);
		int i = field_index(fields, n, name);

		if (i >= 0) {
			ig_jv_free(row[i]);
			row[i] = v;
		} else {
			if (!open && !(path == NULL && strcmp(name, "collection") == 0) && !rc) {
				snprintf(err, errlen, "unknown field '%s%s%s'", path ? path : "",
				    path ? "." : "", name);
				rc = -1;
			}
			ig_jv_free(v);
		}
		ig_jv_free(k);
	}
	ig_jv_free(obj);
	return rc;
}

int
ig_row_take(const struct ig_collection *c, jv *row, struct ig_members *m,
    char *err, size_t errlen)
{
	for (int j = 0; j < m->n; j++) {
		struct ig_member *mb = &m->v[j];
		int i = -1;

		for (int k = 0; k < c->nfields; k++)
			if (c->fields[k].namelen == mb->klen &&
			    memcmp(c->fields[k].name, mb->key, mb->klen) == 0) {
				i = k;
				break;
			}
		if (i >= 0) {
			ig_jv_free(row[i]);
			row[i] = mb->value;
			mb->value = jv_invalid();
		} else if (!(mb->klen == 10 && memcmp(mb->key, "collection", 10) == 0)) {
			snprintf(err, errlen, "unknown field '%.*s'", (int)mb->klen, mb->key);
			return -1;
		}
	}
	return 0;
}

int
ig_row_equal(const struct ig_collection *c, const jv *a, const jv *b)
{
	for (int i = 0; i < c->nfields; i++)
		if (!jv_equal(jv_copy(a[i]), jv_copy(b[i])))
			return 0;
	return 1;
}

static int check_value(const struct ig_field *f, const char *path, jv v,
    int64_t now_us, char *err, size_t errlen);

/* a path that must name a file, checked when it is new or changed */
static int
check_exists(const struct ig_field *f, const char *path, jv v, jv old, char *err, size_t errlen)
{
	struct stat st;

	if (!f->exists || ig_kind(v) != JV_KIND_STRING)
		return 0;
	if (ig_valid(old) && ig_kind(old) == JV_KIND_STRING &&
	    strcmp(jv_string_value(old), jv_string_value(v)) == 0)
		return 0;
	if (stat(jv_string_value(v), &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "'%s': no such file: %.200s", path, jv_string_value(v));
		return -1;
	}
	return 0;
}

static int
check_row(const struct ig_field *fields, int nfields, const char *parent,
    const jv *row, const jv *old, int64_t now_us, char *err, size_t errlen)
{
	char path[256];

	for (int i = 0; i < nfields; i++) {
		const struct ig_field *f = &fields[i];
		jv_kind k = ig_kind(row[i]);

		if (!f->required && (k == JV_KIND_INVALID || k == JV_KIND_NULL))
			continue;
		/* a nested field's path is formatted; a top-level one is its name */
		const char *p = f->name;

		if (parent) {
			snprintf(path, sizeof path, "%s.%s", parent, f->name);
			p = path;
		}
		if (k == JV_KIND_INVALID || k == JV_KIND_NULL) {
			snprintf(err, errlen, "missing required field '%s'", p);
			return -1;
		}
		if (check_value(f, p, row[i], now_us, err, errlen) ||
		    check_exists(f, p, row[i], old ? old[i] : jv_invalid(), err, errlen))
			return -1;
	}
	return 0;
}

/* v is borrowed */
static int
check_value(const struct ig_field *f, const char *path, jv v,
    int64_t now_us, char *err, size_t errlen)
{
	jv_kind k = ig_kind(v);
	int ok = 1;
	const char *why = NULL;

	switch (f->type) {
	case IG_T_STRING:
	case IG_T_UUID:
	case IG_T_TIMESTAMP:
		ok = k == JV_KIND_STRING;
		break;
	case IG_T_INTEGER:
		ok = k == JV_KIND_NUMBER && jv_number_value(v) == floor(jv_number_value(v));
		if (ok && fabs(jv_number_value(v)) > IG_JSON_INT_EXACT) {
			snprintf(err, errlen, "'%s' is beyond 2^53, which JSON numbers cannot hold exactly", path);
			return -1;
		}
		break;
	case IG_T_NUMBER:
		ok = k == JV_KIND_NUMBER;
		break;
	case IG_T_BOOLEAN:
		ok = k == JV_KIND_TRUE || k == JV_KIND_FALSE;
		break;
	case IG_T_OBJECT:
		ok = k == JV_KIND_OBJECT;
		break;
	case IG_T_ARRAY:
		ok = k == JV_KIND_ARRAY;
		break;
	case IG_T_JSON:
		break;
	}
	if (!ok) {
		snprintf(err, errlen, "'%s' must be %s", path, type_name(f->type));
		return -1;
	}
	if (k == JV_KIND_STRING) {
		const char *s = jv_string_value(v);
		size_t n = (size_t)jv_string_length_bytes(jv_copy(v));
		uint8_t u[16];
		int64_t t;

		if (memchr(s, '\0', n)) {
			snprintf(err, errlen, "'%s' must not contain NUL", path);
			return -1;
		}
		if (f->type == IG_T_UUID && ig_uuid_parse(s, u) != 0) {
			snprintf(err, errlen, "'%s' must be a UUID, not \"%.64s\"", path, s);
			return -1;
		}
		if (f->type == IG_T_TIMESTAMP) {
			if (ig_time_parse(s, &t) != 0) {
				snprintf(err, errlen, "'%s' must be an RFC 3339 timestamp, not \"%.64s\"", path, s);
				return -1;
			}
			if (f->not_future && t > now_us) {
				snprintf(err, errlen, "'%s' is in the future (%s)", path, s);
				return -1;
			}
		}
		if (f->nonempty && strspn(s, " \t\r\n") == n) {
			snprintf(err, errlen, "'%s' must not be empty", path);
			return -1;
		}
		if (f->max_length && ig_utf8_length(s, n) > (size_t)f->max_length) {
			snprintf(err, errlen, "'%s' is longer than %ld characters", path, f->max_length);
			return -1;
		}
		if (!syntax_ok(f->syntax, s, n, &why)) {
			snprintf(err, errlen, "'%s' %s", path, why);
			return -1;
		}
	}
	if (k == JV_KIND_NUMBER) {
		double d = jv_number_value(v);

		if (f->has_min && d < f->min) {
			snprintf(err, errlen, "'%s' must be at least %g, not %g", path, f->min, d);
			return -1;
		}
		if (f->has_max && d > f->max) {
			snprintf(err, errlen, "'%s' must be at most %g, not %g", path, f->max, d);
			return -1;
		}
	}
	if (ig_valid(f->enumv)) {
		int found = 0;

		jv_array_foreach(f->enumv, i, e)
			found |= jv_equal(e, jv_copy(v));
		if (!found) {
			struct ig_buf allowed = { 0 };

			jv_array_foreach(f->enumv, i, e) {
				ig_buf_printf(&allowed, "%s%s", i ? ", " : "",
				    ig_kind(e) == JV_KIND_STRING ? jv_string_value(e) : "?");
				ig_jv_free(e);
			}
			snprintf(err, errlen, "'%s' must be one of %s", path, ig_buf_str(&allowed));
			ig_buf_free(&allowed);
			return -1;
		}
	}
	if (k == JV_KIND_ARRAY && f->items) {
		char sub[256];

		jv_array_foreach(v, i, e) {
			int bad;

			snprintf(sub, sizeof sub, "%s[%d]", path, i);
			bad = check_value(f->items, sub, e, now_us, err, errlen);
			ig_jv_free(e);
			if (bad)
				return -1;
		}
	}
	if (k == JV_KIND_OBJECT && f->nfields) {
		jv *sub = ig_malloc((size_t)f->nfields * sizeof *sub);
		int bad;

		for (int i = 0; i < f->nfields; i++)
			sub[i] = jv_invalid();
		bad = fill_row(f->fields, f->nfields, f->open, sub, jv_copy(v), path, err, errlen) ||
		    check_row(f->fields, f->nfields, path, sub, NULL, now_us, err, errlen);
		for (int i = 0; i < f->nfields; i++)
			ig_jv_free(sub[i]);
		free(sub);
		if (bad)
			return -1;
	}
	return 0;
}

int
ig_model_check(const struct ig_collection *c, const jv *row, const jv *old,
    int64_t now_us, char *err, size_t errlen)
{
	return check_row(c->fields, c->nfields, NULL, row, old, now_us, err, errlen);
}

static jv derived_as(enum ig_derived_as as, jv from);

int
ig_model_check_some(const struct ig_collection *c, jv obj, char *err, size_t errlen)
{
	jv *row = ig_row_new(c);
	int64_t now_us = ig_now_us();
	int rc = 0;

	for (int i = 0; i < c->nfields; i++) {
		row[i] = jv_object_get(jv_copy(obj), jv_string(c->fields[i].name));
		if (!ig_valid(row[i]))
			row[i] = jv_invalid();
	}
	for (int i = 0; i < c->nfields; i++) {
		const struct ig_field *f = &c->fields[i];

		if (!ig_valid(row[i]) && f->default_from >= 0 && ig_valid(row[f->default_from]))
			row[i] = derived_as(f->as, row[f->default_from]);
	}
	for (int i = 0; i < c->nfields && !rc; i++)
		if (ig_valid(row[i]))
			rc = check_value(&c->fields[i], c->fields[i].name, row[i], now_us, err, errlen);
	ig_row_free(c, row);
	return rc;
}

/* a default made from another field's value */
static jv
derived_as(enum ig_derived_as as, jv from)
{
	struct ig_buf b = { 0 };
	jv r;

	if (as == IG_AS_SAME || ig_kind(from) != JV_KIND_STRING)
		return jv_copy(from);
	if (as == IG_AS_BASENAME)
		return jv_string(ig_path_base(jv_string_value(from)));
	ig_file_uri(&b, jv_string_value(from));
	r = jv_string_sized(b.p, (int)b.len);
	ig_buf_free(&b);
	return r;
}

void
ig_model_defaults(const struct ig_collection *c, jv *row)
{
	for (int i = 0; i < c->nfields; i++) {
		const struct ig_field *f = &c->fields[i];

		if (ig_valid(row[i]))
			continue;
		if (ig_valid(f->defval))
			row[i] = jv_copy(f->defval);
		else if (f->default_from >= 0)
			row[i] = derived_as(f->as, row[f->default_from]);
	}
}

int
ig_model_transition_ok(const struct ig_collection *c, int f, jv from, jv to)
{
	jv edges = c->fields[f].edges, allowed;
	int ok = 0;

	if (!ig_valid(edges) || jv_equal(jv_copy(from), jv_copy(to)))
		return 1;	/* no transitions, or no change: it goes */
	allowed = ig_kind(from) == JV_KIND_STRING ?
	    ig_get(edges, jv_string_value(from)) : jv_invalid();
	if (ig_kind(allowed) == JV_KIND_ARRAY)
		jv_array_foreach(allowed, i, s)
			ok |= jv_equal(s, jv_copy(to));
	ig_jv_free(allowed);
	return ok;
}

int
ig_model_stamp(const struct ig_collection *c, int f, jv state)
{
	jv name;
	int r = -1;

	if (ig_valid(c->fields[f].stamps) && ig_kind(state) == JV_KIND_STRING) {
		name = ig_get(c->fields[f].stamps, jv_string_value(state));
		if (ig_kind(name) == JV_KIND_STRING)
			r = ig_field_find(c, jv_string_value(name));
		ig_jv_free(name);
	}
	return r;
}

size_t
ig_model_write(struct ig_buf *b, const struct ig_collection *c, const jv *row)
{
	size_t start = b->len, id_at = 0;

	ig_buf_add(b, "{\"collection\":", 14);
	ig_json_write_string(b, c->name, strlen(c->name));
	for (int i = 0; i < c->nfields; i++) {
		if (!ig_valid(row[i]))
			continue;
		ig_buf_addc(b, ',');
		ig_json_write_string(b, c->fields[i].name, c->fields[i].namelen);
		ig_buf_addc(b, ':');
		if (i == c->f_id)
			id_at = b->len - start;
		ig_json_write(b, row[i]);
	}
	ig_buf_addc(b, '}');
	return id_at;
}
