/* base64.c - RFC 4648 base64 */
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

int
ig_base64_decode(struct ig_buf *b, const char *s, size_t n)
{
	static signed char value[256];
	unsigned v = 0;
	int bits = 0;

	if (!value['B']) {
		for (int i = 0; i < 256; i++)
			value[i] = -1;
		for (int i = 0; i < 64; i++)
			value[(unsigned char)alphabet[i]] = (signed char)i;
		/* the URL-safe alphabet too: proxies rewrite */
		value['-'] = 62;
		value['_'] = 63;
	}
	ig_buf_grow(b, n / 4 * 3 + 3);
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
