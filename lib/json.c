/* json.c - strict JSON parsing into jv, compact serialization from jv */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "bounds.h"


struct parser {
	const char *s, *p, *end;
	char *err;
	size_t errlen;
	struct ig_buf scratch;
	size_t big;		/* strings this long stay in place, or 0 */
};

static jv
fail(struct parser *ps, const char *what)
{
	if (ps->err && !ps->err[0])
		snprintf(ps->err, ps->errlen, "invalid JSON at byte %zu: %s",
		    (size_t)(ps->p - ps->s) + 1, what);
	return jv_invalid();
}

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	    *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/* length of the UTF-8 sequence at s, or 0 if it is invalid */
static size_t
utf8_seq(const unsigned char *s, const unsigned char *end)
{
	unsigned c = s[0];
	size_t n;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		n = 2;
		cp = c & 0x1f;
	} else if (c < 0xf0) {
		n = 3;
		cp = c & 0x0f;
	} else if (c < 0xf5) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - s) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

int
ig_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		size_t k;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if (!(k = utf8_seq(p, end)))
			return 0;
		p += k;
	}
	return 1;
}

size_t
ig_utf8_length(const char *s, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			count++;
	return count;
}

static void
put_utf8(struct ig_buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	ig_buf_add(b, u, n);
}

static int
hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

#define ONES 0x0101010101010101u
#define HIGHS 0x8080808080808080u

/* nonzero if one of the eight bytes in x is a quote, a backslash or a
 * control character: what ends a plain run of a JSON string */
static inline uint64_t
special8(uint64_t x)
{
	uint64_t q = x ^ ('"' * ONES), b = x ^ ('\\' * ONES);

	/* a zero byte in q or b, or a byte under 0x20 */
	return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((x - 0x20 * ONES) & ~x)) & HIGHS;
}

/* bytes a string scan must stop at: quote, backslash, control, non-ASCII;
 * filled before main, since threads parse at once */
static unsigned char string_stop[256];

__attribute__((constructor)) static void
init_string_stop(void)
{
	for (int c = 0; c < 256; c++)
		string_stop[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

/* ps->p is just past the opening quote; a key is always a string, however
 * long, since jq's objects take nothing else as a key */
static jv
parse_string(struct parser *ps, int is_key)
{
	const char *start = ps->p;
	int escaped = 0;

	for (;;) {
		unsigned char c;

		/* plain ASCII runs, such as base64 images, go eight bytes a step */
		while (ps->end - ps->p >= 8) {
			uint64_t x;

			memcpy(&x, ps->p, 8);
			if (special8(x) | (x & HIGHS))
				break;
			ps->p += 8;
		}
		while (ps->p < ps->end && !string_stop[(unsigned char)*ps->p])
			ps->p++;
		if (ps->p >= ps->end)
			return fail(ps, "unterminated string");
		c = (unsigned char)*ps->p;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(ps, "control character in string");
		if (c == '\\') {
			escaped = 1;
			ps->p += 2;
			continue;
		}
		if (c < 0x80) {
			ps->p++;
		} else {
			size_t k = utf8_seq((const unsigned char *)ps->p,
			    (const unsigned char *)ps->end);

			if (!k)
				return fail(ps, "invalid UTF-8 in string");
			ps->p += k;
		}
	}
	if (!escaped) {
		size_t n = (size_t)(ps->p - start);
		jv s = ps->big && !is_key && n >= ps->big ?
		    JV_OBJECT(jv_string("ig_offset"), jv_number((double)(start - ps->s)),
		    jv_string("ig_length"), jv_number((double)n)) : jv_string_sized(start, (int)n);

		ps->p++;
		return s;
	}
	/* second pass: decode the escapes */
	ps->scratch.len = 0;
	for (const char *q = start; q < ps->p; ) {
		const char *run = q;

		while (q < ps->p && *q != '\\')
			q++;
		ig_buf_add(&ps->scratch, run, (size_t)(q - run));
		if (q >= ps->p)
			break;
		q++;
		switch (*q) {
		case '"': ig_buf_addc(&ps->scratch, '"'); q++; break;
		case '\\': ig_buf_addc(&ps->scratch, '\\'); q++; break;
		case '/': ig_buf_addc(&ps->scratch, '/'); q++; break;
		case 'b': ig_buf_addc(&ps->scratch, '\b'); q++; break;
		case 'f': ig_buf_addc(&ps->scratch, '\f'); q++; break;
		case 'n': ig_buf_addc(&ps->scratch, '\n'); q++; break;
		case 'r': ig_buf_addc(&ps->scratch, '\r'); q++; break;
		case 't': ig_buf_addc(&ps->scratch, '\t'); q++; break;
		case 'u': {
			unsigned cp, lo;

			if (ps->p - q < 5 || hex4(q + 1, &cp) < 0) {
				ps->p = q;
				return fail(ps, "bad \\u escape");
			}
			q += 5;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				ps->p = q;
				return fail(ps, "lone low surrogate");
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (ps->p - q < 6 || q[0] != '\\' || q[1] != 'u' ||
				    hex4(q + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
					ps->p = q;
					return fail(ps, "lone high surrogate");
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				q += 6;
			}
			put_utf8(&ps->scratch, cp);
			break;
		}
		default:
			ps->p = q;
			return fail(ps, "bad escape in string");
		}
	}
	ps->p++;
	return jv_string_sized(ps->scratch.p, (int)ps->scratch.len);
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 1 if the integer literal [s, e) is exactly the double d: past 2^53 most
 * are not, and the digits of d itself are the test */
static int
integer_is_exact(const char *s, const char *e, double d)
{
	char digits[400];
	int n = snprintf(digits, sizeof digits, "%.0f", fabs(d));

	if (*s == '-')
		s++;
	return n > 0 && (size_t)n == (size_t)(e - s) && memcmp(digits, s, (size_t)n) == 0;
}

static jv
parse_number(struct parser *ps)
{
	const char *start = ps->p;
	char *endp;
	double d;
	int is_float = 0;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p >= ps->end || !is_digit(*ps->p))
		return fail(ps, "bad number");
	if (*ps->p == '0')
		ps->p++;
	else
		while (ps->p < ps->end && is_digit(*ps->p))
			ps->p++;
	if (ps->p < ps->end && *ps->p == '.') {
		is_float = 1;
		ps->p++;
		if (ps->p >= ps->end || !is_digit(*ps->p))
			return fail(ps, "bad number");
		while (ps->p < ps->end && is_digit(*ps->p))
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		is_float = 1;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || !is_digit(*ps->p))
			return fail(ps, "bad number");
		while (ps->p < ps->end && is_digit(*ps->p))
			ps->p++;
	}
	/* strtod stops where the grammar above stopped: the byte after a
	 * number is never part of one, and the input ends in NUL */
	errno = 0;
	d = strtod(start, &endp);
	if (endp != ps->p)
		return fail(ps, "bad number");
	/* a double too large or too small to hold it would be a silent
	 * infinity or zero */
	if (errno == ERANGE || isinf(d)) {
		ps->p = start;
		return fail(ps, "number out of range of a double");
	}
	if (!is_float && fabs(d) >= IG_JSON_INT_EXACT && !integer_is_exact(start, ps->p, d)) {
		ps->p = start;
		return fail(ps, "integer beyond 2^53, which a double cannot hold exactly");
	}
	return jv_number(d);
}

static int
literal(struct parser *ps, const char *word, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return 0;
	ps->p += n;
	return 1;
}

static jv parse_value(struct parser *ps, int depth);

static jv
parse_array(struct parser *ps, int depth)
{
	jv a = jv_array();

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return a;
	}
	for (;;) {
		jv v = parse_value(ps, depth + 1);

		if (!ig_valid(v)) {
			ig_jv_free(a);
			return v;
		}
		a = jv_array_append(a, v);
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return a;
		}
		ig_jv_free(a);
		return fail(ps, "expected ',' or ']'");
	}
}

static jv
parse_object(struct parser *ps, int depth)
{
	jv o = jv_object();

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return o;
	}
	for (;;) {
		jv k, v;

		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != '"') {
			ig_jv_free(o);
			return fail(ps, "expected a string key");
		}
		ps->p++;
		k = parse_string(ps, 1);
		if (!ig_valid(k)) {
			ig_jv_free(o);
			return k;
		}
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':') {
			ig_jv_free(k);
			ig_jv_free(o);
			return fail(ps, "expected ':'");
		}
		ps->p++;
		v = parse_value(ps, depth + 1);
		if (!ig_valid(v)) {
			ig_jv_free(k);
			ig_jv_free(o);
			return v;
		}
		o = jv_object_set(o, k, v);
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			return o;
		}
		ig_jv_free(o);
		return fail(ps, "expected ',' or '}'");
	}
}

static jv
parse_value(struct parser *ps, int depth)
{
	if (depth > IG_JSON_DEPTH_MAX)
		return fail(ps, "nested too deeply");
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of input");
	switch (*ps->p) {
	case '{':
		return parse_object(ps, depth);
	case '[':
		return parse_array(ps, depth);
	case '"':
		ps->p++;
		return parse_string(ps, 0);
	case 't':
		if (literal(ps, "true", 4))
			return jv_true();
		break;
	case 'f':
		if (literal(ps, "false", 5))
			return jv_false();
		break;
	case 'n':
		if (literal(ps, "null", 4))
			return jv_null();
		break;
	default:
		if (*ps->p == '-' || is_digit(*ps->p))
			return parse_number(ps);
	}
	return fail(ps, "unexpected character");
}

jv
ig_json_parse(const char *s, size_t len, char *err, size_t errlen)
{
	return ig_json_parse_big(s, len, 0, err, errlen);
}

jv
ig_json_parse_big(const char *s, size_t len, size_t big, char *err, size_t errlen)
{
	struct parser ps = { s, s, s + len, err, errlen, { 0 }, big };
	jv v;

	if (err && errlen)
		err[0] = '\0';
	v = parse_value(&ps, 0);
	if (ig_valid(v)) {
		skip_ws(&ps);
		if (ps.p != ps.end) {
			ig_jv_free(v);
			v = fail(&ps, "more than one value on the line");
		}
	}
	ig_buf_free(&ps.scratch);
	return v;
}

static void
add_member(struct ig_members *m, const char *key, size_t klen, jv keyv, jv value)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->v = ig_realloc(m->v, (size_t)m->cap * sizeof *m->v);
	}
	m->v[m->n++] = (struct ig_member){ key, klen, keyv, value };
}

int
ig_json_parse_members(const char *s, size_t len, struct ig_members *m,
    char *err, size_t errlen)
{
	struct parser ps = { s, s, s + len, err, errlen, { 0 }, 0 };
	int rc = -1;

	if (err && errlen)
		err[0] = '\0';
	ig_members_clear(m);
	skip_ws(&ps);
	if (ps.p >= ps.end || *ps.p != '{') {
		jv v = ig_json_parse(s, len, err, errlen);

		rc = ig_valid(v) ? 1 : -1;
		ig_jv_free(v);
		return rc;
	}
	ps.p++;
	skip_ws(&ps);
	if (ps.p < ps.end && *ps.p == '}') {
		ps.p++;
		goto end;
	}
	for (;;) {
		const char *key;
		size_t klen;
		jv keyv = jv_invalid(), v;

		skip_ws(&ps);
		if (ps.p >= ps.end || *ps.p != '"') {
			fail(&ps, "expected a string key");
			goto out;
		}
		key = ++ps.p;
		while (ps.p < ps.end && *ps.p != '"' && *ps.p != '\\' &&
		    (unsigned char)*ps.p >= 0x20 && (unsigned char)*ps.p < 0x80)
			ps.p++;
		if (ps.p < ps.end && *ps.p == '"') {
			klen = (size_t)(ps.p++ - key);
		} else {
			/* escapes or UTF-8 in the key: the full string parser */
			ps.p = key;
			keyv = parse_string(&ps, 1);
			if (!ig_valid(keyv))
				goto out;
			key = jv_string_value(keyv);
			klen = (size_t)jv_string_length_bytes(jv_copy(keyv));
		}
		skip_ws(&ps);
		if (ps.p >= ps.end || *ps.p != ':') {
			ig_jv_free(keyv);
			fail(&ps, "expected ':'");
			goto out;
		}
		ps.p++;
		v = parse_value(&ps, 1);
		if (!ig_valid(v)) {
			ig_jv_free(keyv);
			goto out;
		}
		add_member(m, key, klen, keyv, v);
		skip_ws(&ps);
		if (ps.p < ps.end && *ps.p == ',') {
			ps.p++;
			continue;
		}
		if (ps.p < ps.end && *ps.p == '}') {
			ps.p++;
			break;
		}
		fail(&ps, "expected ',' or '}'");
		goto out;
	}
end:
	skip_ws(&ps);
	if (ps.p != ps.end) {
		fail(&ps, "more than one value on the line");
		goto out;
	}
	rc = 0;
out:
	if (rc)
		ig_members_clear(m);
	ig_buf_free(&ps.scratch);
	return rc;
}

jv
ig_member_get(const struct ig_members *m, const char *key)
{
	size_t n = strlen(key);

	/* the last of duplicate keys wins, as in jq */
	for (int i = m->n - 1; i >= 0; i--)
		if (m->v[i].klen == n && memcmp(m->v[i].key, key, n) == 0)
			return m->v[i].value;
	return jv_invalid();
}

void
ig_members_clear(struct ig_members *m)
{
	for (int i = 0; i < m->n; i++) {
		ig_jv_free(m->v[i].keyv);
		ig_jv_free(m->v[i].value);
	}
	m->n = 0;
}

void
ig_members_free(struct ig_members *m)
{
	ig_members_clear(m);
	free(m->v);
	m->v = NULL;
	m->cap = 0;
}

/* bytes a JSON string must escape: quote, backslash, control characters */
static const unsigned char needs_escape[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	['\\'] = 1,
};

void
ig_json_write_string(struct ig_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0, i = 0;

	ig_buf_grow(b, n + 3);
	b->p[b->len++] = '"';
	for (;;) {
		char esc[6];
		unsigned char c;

		/* eight bytes a step while none is a quote, a backslash or a
		 * control character */
		while (n - i >= 8) {
			uint64_t x;

			memcpy(&x, u + i, 8);
			if (special8(x))
				break;
			i += 8;
		}
		while (i < n && !needs_escape[u[i]])
			i++;
		ig_buf_add(b, s + run, i - run);
		if (i == n)
			break;
		c = u[i++];
		run = i;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			ig_buf_add(b, esc, 6);
			continue;
		}
		ig_buf_add(b, esc, 2);
	}
	ig_buf_addc(b, '"');
}

void
ig_json_write_number(struct ig_buf *b, double d)
{
	char tmp[32];
	int n;

	/* integers exactly, the rest in the shortest form that reads back */
	if (d == floor(d) && fabs(d) < 1e17) {
		/* a negative zero is written 0: no integer is negative zero,
		 * and readers (jq too) compare the two equal */
		ig_buf_add_int(b, d == 0 ? 0 : (long long)d);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(tmp, sizeof tmp, "%.*g", prec, d);
		if (prec == 17 || strtod(tmp, NULL) == d)
			break;
	}
	ig_buf_add(b, tmp, (size_t)n);
}

void
ig_json_write(struct ig_buf *b, jv v)
{
	switch (ig_kind(v)) {
	case JV_KIND_NULL:
		ig_buf_add(b, "null", 4);
		break;
	case JV_KIND_TRUE:
		ig_buf_add(b, "true", 4);
		break;
	case JV_KIND_FALSE:
		ig_buf_add(b, "false", 5);
		break;
	case JV_KIND_NUMBER:
		ig_json_write_number(b, jv_number_value(v));
		break;
	case JV_KIND_STRING:
		ig_json_write_string(b, jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v)));
		break;
	case JV_KIND_ARRAY: {
		int n = jv_array_length(jv_copy(v));

		ig_buf_addc(b, '[');
		for (int i = 0; i < n; i++) {
			jv e = jv_array_get(jv_copy(v), i);

			if (i)
				ig_buf_addc(b, ',');
			ig_json_write(b, e);
			ig_jv_free(e);
		}
		ig_buf_addc(b, ']');
		break;
	}
	case JV_KIND_OBJECT: {
		int first = 1;

		ig_buf_addc(b, '{');
		for (int it = jv_object_iter(v); jv_object_iter_valid(v, it);
		    it = jv_object_iter_next(v, it)) {
			jv k = jv_object_iter_key(v, it);
			jv e = jv_object_iter_value(v, it);

			if (!first)
				ig_buf_addc(b, ',');
			first = 0;
			ig_json_write_string(b, jv_string_value(k),
			    (size_t)jv_string_length_bytes(jv_copy(k)));
			ig_buf_addc(b, ':');
			ig_json_write(b, e);
			ig_jv_free(k);
			ig_jv_free(e);
		}
		ig_buf_addc(b, '}');
		break;
	}
	default:
		ig_buf_add(b, "null", 4);
	}
}

jv
ig_get(jv obj, const char *key)
{
	if (ig_kind(obj) != JV_KIND_OBJECT)
		return jv_invalid();
	return jv_object_get(jv_copy(obj), jv_string(key));
}

jv
ig_get_path(jv v, const char *a, const char *b, const char *c)
{
	const char *keys[] = { a, b, c };

	for (int i = 0; i < 3 && keys[i]; i++) {
		jv next = ig_get(v, keys[i]);

		ig_jv_free(v);
		v = next;
	}
	return v;
}

const char *
ig_str(jv obj, const char *key)
{
	jv v = ig_get(obj, key);
	const char *s = ig_kind(v) == JV_KIND_STRING ? jv_string_value(v) : NULL;

	/* obj holds another reference to the string: the pointer stays good */
	ig_jv_free(v);
	return s;
}

int
ig_has(jv obj, const char *key)
{
	if (ig_kind(obj) != JV_KIND_OBJECT)
		return 0;
	return jv_object_has(jv_copy(obj), jv_string(key));
}

void
ig_json_ascii(struct ig_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		size_t k = *p < 0x80 ? 1 : utf8_seq(p, end);
		unsigned cp;

		if (k <= 1) {
			/* ASCII, or a byte that is no UTF-8: kept as it is */
			ig_buf_addc(out, (char)*p++);
			continue;
		}
		cp = k == 2 ? (p[0] & 0x1fu) : k == 3 ? (p[0] & 0x0fu) : (p[0] & 0x07u);
		for (size_t i = 1; i < k; i++)
			cp = cp << 6 | (p[i] & 0x3fu);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			ig_buf_printf(out, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
		} else {
			ig_buf_printf(out, "\\u%04x", cp);
		}
		p += k;
	}
}

void
ig_json_put_line(struct ig_buf *scratch, jv v)
{
	scratch->len = 0;
	ig_json_write(scratch, v);
	ig_jv_free(v);
	ig_put_line(scratch->p, scratch->len);
	ig_check_stdout();
}
