/* base64.h - standard base64, as JSON carries bytes */
#ifndef IG_BASE64_H
#define IG_BASE64_H
#include <stddef.h>

#include "buf.h"

void ig_base64_encode(struct ig_buf *b, const unsigned char *p, size_t n);
/* -1 on a character outside the alphabet (whitespace is skipped) */
int ig_base64_decode(struct ig_buf *b, const char *s, size_t n);

#endif
