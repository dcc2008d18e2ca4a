/* pgcopy.h - PostgreSQL's binary COPY format, for pg.c
 *
 * Binary COPY spares the server the parsing of every uuid, timestamp and
 * number from text: about 40% of a COPY's time on a metadata row. Each
 * column's form comes from its type as the server names it; a value with
 * no binary form for its column (a uuid that is not one, an integer past
 * 32 bits for an integer column) is left to the text path, whose errors the
 * server words.
 */
#ifndef IG_PGCOPY_H
#define IG_PGCOPY_H
#include "buf.h"
#include "sqldrv.h"

enum ig_pg_bin { IG_PGB_NONE, IG_PGB_UUID, IG_PGB_TEXT, IG_PGB_TSTZ, IG_PGB_INT4, IG_PGB_INT8,
	IG_PGB_FLOAT8, IG_PGB_BOOL, IG_PGB_JSONB, IG_PGB_JSON };

/* a column's binary form from format_type()'s name for its type;
 * IG_PGB_NONE for a type this does not write */
enum ig_pg_bin ig_pg_bin_of(const char *type);
/* the file's header, a tuple's field count, its trailer */
void ig_pg_bin_header(struct ig_buf *b);
void ig_pg_bin_tuple(struct ig_buf *b, int fields);
void ig_pg_bin_trailer(struct ig_buf *b);
/* a cell as a field of column kind k, its length first: 0, or -1 (nothing
 * written) if it has no binary form there */
int ig_pg_bin_field(struct ig_buf *b, enum ig_pg_bin k, const struct ig_cell *c);

#endif
