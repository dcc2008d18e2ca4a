/* spool.h - tagged byte strings kept for a replay, in memory or in a temporary file */
#ifndef IG_SPOOL_H
#define IG_SPOOL_H
#include <stdio.h>

#include "buf.h"

struct ig_spool {
	struct ig_buf mem;
	FILE *file;		/* on disk when the spool may outgrow memory */
	size_t count, bytes;
	size_t pos;		/* reading; or where the item being built starts */
	struct ig_buf item;
};

void ig_spool_init(struct ig_spool *sp, int on_disk);
void ig_spool_add(struct ig_spool *sp, long tag, const char *p, size_t n);
/* an item built in place, without a copy: append to the buffer that
 * ig_spool_start returns, then ig_spool_finish */
struct ig_buf *ig_spool_start(struct ig_spool *sp);
void ig_spool_finish(struct ig_spool *sp, long tag);
void ig_spool_rewind(struct ig_spool *sp);
/* the next item, NUL-terminated; 0 at the end */
int ig_spool_next(struct ig_spool *sp, long *tag, const char **p, size_t *n);
void ig_spool_clear(struct ig_spool *sp);
void ig_spool_free(struct ig_spool *sp);

#endif
