/* planner.h - the planner, between the files that make it up
 *
 * plan.c expands plans; plancombo.c composes each combination; planlib.c is what the
 * planner knows (the theme library from the input and the store, and the
 * store's records); plantpl.c fills templates and writes JSON fields.
 * plan.h is its interface.
 */
#ifndef IG_PLANNER_H
#define IG_PLANNER_H
#include <stdint.h>
#include <jv.h>

#include "buf.h"
#include "clock.h"
#include "bounds.h"
#include "plan.h"


extern const char *const plan_library_colls[];
enum { L_THEMES, L_VARIATIONS, L_PRESETS, L_ELEMENTS, L_N };

struct ig_planner {
	struct ig_store *store;	/* or NULL */
	int skip_incompatible;
	long max_combinations;
	long shard_k, shard_n;	/* --shard K/N: only jobs numbered K modulo N; N 0, all */
	jv lib[L_N];		/* key -> record, from the input */
	jv seen;		/* batch name -> its jobs_json, this run */
	int loaded;		/* the store's library is in lib */
	/* db/model's defaults for what a plan writes */
	jv batch_status, job_status, image_type, image_subtype;
	struct ig_buf scratch;
};

/* one combination, composed */
struct combo {
	jv theme, variation, preset, elements;	/* records; null where none */
	jv vars;		/* variables as filled, for the output template */
	jv names;		/* built-in template fields */
	char *prompt, *output, *placeholder;	/* output keeps {n} and {seed} */
	jv config;
	jv seed;		/* a number from a seed list, or null */
	int skip;		/* incompatible, skipped with a warning */
};


/* the axes of a plan, each a list; pick[i] is the current index in axis i */
struct axes {
	jv lists[64];
	const char *names[64];
	int n;
	long pick[64];
};

/* a plan's request settings, which go into params.config */
#define PLAN_SETTING_KEYS "aspect_ratio", "image_size", "references", "source", "mask", "background", \
	"output_format", "output_compression", "quality", "moderation", "request"

/* plancombo.c: the combination the axes point at, into c; 0, or -1 with err */
int plan_compose(struct ig_planner *p, jv plan, struct axes *ax, struct combo *c, char *err, size_t errlen);
void plan_combo_free(struct combo *c);

/* planlib.c */
const char *plan_str(jv rec, const char *key);
void plan_load_store_library(struct ig_planner *p);
void plan_known(struct ig_planner *p, int l, const char *theme_id, char *out, size_t n);
jv plan_find_theme(struct ig_planner *p, const char *name);
jv plan_find_variation(struct ig_planner *p, const char *theme_id, const char *name);
jv plan_find_preset(struct ig_planner *p, const char *name);
jv plan_find_element(struct ig_planner *p, const char *spec, int *ambiguous);
int plan_compatible(jv rec, const char *theme);
char *plan_stored_record(struct ig_planner *p, const char *coll, const uint8_t id[16], size_t *len);

/* plantpl.c */
int plan_fill(struct ig_buf *b, const char *t, jv vars, int keep, const char *what,
    char *err, size_t errlen);
int plan_add_prompts(struct ig_buf *prompt, jv prompts, jv vars, const char *what,
    char *err, size_t errlen);
void plan_fill_job(struct ig_buf *b, const char *t, long n, long long seed);
void plan_put_str(struct ig_buf *b, const char *key, const char *s);
void plan_put_made(struct ig_buf *b, const struct ig_now *now);
void plan_put_json(struct ig_buf *b, const char *key, jv rec, const char *field, jv fallback);

#endif
