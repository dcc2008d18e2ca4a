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

/* jq 1.6 keeps a value's kind in the low four bits of kind_flags (its
 * jv_get_kind is that mask), and its jv_free makes four calls to find that
 * a null, a boolean or a plain invalid value holds nothing. Records are
 * made of such values, so the hot paths use these, which make no call. */
static inline jv_kind
ig_kind(jv v)
{
	return (jv_kind)(v.kind_flags & 0xf);
}

static inline int
ig_valid(jv v)
{
	return ig_kind(v) != JV_KIND_INVALID;
}

static inline void
ig_jv_free(jv v)
{
	jv_kind k = ig_kind(v);

	/* numbers too: a later jq counts references to number literals */
	if (k >= JV_KIND_NUMBER || (k == JV_KIND_INVALID && v.u.ptr))
		jv_free(v);
}

/* Parse exactly one JSON value from s[0..len), which must be followed by a
 * NUL byte. On error returns jv_invalid() and writes a reason to err. */
jv ig_json_parse(const char *s, size_t len, char *err, size_t errlen);
/* The same, but a string of at least big bytes with no escapes becomes
 * {"ig_offset":N,"ig_length":N} into s: a multi-megabyte base64 image is
 * read where it lies, without a copy and jq's second UTF-8 pass. */
jv ig_json_parse_big(const char *s, size_t len, size_t big, char *err, size_t errlen);

/* A line's top-level object as members, without building a jv object: keys
 * point into the line (or into key, when the key had escapes). */
struct ig_member {
	const char *key;
	size_t klen;
	jv keyv;	/* owns the decoded key when it had escapes, else invalid */
	jv value;
};
struct ig_members {
	struct ig_member *v;
	int n, cap;
};
/* 0 with the members of a top-level object, 1 if s holds valid JSON that is
 * not an object, -1 on invalid JSON (reason in err). Clears m first. */
int ig_json_parse_members(const char *s, size_t len, struct ig_members *m,
    char *err, size_t errlen);
/* the value of a member (borrowed), or jv_invalid() */
jv ig_member_get(const struct ig_members *m, const char *key);
void ig_members_clear(struct ig_members *m);
void ig_members_free(struct ig_members *m);

/* Append v (borrowed) in compact form; object keys keep their order. */
void ig_json_write(struct ig_buf *b, jv v);
/* v (consumed) as one line on stdout, built in scratch; dies if stdout fails */
void ig_json_put_line(struct ig_buf *scratch, jv v);
void ig_json_write_string(struct ig_buf *b, const char *s, size_t n);
void ig_json_write_number(struct ig_buf *b, double d);
/* JSON text with every non-ASCII character as \uXXXX, for PNG tEXt */
void ig_json_ascii(struct ig_buf *out, const char *s, size_t n);

/* 1 if s[0..n) is valid UTF-8 without overlongs or surrogates */
int ig_utf8_valid(const char *s, size_t n);
/* characters (code points) in valid UTF-8 */
size_t ig_utf8_length(const char *s, size_t n);

/* borrowed-field helpers that never abort on a non-object */
jv ig_get(jv obj, const char *key);	/* returns a new reference or jv_invalid() */
/* v's member a, its member b, its member c (b and c may be NULL); v consumed */
jv ig_get_path(jv v, const char *a, const char *b, const char *c);
int ig_has(jv obj, const char *key);	/* present, null included */
/* a string field, borrowed from obj (which keeps it alive), or NULL */
const char *ig_str(jv obj, const char *key);

#endif
