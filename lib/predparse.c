/* predparse.c - jq expressions of the native subset (pred.h) compiled to
 * a tree; anything else is refused, and libjq runs it */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oniguruma.h>

#include "err.h"
#include "json.h"
#include "predint.h"

struct parser {
	const char *s;
	int bad;
	struct ig_buf *lits;	/* decoded string literals */
};

static struct node *
node_new(enum op op)
{
	struct node *n = ig_malloc(sizeof *n);

	memset(n, 0, sizeof *n);
	n->op = op;
	return n;
}

static char *
dup_bytes(const char *p, size_t n)
{
	char *d = ig_malloc(n + 1);

	memcpy(d, p, n);
	d[n] = '\0';
	return d;
}

static void
node_free(struct node *n)
{
	if (!n)
		return;
	node_free(n->a);
	node_free(n->b);
	free(n->key);
	if (n->re)
		onig_free(n->re);
	free(n);
}

static void
skip(struct parser *ps)
{
	while (isspace((unsigned char)*ps->s))
		ps->s++;
}

static int
eat(struct parser *ps, const char *tok)
{
	size_t n = strlen(tok);

	skip(ps);
	if (strncmp(ps->s, tok, n) != 0)
		return 0;
	/* a word ends where an identifier's characters do */
	if (isalpha((unsigned char)tok[0]) && (isalnum((unsigned char)ps->s[n]) || ps->s[n] == '_'))
		return 0;
	/* "<" is not "<=", "=" never stands alone */
	if ((n == 1 && (tok[0] == '<' || tok[0] == '>') && ps->s[1] == '='))
		return 0;
	ps->s += n;
	return 1;
}

/* a jq string literal: plain escapes only (no interpolation), decoded */
static int
string_lit(struct parser *ps, struct val *v)
{
	struct ig_buf d = { 0 };
	const char *p, *q;

	skip(ps);
	p = ps->s;
	if (*p != '"')
		return 0;
	for (q = p + 1; *q && *q != '"'; q++)
		if (*q == '\\') {
			if (q[1] == '(' || !q[1])
				return ps->bad = 1, 0;	/* interpolation: jq's */
			q++;
		}
	if (*q != '"' || pv_unescape(p + 1, (size_t)(q - p - 1), &d) != 0 || !ig_utf8_valid(d.p ? d.p : "", d.len)) {
		ig_buf_free(&d);
		return ps->bad = 1, 0;
	}
	memset(v, 0, sizeof *v);
	v->k = K_STR;
	v->n = d.len;
	/* kept whole in one buffer: offsets now, pointers once it is final */
	v->p = (const char *)(uintptr_t)ps->lits->len;
	ig_buf_add(ps->lits, d.p ? d.p : "", d.len);
	ig_buf_add(ps->lits, "", 1);
	ig_buf_free(&d);
	ps->s = q + 1;
	return 1;
}

static int
number_lit(struct parser *ps, struct val *v, int negative)
{
	char *end;
	double d;

	skip(ps);
	if (!isdigit((unsigned char)*ps->s) && !(*ps->s == '.' && isdigit((unsigned char)ps->s[1])))
		return 0;
	d = strtod(ps->s, &end);
	ps->s = end;
	memset(v, 0, sizeof *v);
	v->k = K_NUM;
	v->num = negative ? -d : d;
	return 1;
}

static int
literal(struct parser *ps, struct val *v)
{
	memset(v, 0, sizeof *v);
	if (string_lit(ps, v) || number_lit(ps, v, 0))
		return 1;
	if (eat(ps, "-"))
		return number_lit(ps, v, 1) || (ps->bad = 1, 0);
	if (eat(ps, "true"))
		return v->k = K_TRUE, 1;
	if (eat(ps, "false"))
		return v->k = K_FALSE, 1;
	if (eat(ps, "null"))
		return v->k = K_NULL, 1;
	return 0;
}

static struct node *parse_pipe(struct parser *ps);

static const char *const keywords[] = {
	"and", "or", "not", "if", "then", "elif", "else", "end", "as", "def", "reduce", "foreach",
	"try", "catch", "label", "import", "include", "__loc__", NULL,
};

/* .name, ."name", [N], ["name"] after base */
static struct node *
suffixes(struct parser *ps, struct node *base)
{
	for (;;) {
		struct node *n;
		struct val v;

		skip(ps);
		if (ps->s[0] == '.' && (isalpha((unsigned char)ps->s[1]) || ps->s[1] == '_')) {
			const char *p = ++ps->s;

			while (isalnum((unsigned char)*ps->s) || *ps->s == '_')
				ps->s++;
			for (int i = 0; keywords[i]; i++)
				if ((size_t)(ps->s - p) == strlen(keywords[i]) && !strncmp(p, keywords[i], ps->s - p))
					ps->bad = 1;
			n = node_new(N_FIELD);
			n->key = dup_bytes(p, (size_t)(ps->s - p));
			n->klen = (size_t)(ps->s - p);
		} else if (ps->s[0] == '.' && ps->s[1] == '"') {
			ps->s++;
			if (!string_lit(ps, &v))
				return ps->bad = 1, base;
			n = node_new(N_FIELD);
			n->klen = v.n;
			n->key = dup_bytes(ps->lits->p + (uintptr_t)v.p, v.n);
		} else if (ps->s[0] == '[' || (ps->s[0] == '.' && ps->s[1] == '[')) {
			ps->s += ps->s[0] == '.' ? 2 : 1;
			if (!literal(ps, &v) || !eat(ps, "]") || (v.k != K_STR && v.k != K_NUM) ||
			    (v.k == K_NUM && (v.num != floor(v.num) || v.num < 0 || v.num > 1e9)))
				return ps->bad = 1, base;
			if (v.k == K_STR) {
				n = node_new(N_FIELD);
				n->klen = v.n;
				n->key = dup_bytes(ps->lits->p + (uintptr_t)v.p, v.n);
			} else {
				n = node_new(N_INDEX);
				n->index = (long)v.num;
			}
		} else {
			return base;
		}
		n->a = base;
		base = n;
	}
}

/* name(arg) for the functions of one literal argument */
static struct node *
function(struct parser *ps)
{
	static const struct { const char *name; enum op op; int arg; } fns[] = {
		{ "startswith", N_STARTS, 1 }, { "endswith", N_ENDS, 1 }, { "contains", N_CONTAINS, 1 },
		{ "test", N_TEST, 1 }, { "has", N_HAS, 1 }, { "select", N_SELECT, 2 },
		{ "any", N_ANY, 3 }, { "all", N_ALL, 3 }, { "not", N_NOT, 0 }, { "length", N_LENGTH, 0 },
	};

	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		struct node *n;

		if (!eat(ps, fns[i].name))
			continue;
		n = node_new(fns[i].op);
		if (fns[i].arg == 0)
			return n;
		if (!eat(ps, "(")) {
			if (fns[i].arg != 3)
				ps->bad = 1;
			return n;
		}
		if (fns[i].arg == 1) {
			if (!literal(ps, &n->lit))
				ps->bad = 1;
		} else {
			n->b = parse_pipe(ps);
		}
		if (!eat(ps, ")"))
			ps->bad = 1;
		return n;
	}
	return NULL;
}

/* test's pattern, compiled as jq 1.6's f_match compiles it (UTF-8, Perl
 * syntax, capture groups on), so that searching gives jq's answer; one
 * Oniguruma refuses is jq's to report */
static int
compile_pattern(const struct parser *ps, struct node *n)
{
	static int inited;
	OnigEncoding utf8 = ONIG_ENCODING_UTF8;
	OnigErrorInfo einfo;
	const UChar *p;
	regex_t *re;

	if (n->lit.k != K_STR || !ps->lits->p)
		return -1;
	if (!inited && onig_initialize(&utf8, 1) == ONIG_NORMAL)
		inited = 1;
	p = (const UChar *)(ps->lits->p + (uintptr_t)n->lit.p);
	if (onig_new(&re, p, p + n->lit.n, ONIG_OPTION_CAPTURE_GROUP, ONIG_ENCODING_UTF8, ONIG_SYNTAX_PERL_NG,
	    &einfo) != ONIG_NORMAL)
		return -1;
	n->re = re;
	return 0;
}

static struct node *
primary(struct parser *ps)
{
	struct node *n;

	skip(ps);
	if (*ps->s == '.' && (ps->s[1] == '.' || ps->s[1] == '[' || ps->s[1] == '"' ||
	    isalpha((unsigned char)ps->s[1]) || ps->s[1] == '_')) {
		if (ps->s[1] == '.')
			return ps->bad = 1, NULL;	/* .. is recursion */
		return suffixes(ps, node_new(N_DOT));
	}
	if (*ps->s == '.') {
		ps->s++;
		return suffixes(ps, node_new(N_DOT));
	}
	if (eat(ps, "(")) {
		n = parse_pipe(ps);
		if (!eat(ps, ")"))
			ps->bad = 1;
		return suffixes(ps, n);
	}
	if ((n = function(ps))) {
		if (n->op == N_TEST && compile_pattern(ps, n) != 0)
			ps->bad = 1;
		return n;
	}
	n = node_new(N_LIT);
	if (!literal(ps, &n->lit))
		ps->bad = 1;
	return n;
}

static struct node *
binary(enum op op, int sub, struct node *a, struct node *b)
{
	struct node *n = node_new(op);

	n->sub = sub;
	n->a = a;
	n->b = b;
	return n;
}

static struct node *
product(struct parser *ps)
{
	struct node *n = primary(ps);

	for (;;) {
		skip(ps);
		if ((*ps->s == '*' || *ps->s == '/' || *ps->s == '%') && ps->s[1] != '=' &&
		    !(*ps->s == '/' && ps->s[1] == '/')) {
			int op = *ps->s++;

			n = binary(N_ARITH, op, n, primary(ps));
		} else {
			return n;
		}
	}
}

static struct node *
sum(struct parser *ps)
{
	struct node *n = product(ps);

	for (;;) {
		skip(ps);
		if ((*ps->s == '+' || *ps->s == '-') && ps->s[1] != '=') {
			int op = *ps->s++;

			n = binary(N_ARITH, op, n, product(ps));
		} else {
			return n;
		}
	}
}

static struct node *
comparison(struct parser *ps)
{
	static const struct { const char *tok; int sub; } ops[] = {
		{ "==", EQ }, { "!=", NE }, { "<=", LE }, { ">=", GE }, { "<", LT }, { ">", GT },
	};
	struct node *n = sum(ps);

	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (eat(ps, ops[i].tok))
			return binary(N_CMP, ops[i].sub, n, sum(ps));
	return n;
}

static struct node *
conjunction(struct parser *ps)
{
	struct node *n = comparison(ps);

	while (eat(ps, "and"))
		n = binary(N_AND, 0, n, comparison(ps));
	return n;
}

static struct node *
disjunction(struct parser *ps)
{
	struct node *n = conjunction(ps);

	while (eat(ps, "or"))
		n = binary(N_OR, 0, n, conjunction(ps));
	return n;
}

static struct node *
parse_pipe(struct parser *ps)
{
	struct node *n = disjunction(ps);

	while (!ps->bad) {
		skip(ps);
		if (ps->s[0] != '|' || ps->s[1] == '=')
			return n;
		ps->s++;
		n = binary(N_PIPE, 0, n, disjunction(ps));
	}
	return n;
}

/* string literals' offsets into the final buffer's pointers */
static void
fix_literals(struct node *n, const char *base)
{
	if (!n)
		return;
	if (n->lit.k == K_STR)
		n->lit.p = base + (uintptr_t)n->lit.p;
	fix_literals(n->a, base);
	fix_literals(n->b, base);
}

struct ig_pred *
ig_pred_compile(const char *expr)
{
	struct ig_buf lits = { 0 };
	struct parser ps = { .s = expr, .lits = &lits };
	struct node *root = parse_pipe(&ps);
	struct ig_pred *p;

	skip(&ps);
	if (ps.bad || *ps.s) {
		node_free(root);
		ig_buf_free(&lits);
		return NULL;
	}
	p = ig_malloc(sizeof *p);
	p->root = root;
	p->text = lits.p;	/* owned now; NULL when there were no strings */
	fix_literals(root, p->text);
	return p;
}

static int
fixed(const struct node *n, struct ig_pred_fixed *out, int max, int k)
{
	const struct node *f, *v;

	if (k >= max || !n)
		return k;
	if (n->op == N_AND)
		return fixed(n->b, out, max, fixed(n->a, out, max, k));
	if (n->op == N_SELECT)
		return fixed(n->b, out, max, k);
	if (n->op != N_CMP || n->sub != EQ)
		return k;
	f = n->a->op == N_FIELD ? n->a : n->b;
	v = f == n->a ? n->b : n->a;
	if (f->op != N_FIELD || f->a->op != N_DOT || v->op != N_LIT ||
	    (v->lit.k != K_STR && v->lit.k != K_NUM && v->lit.k != K_TRUE && v->lit.k != K_FALSE))
		return k;
	out[k].field = f->key;
	out[k].flen = f->klen;
	out[k].is_string = v->lit.k == K_STR;
	if (v->lit.k == K_STR) {
		out[k].value = v->lit.p;
		out[k].vlen = v->lit.n;
	} else if (v->lit.k == K_NUM) {
		/* written as the store writes numbers: the index key's form */
		struct ig_buf b = { 0 };
		static __thread char text[4][40];

		ig_json_write_number(&b, v->lit.num);
		snprintf(text[k % 4], sizeof text[0], "%.*s", (int)b.len, b.p);
		ig_buf_free(&b);
		out[k].value = text[k % 4];
		out[k].vlen = strlen(text[k % 4]);
	} else {
		out[k].value = v->lit.k == K_TRUE ? "true" : "false";
		out[k].vlen = strlen(out[k].value);
	}
	return k + 1;
}

int
ig_pred_fixed(const struct ig_pred *p, struct ig_pred_fixed *out, int max)
{
	return fixed(p->root, out, max < 4 ? max : 4, 0);
}

void
ig_pred_free(struct ig_pred *p)
{
	if (!p)
		return;
	node_free(p->root);
	free(p->text);
	free(p);
}
