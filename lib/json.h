/* json.h - a strict JSON parser into jv and a fast compact serializer over jv
 *
 * jq 1.6's jv_parser silently replaces invalid UTF-8, cannot be reused line
 * after line, and its jv_dump_string is slow; these are what ig needs instead.
 */
#ifndef IG_JSON_H
#define IG_JSON_H
#include <stddef.h>
#include <jv.h>

#include "buf.h"

/* Parse exactly one JSON value from s[0..len), which must be followed by a
 * NUL byte. On error returns jv_invalid() and writes a reason to err. */
jv ig_json_parse(const char *s, size_t len, char *err, size_t errlen);

/* Append v (borrowed) in compact form; object keys keep their order. */
void ig_json_write(struct ig_buf *b, jv v);
void ig_json_write_string(struct ig_buf *b, const char *s, size_t n);
void ig_json_write_number(struct ig_buf *b, double d);

/* 1 if s[0..n) is valid UTF-8 without overlongs or surrogates */
int ig_utf8_valid(const char *s, size_t n);
/* characters (code points) in valid UTF-8 */
size_t ig_utf8_length(const char *s, size_t n);

/* borrowed-field helpers that never abort on a non-object */
jv ig_get(jv obj, const char *key);	/* returns a new reference or jv_invalid() */
int ig_has(jv obj, const char *key);	/* present, null included */

#endif
