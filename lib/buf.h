/* buf.h - a growable byte buffer */
#ifndef IG_BUF_H
#define IG_BUF_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bytes.h"

struct ig_buf {
	char *p;
	size_t len, cap;
};

void ig_buf_grow(struct ig_buf *b, size_t more);
void ig_buf_free(struct ig_buf *b);
/* keep the buffer NUL-terminated so it can be read as a C string */
const char *ig_buf_str(struct ig_buf *b);
void ig_buf_printf(struct ig_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* a whole number in decimal, without printf's cost */
void ig_buf_add_int(struct ig_buf *b, long long v);

static inline void
ig_buf_add(struct ig_buf *b, const void *s, size_t n)
{
	if (b->cap - b->len < n + 1)
		ig_buf_grow(b, n + 1);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void
ig_buf_addc(struct ig_buf *b, char c)
{
	if (b->cap - b->len < 2)
		ig_buf_grow(b, 2);
	b->p[b->len++] = c;
}

static inline void
ig_buf_adds(struct ig_buf *b, const char *s)
{
	ig_buf_add(b, s, strlen(s));
}

/* a 32-bit whole number, big-endian, as PNG and others frame data */
static inline void
ig_buf_add_be32(struct ig_buf *b, uint32_t v)
{
	unsigned char c[4];

	ig_put_be32(c, v);
	ig_buf_add(b, c, 4);
}

#endif
