/* placeholder.h - a deterministic stand-in image, made offline, that says
 * what it stands for */
#ifndef IG_PLACEHOLDER_H
#define IG_PLACEHOLDER_H
#include <stdint.h>

#include "buf.h"

/* what a placeholder says: any may be NULL (n 0) */
struct ig_placeholder_says {
	const char *subject;	/* the job's elements, else its prompt */
	const char *theme, *variation;	/* the theme tints the background */
	const char *batch;	/* the batch's name */
	long n;			/* the job's number in it */
};

/* a PNG of width x height drawn from the prompt and seed, with says'
 * words on it in the built-in font, scaled to the size: the same ones give
 * the same bytes, other ones another picture; -1 with err */
int ig_placeholder(struct ig_buf *png, const char *prompt, long long seed,
    uint32_t width, uint32_t height, const struct ig_placeholder_says *says, char *err, size_t errlen);

#endif
