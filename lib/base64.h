/* base64.h - standard base64, as JSON carries bytes */
#ifndef IG_BASE64_H
#define IG_BASE64_H
#include <stddef.h>

#include "buf.h"

void ig_base64_encode(struct ig_buf *b, const unsigned char *p, size_t n);
/* -1 on a character outside the alphabet (whitespace is skipped) */
int ig_base64_decode(struct ig_buf *b, const char *s, size_t n);

/* base64 decoded in pieces that need not end on a group of four: padding
 * and line breaks are dropped on the way */
struct ig_base64_stream {
	char carry[4];		/* an unfinished group */
	int ncarry;
	struct ig_buf text;	/* a piece, cleaned */
};
/* the piece's bytes appended to b; -1 if it is not base64 */
int ig_base64_stream(struct ig_base64_stream *st, struct ig_buf *b, const char *s, size_t n);
/* the last group's bytes; -1 if what is left cannot end base64 */
int ig_base64_stream_end(struct ig_base64_stream *st, struct ig_buf *b);
void ig_base64_stream_free(struct ig_base64_stream *st);

#endif
