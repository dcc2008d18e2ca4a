/* pred.c - jq 1.6's semantics on stored records, for the subset pred.h
 * names: jq's order across kinds (null < false < true < numbers < strings
 * < arrays < objects), its arithmetic, its string tests; ASK wherever jq
 * would raise an error or the subset does not compare */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <oniguruma.h>

#include "json.h"
#include "store.h"
#include "predint.h"


static int
truthy(const struct val *v)
{
	return v->k != K_NULL && v->k != K_FALSE;
}

static struct val
boolean(int b)
{
	struct val v = { .k = b ? K_TRUE : K_FALSE };

	return v;
}

/* jq's order: <0, 0, >0; ASK for two arrays or two objects */
static int
compare(const struct val *a, const struct val *b, int *r)
{
	const char *ap, *bp;
	size_t an, bn;
	int c;

	if (a->k != b->k) {
		*r = (int)a->k - (int)b->k;
		return 0;
	}
	switch (a->k) {
	case K_NUM:
		*r = a->num < b->num ? -1 : a->num == b->num ? 0 : 1;
		return 0;
	case K_STR:
		if (pv_str_bytes(a, &pv_scratch[0], &ap, &an) || pv_str_bytes(b, &pv_scratch[1], &bp, &bn))
			return ASK;
		c = memcmp(ap, bp, an < bn ? an : bn);
		*r = c ? c : an < bn ? -1 : an > bn ? 1 : 0;
		return 0;
	case K_ARR: case K_OBJ:
		return ASK;
	default:
		*r = 0;
		return 0;
	}
}

static int eval(const struct node *n, const struct val *in, struct val *out);

static int
arith(int op, const struct val *a, const struct val *b, struct val *out)
{
	memset(out, 0, sizeof *out);
	if (op == '+' && a->k == K_NULL) {
		*out = *b;
		return 0;
	}
	if (op == '+' && b->k == K_NULL) {
		*out = *a;
		return 0;
	}
	if (a->k != K_NUM || b->k != K_NUM)
		return ASK;
	out->k = K_NUM;
	switch (op) {
	case '+': out->num = a->num + b->num; return 0;
	case '-': out->num = a->num - b->num; return 0;
	case '*': out->num = a->num * b->num; return 0;
	case '/':
		if (b->num == 0)
			return ASK;
		out->num = a->num / b->num;
		return 0;
	default: {
		/* jq 1.6: both cast to intmax_t, C's remainder */
		intmax_t x, y;

		if (!(fabs(a->num) < 9.2e18) || !(fabs(b->num) < 9.2e18))
			return ASK;
		x = (intmax_t)a->num;
		y = (intmax_t)b->num;
		if (y == 0)
			return ASK;
		out->num = (double)(x % y);
		return 0;
	}
	}
}

static int
length(const struct val *in, struct val *out)
{
	const char *p;
	size_t n, count = 0;
	struct iter it;
	struct val e;
	int rc;

	memset(out, 0, sizeof *out);
	out->k = K_NUM;
	switch (in->k) {
	case K_NULL:
		return 0;
	case K_NUM:
		out->num = fabs(in->num);
		return 0;
	case K_STR:
		if (pv_str_bytes(in, &pv_scratch[0], &p, &n))
			return ASK;
		out->num = (double)ig_utf8_length(p, n);
		return 0;
	case K_ARR: case K_OBJ:
		pv_iter_start(&it, in);
		while ((rc = pv_iter_next(&it, &e)) == 1)
			count++;
		if (rc < 0)
			return ASK;
		out->num = (double)count;
		return 0;
	default:
		return ASK;	/* a boolean has no length: jq's error */
	}
}

/* startswith, endswith, contains, test on strings */
static int
string_test(const struct node *node, const struct val *in, const struct val *arg, struct val *out)
{
	enum op op = node->op;
	const char *p;
	size_t n;
	int r;

	if (in->k != K_STR || arg->k != K_STR || pv_str_bytes(in, &pv_scratch[0], &p, &n))
		return ASK;
	switch (op) {
	case N_TEST:
		/* jq's own search, on the whole string, NULs and all */
		r = onig_search(node->re, (const UChar *)p, (const UChar *)p + n, (const UChar *)p,
		    (const UChar *)p + n, NULL, ONIG_OPTION_NONE);
		if (r < 0 && r != ONIG_MISMATCH)
			return ASK;
		*out = boolean(r >= 0);
		return 0;
	case N_STARTS:
		*out = boolean(n >= arg->n && memcmp(p, arg->p, arg->n) == 0);
		return 0;
	case N_ENDS:
		*out = boolean(n >= arg->n && memcmp(p + n - arg->n, arg->p, arg->n) == 0);
		return 0;
	default:
		/* jq 1.6's contains is strstr: a NUL ends its strings */
		if (op == N_CONTAINS && (memchr(p, 0, n) || memchr(arg->p, 0, arg->n)))
			return ASK;
		*out = boolean(memmem(p, n, arg->p, arg->n) != NULL);
		return 0;
	}
}

static int
has(const struct val *in, const struct val *arg, struct val *out)
{
	struct val m;
	int rc;

	if (in->k == K_OBJ && arg->k == K_STR) {
		if ((rc = pv_member(in, arg->p, arg->n, &m)) < 0)
			return ASK;
		*out = boolean(rc);
		return 0;
	}
	if (in->k == K_ARR && arg->k == K_NUM && fabs(arg->num) < 2e9) {
		struct val len;

		if (length(in, &len) != 0)
			return ASK;
		*out = boolean((int)arg->num >= 0 && (int)arg->num < len.num);
		return 0;
	}
	return ASK;
}

/* any, all, any(f), all(f): jq's reduce over .[] */
static int
quantify(const struct node *n, const struct val *in, struct val *out)
{
	int want_any = n->op == N_ANY, acc = !want_any, rc;
	struct iter it;
	struct val e, r;

	if (in->k != K_ARR && in->k != K_OBJ)
		return ASK;
	pv_iter_start(&it, in);
	while ((rc = pv_iter_next(&it, &e)) == 1) {
		if (n->b) {
			if (eval(n->b, &e, &r) != 0)
				return ASK;
			if (r.k == K_EMPTY)
				continue;
			e = r;
		}
		acc = want_any ? acc || truthy(&e) : acc && truthy(&e);
	}
	if (rc < 0)
		return ASK;
	*out = boolean(acc);
	return 0;
}

static int
eval(const struct node *n, const struct val *in, struct val *out)
{
	struct val a, b;
	int r;

	memset(out, 0, sizeof *out);
	if (in->k == K_EMPTY)
		return 0;
	switch (n->op) {
	case N_DOT:
		*out = *in;
		return 0;
	case N_LIT:
		*out = n->lit;
		return 0;
	case N_FIELD:
		if (eval(n->a, in, &a) != 0)
			return ASK;
		if (a.k == K_EMPTY || a.k == K_NULL) {
			out->k = a.k;
			return 0;
		}
		if (a.k != K_OBJ || (r = pv_member(&a, n->key, n->klen, out)) < 0)
			return ASK;
		if (r == 0)
			out->k = K_NULL;
		return 0;
	case N_INDEX: {
		struct iter it;
		long i = 0;

		if (eval(n->a, in, &a) != 0)
			return ASK;
		if (a.k == K_EMPTY || a.k == K_NULL) {
			out->k = a.k;
			return 0;
		}
		if (a.k != K_ARR || n->index < 0)
			return ASK;
		pv_iter_start(&it, &a);
		while ((r = pv_iter_next(&it, out)) == 1 && i++ < n->index)
			;
		if (r < 0)
			return ASK;
		if (r == 0)
			memset(out, 0, sizeof *out), out->k = K_NULL;
		return 0;
	}
	case N_PIPE:
		if (eval(n->a, in, &a) != 0)
			return ASK;
		return eval(n->b, &a, out);
	case N_AND: case N_OR:
		if (eval(n->a, in, &a) != 0)
			return ASK;
		if (a.k == K_EMPTY)
			return 0;
		if (truthy(&a) == (n->op == N_OR)) {
			*out = boolean(n->op == N_OR);
			return 0;
		}
		if (eval(n->b, in, &b) != 0)
			return ASK;
		if (b.k != K_EMPTY)
			*out = boolean(truthy(&b));
		return 0;
	case N_CMP:
	case N_ARITH:
		/* jq evaluates the right operand first; both are pure here */
		if (eval(n->b, in, &b) != 0 || eval(n->a, in, &a) != 0)
			return ASK;
		if (a.k == K_EMPTY || b.k == K_EMPTY)
			return 0;
		if (n->op == N_ARITH)
			return arith(n->sub, &a, &b, out);
		if (compare(&a, &b, &r) != 0)
			return ASK;
		switch (n->sub) {
		case EQ: *out = boolean(r == 0); break;
		case NE: *out = boolean(r != 0); break;
		case LT: *out = boolean(r < 0); break;
		case LE: *out = boolean(r <= 0); break;
		case GT: *out = boolean(r > 0); break;
		default: *out = boolean(r >= 0); break;
		}
		return 0;
	case N_NOT:
		*out = boolean(!truthy(in));
		return 0;
	case N_LENGTH:
		return length(in, out);
	case N_HAS:
		return has(in, &n->lit, out);
	case N_STARTS: case N_ENDS: case N_CONTAINS: case N_TEST:
		return string_test(n, in, &n->lit, out);
	case N_ANY: case N_ALL:
		return quantify(n, in, out);
	case N_SELECT:
		if (eval(n->b, in, &a) != 0)
			return ASK;
		if (a.k != K_EMPTY && truthy(&a))
			*out = *in;
		return 0;
	}
	return ASK;
}

int
ig_pred_eval(const struct ig_pred *p, const char *json, size_t len)
{
	struct val rec = { .k = K_OBJ, .p = json, .n = len }, out;

	/* a stored record is one object: its ends delimit it, unscanned */
	while (rec.n && (json[rec.n - 1] == '\n' || json[rec.n - 1] == ' '))
		rec.n--;
	if (rec.n < 2 || json[0] != '{' || json[rec.n - 1] != '}')
		return ASK;
	rec.own = ig_stored_fields_at(json, rec.n);
	if (eval(p->root, &rec, &out) != 0)
		return ASK;
	return out.k != K_EMPTY && truthy(&out);
}
