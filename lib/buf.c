/* buf.c - growable byte buffer */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "err.h"

void
ig_buf_grow(struct ig_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;

	while (cap - b->len < more)
		cap *= 2;
	if (cap != b->cap) {
		b->p = ig_realloc(b->p, cap);
		b->cap = cap;
	}
}

void
ig_buf_free(struct ig_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

const char *
ig_buf_str(struct ig_buf *b)
{
	ig_buf_grow(b, 1);
	b->p[b->len] = '\0';
	return b->p;
}

void
ig_buf_printf(struct ig_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	ig_buf_grow(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
ig_buf_add_int(struct ig_buf *b, long long v)
{
	char tmp[24], *q = tmp + sizeof tmp;
	unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;

	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--q = '-';
	ig_buf_add(b, q, (size_t)(tmp + sizeof tmp - q));
}
