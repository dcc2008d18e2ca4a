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
	/* whole groups of four without padding or line breaks, the usual case */
	while (bits == 0 && n >= 4) {
		int a = value[(unsigned char)s[0]], c = value[(unsigned char)s[1]];
		int d = value[(unsigned char)s[2]], e = value[(unsigned char)s[3]];
		char *o;

		if ((a | c | d | e) < 0)
			break;
		o = b->p + b->len;
		o[0] = (char)(a << 2 | c >> 4);
		o[1] = (char)((c & 15) << 4 | d >> 2);
		o[2] = (char)((d & 3) << 6 | e);
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
