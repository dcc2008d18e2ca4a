/* plantpl.c - templates filled with variables, and JSON fields written */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "path.h"
#include "planner.h"
#include "uuid.h"

/* Fill {name} from the variables, {{ and }} for braces. With keep, {n} and
 * {seed} stay for each job to fill. -1 names the unfilled variable in err. */
int
plan_fill(struct ig_buf *b, const char *t, jv vars, int keep, const char *what,
    char *err, size_t errlen)
{
	b->len = 0;
	for (const char *s = t; *s; s++) {
		const char *e;
		jv v;

		if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
			ig_buf_addc(b, *s++);
			continue;
		}
		if (*s != '{' || !(e = strchr(s, '}'))) {
			ig_buf_addc(b, *s);
			continue;
		}
		if (keep && ((e - s == 2 && s[1] == 'n') || (e - s == 5 && memcmp(s + 1, "seed", 4) == 0))) {
			ig_buf_add(b, s, (size_t)(e - s + 1));
			s = e;
			continue;
		}
		v = jv_object_get(jv_copy(vars), jv_string_sized(s + 1, (int)(e - s - 1)));
		if (jv_get_kind(v) == JV_KIND_STRING) {
			ig_buf_adds(b, jv_string_value(v));
		} else if (jv_get_kind(v) == JV_KIND_NUMBER) {
			ig_json_write_number(b, jv_number_value(v));
		} else {
			snprintf(err, errlen, "%s: variable {%.*s} is not filled", what, (int)(e - s - 1), s + 1);
			jv_free(v);
			return -1;
		}
		jv_free(v);
		s = e;
	}
	ig_buf_str(b);
	return 0;
}

/* a record's prompts (borrowed), a string or a list of strings, each filled
 * and added */
int
plan_add_prompts(struct ig_buf *prompt, jv prompts, jv vars, const char *what,
    char *err, size_t errlen)
{
	struct ig_buf piece = { 0 };
	jv list = jv_get_kind(prompts) == JV_KIND_STRING ? JV_ARRAY(jv_copy(prompts)) :
	    jv_copy(prompts);
	int rc = 0;

	if (jv_get_kind(list) == JV_KIND_NULL || jv_get_kind(list) == JV_KIND_INVALID) {
		jv_free(list);
		return 0;
	}
	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		snprintf(err, errlen, "%s: prompts must be a string or a list of strings", what);
		jv_free(list);
		return -1;
	}
	jv_array_foreach(list, i, s) {
		if (!rc && jv_get_kind(s) != JV_KIND_STRING) {
			snprintf(err, errlen, "%s: prompts must be a string or a list of strings", what);
			rc = -1;
		}
		if (!rc && (rc = plan_fill(&piece, jv_string_value(s), vars, 0, what, err, errlen)) == 0 &&
		    strspn(piece.p, " \t\n") < piece.len) {
			if (prompt->len)
				ig_buf_add(prompt, ", ", 2);
			ig_buf_add(prompt, piece.p, piece.len);
		}
		jv_free(s);
	}
	jv_free(list);
	ig_buf_free(&piece);
	return rc;
}

/* the template with {n} and {seed} filled */
void
plan_fill_job(struct ig_buf *b, const char *t, long n, long long seed)
{
	b->len = 0;
	for (const char *s = t; *s; s++) {
		if (s[0] == '{' && s[1] == 'n' && s[2] == '}') {
			ig_buf_add_int(b, n);
			s += 2;
		} else if (s[0] == '{' && strncmp(s, "{seed}", 6) == 0) {
			ig_buf_add_int(b, seed);
			s += 5;
		} else {
			ig_buf_addc(b, *s);
		}
	}
}

void
plan_put_str(struct ig_buf *b, const char *key, const char *s)
{
	ig_buf_add(b, ",\"", 2);
	ig_buf_adds(b, key);
	ig_buf_add(b, "\":", 2);
	ig_json_write_string(b, s, strlen(s));
}

/* when a record was made, and so last changed */
void
plan_put_made(struct ig_buf *b, const struct ig_now *now)
{
	plan_put_str(b, "created_at", now->text);
	plan_put_str(b, "updated_at", now->text);
}

/* a field of a record, or a default, as JSON */
void
plan_put_json(struct ig_buf *b, const char *key, jv rec, const char *field, jv fallback)
{
	jv v = jv_get_kind(rec) == JV_KIND_OBJECT ? ig_get(rec, field) : jv_invalid();

	ig_buf_printf(b, ",\"%s\":", key);
	ig_json_write(b, jv_is_valid(v) ? v : fallback);
	jv_free(v);
	jv_free(fallback);
}
