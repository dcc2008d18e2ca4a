/* fuzz-plan - the plan parser and expander: library records and plans, a
 * line each, as ig-plan reads them without a store; what it prints goes to
 * /dev/null. Work in proportion to what a plan asks is no finding: the
 * combinations are held to 1000 and the count to 100 here, so that every
 * run is fast. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "plan.h"

const char *ig_prog = "fuzz-plan";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *out;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!(out = fopen("/dev/null", "w")))
		abort();
	return 0;
}

static void
ignore(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

static int
count_ok(jv plan)
{
	jv count = ig_get(plan, "count");
	int ok = jv_get_kind(count) != JV_KIND_NUMBER || jv_number_value(count) <= 100;

	jv_free(count);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ig_planner *p = ig_planner_new(NULL, size & 1, 1000);
	char *s = malloc(size + 1), *line = s, err[1024];

	memcpy(s, data, size);
	s[size] = '\0';
	for (char *end = s + size; line <= end; ) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		jv v;

		line[n] = '\0';
		v = ig_json_parse(line, n, err, sizeof err);
		if (jv_get_kind(v) == JV_KIND_OBJECT) {
			if (ig_planner_is_library(v))
				ig_planner_library(p, jv_copy(v));
			else if (!ig_has(v, "collection") && count_ok(v) &&
			    ig_planner_expand(p, v, out, ignore, NULL, err, sizeof err) != 0 && !err[0])
				abort();	/* every refusal says why */
		}
		jv_free(v);
		if (!nl)
			break;
		line = nl + 1;
	}
	ig_planner_free(p);
	free(s);
	return 0;
}
