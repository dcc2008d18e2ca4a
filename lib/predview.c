/* predview.c - values read where they lie in a stored record's JSON text:
 * a string is its bytes between the quotes, decoded only when it holds an
 * escape; an array or object its text; a number a double, as in jq 1.6 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "err.h"
#include "find.h"
#include "predint.h"

static const char *
ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/* past a string whose opening quote is at p; NULL if unterminated. *esc
 * says whether it holds an escape. Sixteen bytes a step where SSE2 is. */
static const char *
skip_string(const char *p, const char *end, int *esc)
{
	const char *q = p + 1;

	*esc = 0;
#ifdef __SSE2__
	{
		const __m128i quote = _mm_set1_epi8('"'), slash = _mm_set1_epi8('\\');

		while (end - q >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)q);
			unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
			    _mm_cmpeq_epi8(v, slash)));

			if (!m) {
				q += 16;
				continue;
			}
			q += __builtin_ctz(m);
			if (*q == '"')
				return q + 1;
			*esc = 1;
			q += 2;	/* the escape and what it escapes */
		}
	}
#endif
	for (; q < end; q++) {
		if (*q == '"')
			return q + 1;
		if (*q == '\\') {
			*esc = 1;
			q++;
		}
	}
	return NULL;
}

/* past the array or object opening at p */
static const char *
skip_nested(const char *p, const char *end)
{
	int depth = 0, esc;

	while (p < end) {
		switch (*p) {
		case '"':
			if (!(p = skip_string(p, end, &esc)))
				return NULL;
			continue;
		case '{': case '[':
			depth++;
			break;
		case '}': case ']':
			if (--depth == 0)
				return p + 1;
			break;
		}
		p++;
	}
	return NULL;
}

/* the value at p into v; returns past it, or NULL on malformed text */
static const char *
read_val(const char *p, const char *end, struct val *v)
{
	char num[64];
	const char *q;
	size_t n;

	p = ws(p, end);
	if (p >= end)
		return NULL;
	memset(v, 0, sizeof *v);
	switch (*p) {
	case '"':
		if (!(q = skip_string(p, end, &v->esc)))
			return NULL;
		v->k = K_STR;
		v->p = p + 1;
		v->n = (size_t)(q - p - 2);
		return q;
	case '{': case '[':
		if (!(q = skip_nested(p, end)))
			return NULL;
		v->k = *p == '{' ? K_OBJ : K_ARR;
		v->p = p;
		v->n = (size_t)(q - p);
		return q;
	case 't':
		v->k = K_TRUE;
		return end - p >= 4 ? p + 4 : NULL;
	case 'f':
		v->k = K_FALSE;
		return end - p >= 5 ? p + 5 : NULL;
	case 'n':
		v->k = K_NULL;
		return end - p >= 4 ? p + 4 : NULL;
	}
	for (q = p; q < end && (isdigit((unsigned char)*q) || *q == '-' || *q == '+' || *q == '.' ||
	    *q == 'e' || *q == 'E'); q++)
		;
	n = (size_t)(q - p);
	if (n == 0 || n >= sizeof num)
		return NULL;
	v->k = K_NUM;
	/* up to 15 digits, no fraction or exponent: exact as a double */
	if (n <= 15 + (*p == '-')) {
		const char *d = p + (*p == '-');
		double x = 0;

		for (; d < q && isdigit((unsigned char)*d); d++)
			x = x * 10 + (*d - '0');
		if (d == q && d > p + (*p == '-')) {
			v->num = *p == '-' ? -x : x;
			return q;
		}
	}
	memcpy(num, p, n);
	num[n] = '\0';
	v->num = strtod(num, NULL);
	return q;
}

static int
hex4(const char *p, const char *end, unsigned *u)
{
	*u = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = p[i], d = isdigit(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		*u = *u << 4 | (unsigned)d;
	}
	return 0;
}

static void
put_utf8(struct ig_buf *b, unsigned u)
{
	char c[4];
	size_t n;

	if (u < 0x80) {
		c[0] = (char)u, n = 1;
	} else if (u < 0x800) {
		c[0] = (char)(0xc0 | u >> 6), c[1] = (char)(0x80 | (u & 0x3f)), n = 2;
	} else if (u < 0x10000) {
		c[0] = (char)(0xe0 | u >> 12), c[1] = (char)(0x80 | (u >> 6 & 0x3f));
		c[2] = (char)(0x80 | (u & 0x3f)), n = 3;
	} else {
		c[0] = (char)(0xf0 | u >> 18), c[1] = (char)(0x80 | (u >> 12 & 0x3f));
		c[2] = (char)(0x80 | (u >> 6 & 0x3f)), c[3] = (char)(0x80 | (u & 0x3f)), n = 4;
	}
	ig_buf_add(b, c, n);
}

/* JSON's escapes (jq's string literals have the same) decoded into b: 0,
 * or -1 on one it does not know or a lone surrogate, which jq would have
 * to judge */
int
pv_unescape(const char *p, size_t n, struct ig_buf *b)
{
	const char *end = p + n;

	b->len = 0;
	while (p < end) {
		const char *q = memchr(p, '\\', (size_t)(end - p));
		unsigned u, lo;

		if (!q) {
			ig_buf_add(b, p, (size_t)(end - p));
			break;
		}
		ig_buf_add(b, p, (size_t)(q - p));
		if (q + 1 >= end)
			return -1;
		p = q + 2;
		switch (q[1]) {
		case '"': case '\\': case '/': ig_buf_add(b, q + 1, 1); break;
		case 'b': ig_buf_add(b, "\b", 1); break;
		case 'f': ig_buf_add(b, "\f", 1); break;
		case 'n': ig_buf_add(b, "\n", 1); break;
		case 'r': ig_buf_add(b, "\r", 1); break;
		case 't': ig_buf_add(b, "\t", 1); break;
		case 'u':
			if (hex4(p, end, &u))
				return -1;
			p += 4;
			if (u >= 0xdc00 && u < 0xe000)
				return -1;
			if (u >= 0xd800 && u < 0xdc00) {
				if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, end, &lo) ||
				    lo < 0xdc00 || lo >= 0xe000)
					return -1;
				p += 6;
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			}
			put_utf8(b, u);
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* a string's bytes, decoded into b when it has escapes */
int
pv_str_bytes(const struct val *v, struct ig_buf *b, const char **p, size_t *n)
{
	if (!v->esc) {
		*p = v->p;
		*n = v->n;
		return 0;
	}
	if (pv_unescape(v->p, v->n, b) != 0)
		return -1;
	*p = b->p ? b->p : "";
	*n = b->len;
	return 0;
}

__thread struct ig_buf pv_scratch[4];

/* past the value at p, without reading it */
static const char *
skip_value(const char *p, const char *end)
{
	int esc;

	switch (*p) {
	case '"':
		return skip_string(p, end, &esc);
	case '{': case '[':
		return skip_nested(p, end);
	case 't': case 'n':
		return end - p >= 4 ? p + 4 : NULL;
	case 'f':
		return end - p >= 5 ? p + 5 : NULL;
	}
	while (p < end && (isdigit((unsigned char)*p) || *p == '-' || *p == '+' || *p == '.' || *p == 'e' ||
	    *p == 'E'))
		p++;
	return p;
}

static int
base_key(const char *key, size_t klen)
{
	switch (klen) {
	case 2: return memcmp(key, "id", 2) == 0;
	case 10: return memcmp(key, "collection", 10) == 0 || memcmp(key, "created_at", 10) == 0 ||
	    memcmp(key, "updated_at", 10) == 0 || memcmp(key, "deleted_at", 10) == 0 ||
	    memcmp(key, "is_deleted", 10) == 0;
	default: return 0;
	}
}

/* member key of object o: 1 and *out, 0 if absent, -1 if malformed. Keys
 * are compared where they lie; only the one wanted is read. */
int
pv_member(const struct val *o, const char *key, size_t klen, struct val *out)
{
	const char *p = o->p + 1, *end = o->p + o->n - 1;
	char needle[72];

	/* Where it lies: `"key":` after `{` or `,` can only be a member (a
	 * quote inside a string is escaped), and with no `{` or `[` before it
	 * it is a member of this object, not of one inside it. Else, or when
	 * the key would need escaping, member by member. */
	if (klen + 3 <= sizeof needle && !memchr(key, '"', klen) && !memchr(key, '\\', klen)) {
		const char *m;

		needle[0] = '"';
		memcpy(needle + 1, key, klen);
		needle[klen + 1] = '"';
		needle[klen + 2] = ':';
		/* a stored record's base fields hold only base keys and no
		 * brackets: a field of its own is looked for after them */
		const char *from = o->own && !base_key(key, klen) ? o->p + o->own : p;

		m = ig_find(from, (size_t)(end - from), needle, klen + 3);
		if (!m && !memchr(from, '{', (size_t)(end - from)) && !memchr(from, '[', (size_t)(end - from)))
			return 0;
		if (m && (m[-1] == ',' || m[-1] == '{') && !memchr(from, '{', (size_t)(m - from)) &&
		    !memchr(from, '[', (size_t)(m - from)))
			return read_val(m + klen + 3, end, out) ? 1 : -1;
	}

	for (;;) {
		const char *kp, *q;
		int esc, match;

		p = ws(p, end);
		if (p < end && *p == ',')
			p = ws(p + 1, end);
		if (p >= end)
			return 0;
		if (*p != '"' || !(q = skip_string(p, end, &esc)))
			return -1;
		kp = p + 1;
		if (!esc) {
			match = (size_t)(q - 1 - kp) == klen && memcmp(kp, key, klen) == 0;
		} else {
			struct val k = { .k = K_STR, .p = kp, .n = (size_t)(q - 1 - kp), .esc = 1 };
			const char *d;
			size_t dn;

			if (pv_str_bytes(&k, &pv_scratch[3], &d, &dn) != 0)
				return -1;
			match = dn == klen && memcmp(d, key, klen) == 0;
		}
		p = ws(q, end);
		if (p >= end || *p != ':')
			return -1;
		p = ws(p + 1, end);
		if (match)
			return read_val(p, end, out) ? 1 : -1;
		if (!(p = skip_value(p, end)))
			return -1;
	}
}


void
pv_iter_start(struct iter *it, const struct val *v)
{
	it->p = v->p + 1;
	it->end = v->p + v->n - 1;
	it->obj = v->k == K_OBJ;
}

/* 1 with the next, 0 at the end, -1 if malformed */
int
pv_iter_next(struct iter *it, struct val *out)
{
	it->p = ws(it->p, it->end);
	if (it->p >= it->end)
		return 0;
	if (*it->p == ',')
		it->p++;
	if (it->obj) {
		struct val k;

		if (!(it->p = read_val(it->p, it->end, &k)) || k.k != K_STR)
			return -1;
		it->p = ws(it->p, it->end);
		if (it->p >= it->end || *it->p != ':')
			return -1;
		it->p++;
	}
	if (!(it->p = read_val(it->p, it->end, out)))
		return -1;
	return 1;
}
