/* modelload.h - what model.c and modelrules.c share while loading
 * db/model: the loader's state, its first error, and the loaders of a
 * collection's rules (lifecycle, derived fields, summary) */
#ifndef IG_MODELLOAD_H
#define IG_MODELLOAD_H
#include "model.h"

/* what loading carries: the names to resolve, and the first error, after
 * which every step returns at once and the caller frees what was made */
struct pending;
struct loader {
	struct pending *pend;
	int npend;
	char *err;
	size_t errlen;
	int bad;
};

/* the first error is kept: "where: what" */
void ig_model_bad(struct loader *ld, const char *where, const char *what);
/* c's index on exactly fields[0..nf), or (prefix) one that begins so: or -1 */
int ig_model_index_of(const struct ig_collection *c, int nf, const int *fields, int prefix);
/* a collection's rules, once every collection's fields and indexes are
 * loaded; each takes its spec */
void ig_model_load_lifecycle(struct loader *ld, struct ig_collection *c, jv spec);
void ig_model_load_derive(struct loader *ld, const struct ig_model *m, struct ig_collection *c, jv spec);
void ig_model_load_summary(struct loader *ld, const struct ig_model *m, struct ig_collection *c, jv spec);

#endif
