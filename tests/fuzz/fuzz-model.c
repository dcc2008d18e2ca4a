/* fuzz-model - the model-file loader: db/model's files as one JSON array,
 * loaded, and when it loads, a record of defaults checked against each
 * collection, as ig-record would; a malformed model is an error, never an
 * abort or a leak */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

const char *ig_prog = "fuzz-model";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[512];
	struct ig_model *m;

	memcpy(s, data, size);
	s[size] = '\0';
	if (!(m = ig_model_parse(s, size, err, sizeof err))) {
		if (!err[0])
			abort();	/* every refusal says why */
		free(s);
		return 0;
	}
	for (int i = 0; i < m->ncolls; i++) {
		const struct ig_collection *c = &m->colls[i];
		jv *row = ig_row_new(c);

		ig_model_defaults(c, row);
		ig_model_check(c, row, NULL, 0, err, sizeof err);
		ig_row_free(c, row);
	}
	ig_model_free(m);
	free(s);
	return 0;
}
