/* filter.h - a jq expression as a record predicate (libjq, compiled on demand) */
#ifndef IG_FILTER_H
#define IG_FILTER_H
#include <stddef.h>
#include <jv.h>

struct ig_filter;

/* NULL with the reason in err if expr does not compile */
struct ig_filter *ig_filter_new(const char *expr, char *err, size_t errlen);
/* 1 if the first output of expr on rec (consumed) is neither false nor null,
 * 0 if it is or there is none, -1 on a runtime error (reason in err) */
int ig_filter_test(struct ig_filter *f, jv rec, char *err, size_t errlen);
void ig_filter_free(struct ig_filter *f);

#endif
