/* fuzz-pred - ig-query's native predicates (lib/pred*.c): the input's
 * first line is a --where expression, the rest a record as the store
 * holds it (valid JSON, one object, as every stored record is). Whatever
 * the expression, compiling it and running it on the record must neither
 * crash nor read outside the record, and an answer is 0, 1 or "ask jq". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "pred.h"

const char *ig_prog = "fuzz-pred";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char *expr, *rec, err[128];
	size_t elen, rlen;
	struct ig_pred *p;
	jv v;

	if (!nl)
		return 0;
	elen = (size_t)(nl - data);
	rlen = size - elen - 1;
	expr = malloc(elen + 1);
	memcpy(expr, data, elen);
	expr[elen] = '\0';
	/* the record exactly as long as it is, no NUL after it: as LMDB hands it over */
	rec = malloc(rlen ? rlen : 1);
	memcpy(rec, nl + 1, rlen);
	if ((p = ig_pred_compile(expr))) {
		char *text = malloc(rlen + 1);

		memcpy(text, rec, rlen);
		text[rlen] = '\0';
		v = ig_json_parse(text, rlen, err, sizeof err);
		if (ig_kind(v) == JV_KIND_OBJECT) {
			int r = ig_pred_eval(p, rec, rlen);

			if (r != 0 && r != 1 && r != IG_PRED_ASK_JQ)
				abort();
		}
		ig_jv_free(v);
		free(text);
		ig_pred_free(p);
	}
	free(expr);
	free(rec);
	return 0;
}
