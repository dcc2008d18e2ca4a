/* predint.h - the native predicates' insides, shared by predview.c (the
 * stored text read), pred.c (jq's semantics on it) and predparse.c (the
 * expressions compiled) */
#ifndef IG_PREDINT_H
#define IG_PREDINT_H
#include <stddef.h>

#include "buf.h"
#include "pred.h"

enum kind { K_EMPTY, K_NULL, K_FALSE, K_TRUE, K_NUM, K_STR, K_ARR, K_OBJ };

struct val {
	enum kind k;
	const char *p;		/* K_STR: the bytes; K_ARR, K_OBJ: the text, brackets included */
	size_t n;
	int esc;		/* K_STR: p is JSON text with escapes, not yet decoded */
	double num;
	size_t own;		/* K_OBJ, a stored record: where its own fields begin, or 0 */
};

enum op {
	N_DOT, N_FIELD, N_INDEX, N_LIT, N_PIPE, N_AND, N_OR, N_CMP, N_ARITH,
	N_NOT, N_LENGTH, N_HAS, N_STARTS, N_ENDS, N_CONTAINS, N_TEST,
	N_ANY, N_ALL, N_SELECT,
};

enum { EQ, NE, LT, LE, GT, GE };

struct node {
	enum op op;
	int sub;		/* N_CMP: EQ..GE; N_ARITH: + - * / % */
	struct node *a, *b;	/* input or left, and right or argument */
	struct val lit;		/* N_LIT, and the literal argument of a function */
	char *key;		/* N_FIELD */
	size_t klen;
	long index;		/* N_INDEX */
	void *re;		/* N_TEST: the pattern, compiled by Oniguruma as jq compiles it */
};

struct ig_pred {
	struct node *root;
	char *text;		/* the literals' decoded bytes live here */
};

/* the elements of an array, or the values of an object, one by one */
struct iter {
	const char *p, *end;
	int obj;
};

#define ASK IG_PRED_ASK_JQ

/* predview.c: a stored JSON text's values, where they lie */
extern __thread struct ig_buf pv_scratch[4];	/* decoded strings: 0, 1 operands; 3 keys */
/* member key of object o: 1 and *out, 0 if absent, -1 if malformed */
int pv_member(const struct val *o, const char *key, size_t klen, struct val *out);
/* a string's bytes, decoded into b when it has escapes: 0, or -1 */
int pv_str_bytes(const struct val *v, struct ig_buf *b, const char **p, size_t *n);
void pv_iter_start(struct iter *it, const struct val *v);
/* 1 with the next element, 0 at the end, -1 if malformed */
int pv_iter_next(struct iter *it, struct val *out);
/* JSON's (and jq's) escapes decoded into b: 0, or -1 */
int pv_unescape(const char *p, size_t n, struct ig_buf *b);

#endif
