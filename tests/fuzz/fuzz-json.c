/* fuzz-json - the JSON line parser and serializer: what parses writes out
 * compactly and parses back to the same value, and writing is stable */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

const char *ig_prog = "fuzz-json";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ig_buf once = { 0 }, twice = { 0 };
	struct ig_members m = { 0 };
	char err[256], *s = malloc(size + 1);
	jv v, back;

	/* lines come NUL-terminated from the line reader */
	memcpy(s, data, size);
	s[size] = '\0';
	v = ig_json_parse(s, size, err, sizeof err);
	if (jv_is_valid(v)) {
		ig_json_write(&once, v);
		back = ig_json_parse(ig_buf_str(&once), once.len, err, sizeof err);
		if (!jv_is_valid(back) || !jv_equal(jv_copy(v), jv_copy(back)))
			abort();
		ig_json_write(&twice, back);
		jv_free(back);
		if (twice.len != once.len || memcmp(once.p, twice.p, once.len) != 0)
			abort();
	} else if (!err[0]) {
		abort();	/* every refusal says why */
	}
	/* the members parser agrees with the whole-value parser on validity */
	if ((ig_json_parse_members(s, size, &m, err, sizeof err) < 0) != !jv_is_valid(v))
		abort();
	jv_free(v);
	ig_members_free(&m);
	/* strings left in place past a small mark: never a key (issue 12.1) */
	v = ig_json_parse_big(s, size, 4, err, sizeof err);
	jv_free(v);
	ig_buf_free(&once);
	ig_buf_free(&twice);
	free(s);
	return 0;
}
