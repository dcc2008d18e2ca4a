/* writer.h - batches of input lines stored in one transaction each
 *
 * Lines are spooled first and applied when the batch is flushed, so the
 * store's single write lock is held only while applying, never while
 * waiting for input. Results are printed after the commit: a line on stdout
 * is a record that is stored. On MDB_MAP_FULL the map grows and the batch is
 * applied again from the spool.
 */
#ifndef IG_WRITER_H
#define IG_WRITER_H
#include <stdint.h>

#include "json.h"
#include "spool.h"
#include "store.h"

struct ig_writer {
	struct ig_store *store;
	int strict;		/* one transaction for everything */
	struct ig_spool in, out;
	const char **names;	/* input names, by file number */
	int nnames;
	int64_t batch_start_us;
	long rejected;		/* lines rejected so far */
	struct ig_buf rec;
	struct ig_members members;	/* the line being applied */
};

void ig_writer_init(struct ig_writer *w, struct ig_store *s, int strict);
/* input lines carry their file (an index into names) and line number */
int ig_writer_file(struct ig_writer *w, const char *name);
void ig_writer_add(struct ig_writer *w, int file, long lineno, const char *line, size_t len);
/* apply, commit and print; dies with IG_EXIT_SYSTEM on a store failure */
void ig_writer_flush(struct ig_writer *w);
void ig_writer_free(struct ig_writer *w);

#endif
