/* filter.c - jq expressions through libjq, driven as jq's own main.c does */
#include <stdio.h>
#include <stdlib.h>
#include <jq.h>

#include "buf.h"
#include "err.h"
#include "filter.h"

struct ig_filter {
	jq_state *jq;
	struct ig_buf msgs;
};

/* jq hands compile errors to a callback, which owns the message */
static void
collect_error(void *data, jv msg)
{
	struct ig_buf *b = data;

	msg = jq_format_error(msg);
	ig_buf_printf(b, "%s%s", b->len ? "; " : "", jv_string_value(msg));
	jv_free(msg);
}

struct ig_filter *
ig_filter_new(const char *expr, char *err, size_t errlen)
{
	struct ig_filter *f = ig_malloc(sizeof *f);

	f->msgs = (struct ig_buf){ 0 };
	if (!(f->jq = jq_init()))
		ig_die(IG_EXIT_SYSTEM, "jq_init failed");
	jq_set_error_cb(f->jq, collect_error, &f->msgs);
	if (!jq_compile(f->jq, expr)) {
		snprintf(err, errlen, "%s", f->msgs.len ? ig_buf_str(&f->msgs) : "does not compile");
		ig_filter_free(f);
		return NULL;
	}
	return f;
}

int
ig_filter_test(struct ig_filter *f, jv rec, char *err, size_t errlen)
{
	jv r;
	int result;

	jq_start(f->jq, rec, 0);
	r = jq_next(f->jq);
	if (jv_is_valid(r)) {
		result = jv_get_kind(r) != JV_KIND_FALSE && jv_get_kind(r) != JV_KIND_NULL;
	} else if (jv_invalid_has_msg(jv_copy(r))) {
		jv m = jv_invalid_get_msg(jv_copy(r));

		snprintf(err, errlen, "%s", jv_get_kind(m) == JV_KIND_STRING ?
		    jv_string_value(m) : "jq error");
		jv_free(m);
		result = -1;
	} else {
		result = 0;
	}
	jv_free(r);
	return result;
}

void
ig_filter_free(struct ig_filter *f)
{
	if (!f)
		return;
	jq_teardown(&f->jq);
	ig_buf_free(&f->msgs);
	free(f);
}
