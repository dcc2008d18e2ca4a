/* bounds.h - the most ig takes of anything, in one place (not limits.h,
 * which -Ilib would put in place of the system one)
 *
 * Each is documented in ig(7), RESOURCE LIMITS. Input past one is refused
 * with a message that names it, before memory is taken for it: a length in
 * a header is a claim, not a size to allocate.
 */
#ifndef IG_BOUNDS_H
#define IG_BOUNDS_H
#include <stddef.h>
#include <stdint.h>

/* the longest input line: a batch of IG_PLAN_COMBINATIONS specs fits */
#define IG_LINE_MAX ((size_t)64 << 20)
/* JSON nesting: deep enough for any record, shallow for the stack */
#define IG_JSON_DEPTH_MAX 256
/* 2^53: integers beyond it are not all doubles */
#define IG_JSON_INT_EXACT 9007199254740992.0
/* the largest PNG chunk read, and the most a compressed one (zTXt, iTXt,
 * iCCP) inflates to */
#define IG_CHUNK_MAX ((size_t)16 << 20)
/* the most pixels of an image: 16384 x 16384 */
#define IG_MAX_PIXELS ((uint64_t)1 << 28)
/* an interlaced PNG is held whole to be read in rows: up to this */
#define IG_RASTER_BUFFER_MAX ((size_t)256 << 20)
/* the largest answer of an image API */
#define IG_ANSWER_MAX ((size_t)256 << 20)
/* a plan's combinations, unless --max-combinations says otherwise: the
 * batch record lists every one */
#define IG_PLAN_COMBINATIONS 100000
/* the most jobs a plan makes (count times combinations): they stream */
#define IG_PLAN_JOBS_MAX ((double)(1LL << 40))

#endif
