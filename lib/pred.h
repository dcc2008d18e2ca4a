/* pred.h - the jq predicates people write, run on a record's stored bytes
 *
 * A --where expression inside the native subset (paths, literals, == != <
 * <= > >=, + - * / % on numbers, and, or, not, select, length, has,
 * startswith, endswith, contains and test (through Oniguruma, as jq) on
 * strings, any and all over an array) is compiled here once and evaluated
 * on the record's JSON text, reading only the fields it names, without
 * making a jq value. Where jq would raise an error, or a value is one the
 * subset does not compare (two arrays, a string built by +), the answer is
 * "ask jq": the caller runs that record through libjq, so the results, the
 * errors and their messages are jq's own. See ig-query(1).
 */
#ifndef IG_PRED_H
#define IG_PRED_H
#include <stddef.h>

struct ig_pred;

enum { IG_PRED_ASK_JQ = -1 };

/* NULL if expr is outside the subset (libjq runs it whole) */
struct ig_pred *ig_pred_compile(const char *expr);
/* 1 if the first output is neither false nor null, 0 if it is or there is
 * none, IG_PRED_ASK_JQ where jq must decide */
int ig_pred_eval(const struct ig_pred *p, const char *json, size_t len);
/* The top-level fields the predicate fixes whatever else holds: conjuncts
 * `.field == literal` (either way round). Up to max of them: their names,
 * and each literal as JSON text (a string literal unescaped, without its
 * quotes, with *is_string set). Returns how many. */
struct ig_pred_fixed {
	const char *field;
	size_t flen;
	const char *value;	/* the literal: a string's bytes, or JSON text */
	size_t vlen;
	int is_string;
};
int ig_pred_fixed(const struct ig_pred *p, struct ig_pred_fixed *out, int max);
void ig_pred_free(struct ig_pred *p);

#endif
