/* plan.h - plans expand into a batch and its generation jobs
 *
 * A plan names a batch, themes, variations, style presets and elements (a
 * name or a list each), a subject prompt, variables (a value or a list each),
 * a count, a seed, a size, a model and an output path template. Every list is
 * an axis; each combination of the axes, times count, is one job. The prompt
 * composition and the template rules are in man/ig-plan.1.
 */
#ifndef IG_PLAN_H
#define IG_PLAN_H
#include <stdio.h>
#include <jv.h>

#include "store.h"

struct ig_planner;

/* the model a plan asks for when it names none */
#define IG_DEFAULT_MODEL "gemini-2.5-flash-image"

/* store may be NULL: then names are looked up only in the input; a plan
 * with more than max_combinations combinations is refused */
struct ig_planner *ig_planner_new(struct ig_store *store, int skip_incompatible, long max_combinations);
void ig_planner_free(struct ig_planner *p);
/* only the jobs whose number (from 1, in the order the plan makes them) is
 * k modulo n, for one of n hosts; the batch record is every host's */
void ig_planner_shard(struct ig_planner *p, long k, long n);
/* a theme-library record from the input (consumed): kept for lookups */
void ig_planner_library(struct ig_planner *p, jv rec);
/* 1 if obj is a theme-library record */
int ig_planner_is_library(jv obj);
/* expand a plan (borrowed) into lines on out; nothing is written unless the
 * whole plan is sound: -1 with the reason in err. Warnings (skipped
 * combinations) go to warn(ctx, message). */
int ig_planner_expand(struct ig_planner *p, jv plan, FILE *out,
    void (*warn)(void *ctx, const char *msg), void *ctx, char *err, size_t errlen);

#endif
