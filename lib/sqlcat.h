/* sqlcat.h - a SQL catalogue (SQLite, PostgreSQL) kept in step with record lines
 *
 * Lines are whole records, as ig-record and ig-query print them: a field a
 * line does not give is the model's default, or NULL, in its row. They are
 * upserted by id (INSERT ... ON CONFLICT (id) DO UPDATE), a
 * transaction every IG_SQL_BATCH lines; foreign keys are checked at commit,
 * so parents may come after their children within a transaction, and a
 * row whose parent is nowhere is taken back out with its line named. A row
 * read back (ig_sqlcat_dump) is the record it came from: ig-record takes
 * ig_sqlcat_dump's lines into an empty store and ig-query export prints
 * what was exported. sqlschema.h has the tables.
 */
#ifndef IG_SQLCAT_H
#define IG_SQLCAT_H
#include <stdint.h>

#include "buf.h"
#include "model.h"

#define IG_SQL_BATCH 10000	/* lines a transaction */

struct ig_sqlcat;

/* the catalogue name says (sqlite:PATH, or a PostgreSQL URI or conninfo),
 * its tables made if missing; NULL with err, which holds no password */
struct ig_sqlcat *ig_sqlcat_open(const struct ig_model *m, const char *name, char *err, size_t errlen);
/* a record line (file:line for messages): 0 taken, 1 refused (said so on
 * stderr), -1 the database failed (err) */
int ig_sqlcat_put(struct ig_sqlcat *s, const char *file, long lineno, const char *line, size_t n,
    char *err, size_t errlen);
/* the row id (a UUID's text) of collection table deleted, as the store
 * purged it, unless a row refers to it: 0, or -1 (err) */
int ig_sqlcat_remove(struct ig_sqlcat *s, const char *file, long lineno, int table, const char *id,
    char *err, size_t errlen);
/* how far the catalogue has synced store's change log (0: not at all) */
int ig_sqlcat_mark(struct ig_sqlcat *s, const char *store, uint64_t *seq, char *err, size_t errlen);
/* the next commit records store synced up to seq, with what it commits */
void ig_sqlcat_set_mark(struct ig_sqlcat *s, const char *store, uint64_t seq);
/* what was put is committed: the lines refused at commit are said and
 * counted in *refused; 0, or -1 with err */
int ig_sqlcat_commit(struct ig_sqlcat *s, long *refused, char *err, size_t errlen);
/* every row as a record line, parents first, to out (flushed to stdout as it fills) */
int ig_sqlcat_dump(struct ig_sqlcat *s, char *err, size_t errlen);
void ig_sqlcat_close(struct ig_sqlcat *s);

#endif
