/* base64.c - RFC 4648 base64 */
#include <stdint.h>
#include <string.h>

#include "base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
ig_base64_encode(struct ig_buf *b, const unsigned char *p, size_t n)
{
	size_t i;

	ig_buf_grow(b, (n + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		char *o = b->p + b->len;

		o[0] = alphabet[v >> 18];
		o[1] = alphabet[v >> 12 & 63];
		o[2] = alphabet[v >> 6 & 63];
		o[3] = alphabet[v & 63];
		b->len += 4;
	}
	if (i < n) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
		char o[4] = { alphabet[v >> 18], alphabet[v >> 12 & 63],
		    i + 1 < n ? alphabet[v >> 6 & 63] : '=', '=' };

		ig_buf_add(b, o, 4);
	}
}

/* each character's value, or -1; and, for whole groups, the value already
 * shifted to its place in the group's 24 bits (bit 24 marks a character
 * that is none). Filled before main, since threads decode at once. */
static signed char value[256];
static uint32_t placed[4][256];

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_WIDE 1
static int wide;	/* the processor has AVX2 */

/* the bytes of c in [lo, hi] */
__attribute__((target("avx2"))) static inline __m256i
in_range(__m256i c, char lo, char hi)
{
	return _mm256_and_si256(_mm256_cmpgt_epi8(c, _mm256_set1_epi8((char)(lo - 1))),
	    _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(hi + 1)), c));
}

/* 32 characters to 24 bytes a step, while every character of a step is in
 * one of the alphabets; the characters decoded (a multiple of 32). out
 * needs 8 bytes of room past what it gets: each step stores 32. */
__attribute__((target("avx2"))) static size_t
decode_wide(unsigned char *out, const char *s, size_t n)
{
	const __m256i pack = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
	    2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
	const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
	size_t done = 0;

	for (; n - done >= 32; done += 32, out += 24) {
		__m256i c = _mm256_loadu_si256((const __m256i *)(s + done));
		__m256i upper = in_range(c, 'A', 'Z'), lower = in_range(c, 'a', 'z'), digit = in_range(c, '0', '9');
		__m256i plus = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('+')), slash = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('/'));
		__m256i dash = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('-')), under = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('_'));
		__m256i any = _mm256_or_si256(_mm256_or_si256(_mm256_or_si256(upper, lower), _mm256_or_si256(digit, plus)),
		    _mm256_or_si256(slash, _mm256_or_si256(dash, under)));
		__m256i shift, v;

		if (_mm256_movemask_epi8(any) != -1)
			break;
		/* each character's value is itself plus its class's shift */
		shift = _mm256_or_si256(_mm256_or_si256(_mm256_and_si256(upper, _mm256_set1_epi8(-65)),
		    _mm256_and_si256(lower, _mm256_set1_epi8(-71))), _mm256_or_si256(_mm256_and_si256(digit,
		    _mm256_set1_epi8(4)), _mm256_and_si256(plus, _mm256_set1_epi8(19))));
		shift = _mm256_or_si256(shift, _mm256_or_si256(_mm256_and_si256(slash, _mm256_set1_epi8(16)),
		    _mm256_or_si256(_mm256_and_si256(dash, _mm256_set1_epi8(17)), _mm256_and_si256(under,
		    _mm256_set1_epi8(-32)))));
		v = _mm256_add_epi8(c, shift);
		/* four 6-bit values to 24 bits in each 32: a*64+b and c*64+d,
		 * then (a*64+b)*4096 + c*64+d; its three bytes high first, in
		 * order, the lanes' twelve joined */
		v = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
		v = _mm256_madd_epi16(v, _mm256_set1_epi32(0x00011000));
		v = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, pack), lanes);
		_mm256_storeu_si256((__m256i *)out, v);
	}
	return done;
}
#endif

__attribute__((constructor)) static void
init_value(void)
{
#ifdef HAVE_WIDE
	wide = __builtin_cpu_supports("avx2");
#endif
	for (int i = 0; i < 256; i++)
		value[i] = -1;
	for (int i = 0; i < 64; i++)
		value[(unsigned char)alphabet[i]] = (signed char)i;
	/* the URL-safe alphabet too: proxies rewrite */
	value['-'] = 62;
	value['_'] = 63;
	for (int i = 0; i < 256; i++)
		for (int k = 0; k < 4; k++)
			placed[k][i] = value[i] < 0 ? 1u << 24 : (uint32_t)value[i] << (18 - 6 * k);
}

int
ig_base64_decode(struct ig_buf *b, const char *s, size_t n)
{
	unsigned v = 0;
	int bits = 0;

	ig_buf_grow(b, n / 4 * 3 + 3 + 8);
#ifdef HAVE_WIDE
	if (wide && n >= 64) {
		size_t k = decode_wide((unsigned char *)b->p + b->len, s, n);

		b->len += k / 4 * 3;
		s += k;
		n -= k;
	}
#endif
	/* whole groups of four without padding or line breaks, the usual case */
	while (bits == 0 && n >= 4) {
		const unsigned char *u = (const unsigned char *)s;
		uint32_t g = placed[0][u[0]] | placed[1][u[1]] | placed[2][u[2]] | placed[3][u[3]];
		char *o;

		if (g >> 24)
			break;
		o = b->p + b->len;
		o[0] = (char)(g >> 16);
		o[1] = (char)(g >> 8);
		o[2] = (char)g;
		b->len += 3;
		s += 4;
		n -= 4;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '=' || c == '\n' || c == '\r' || c == ' ')
			continue;
		if (value[c] < 0)
			return -1;
		v = v << 6 | (unsigned)value[c];
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			b->p[b->len++] = (char)(v >> bits & 0xff);
		}
	}
	return 0;
}

/* whole groups decoded, the rest carried */
static int
stream_groups(struct ig_base64_stream *st, struct ig_buf *b, const char *s, size_t n)
{
	size_t whole;

	while (st->ncarry && st->ncarry < 4 && n) {
		st->carry[st->ncarry++] = *s++;
		n--;
	}
	if (st->ncarry == 4) {
		if (ig_base64_decode(b, st->carry, 4) != 0)
			return -1;
		st->ncarry = 0;
	}
	whole = n / 4 * 4;
	if (whole && ig_base64_decode(b, s, whole) != 0)
		return -1;
	memcpy(st->carry + st->ncarry, s + whole, n - whole);
	st->ncarry += (int)(n - whole);
	return 0;
}

int
ig_base64_stream(struct ig_base64_stream *st, struct ig_buf *b, const char *s, size_t n)
{
	if (!memchr(s, '=', n) && !memchr(s, '\n', n) && !memchr(s, '\r', n) && !memchr(s, ' ', n))
		return stream_groups(st, b, s, n);
	/* a group split by padding or a line break would be read wrong */
	st->text.len = 0;
	ig_buf_grow(&st->text, n);
	for (size_t i = 0; i < n; i++)
		if (s[i] != '=' && s[i] != '\n' && s[i] != '\r' && s[i] != ' ')
			st->text.p[st->text.len++] = s[i];
	return stream_groups(st, b, st->text.p, st->text.len);
}

int
ig_base64_stream_end(struct ig_base64_stream *st, struct ig_buf *b)
{
	int rc = st->ncarry == 1 ? -1 : st->ncarry ? ig_base64_decode(b, st->carry, (size_t)st->ncarry) : 0;

	st->ncarry = 0;
	return rc;
}

void
ig_base64_stream_free(struct ig_base64_stream *st)
{
	ig_buf_free(&st->text);
}
