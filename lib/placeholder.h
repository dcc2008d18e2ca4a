/* placeholder.h - a deterministic stand-in image, made offline */
#ifndef IG_PLACEHOLDER_H
#define IG_PLACEHOLDER_H
#include <stdint.h>

#include "buf.h"

/* a PNG of width x height drawn from the prompt and seed: the same ones give
 * the same bytes, other ones another picture; -1 with err */
int ig_placeholder(struct ig_buf *png, const char *prompt, long long seed,
    uint32_t width, uint32_t height, char *err, size_t errlen);

#endif
