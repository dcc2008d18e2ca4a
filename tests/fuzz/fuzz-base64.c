/* fuzz-base64 - the base64 decoder (lib/base64.c), whose wide path takes
 * 32 characters a step where the processor has AVX2, against a decoder of
 * one character at a time: the same verdict and the same bytes, for the
 * input whole and (through the stream decoder) in pieces. The first byte
 * picks the pieces' size; the rest is the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

const char *ig_prog = "fuzz-base64";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
slow(struct ig_buf *b, const char *s, size_t n)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned v = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		const char *at = s[i] ? memchr(alphabet, s[i], 64) : NULL;
		int x = at ? (int)(at - alphabet) : s[i] == '-' ? 62 : s[i] == '_' ? 63 : -1;

		if (s[i] == '=' || s[i] == '\n' || s[i] == '\r' || s[i] == ' ')
			continue;
		if (x < 0)
			return -1;
		v = v << 6 | (unsigned)x;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			ig_buf_addc(b, (char)(v >> bits & 0xff));
		}
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ig_buf want = { 0 }, got = { 0 }, pieces = { 0 };
	struct ig_base64_stream st = { 0 };
	const char *s = (const char *)data + 1;
	size_t n = size ? size - 1 : 0, piece;
	int rw, rg, rp = 0;

	if (size < 1)
		return 0;
	piece = 1 + data[0];
	rw = slow(&want, s, n);
	rg = ig_base64_decode(&got, s, n);
	if (rw != rg || (rw == 0 && (want.len != got.len || (want.len && memcmp(want.p, got.p, want.len)))))
		abort();
	for (size_t at = 0; at < n && !rp; at += piece)
		rp = ig_base64_stream(&st, &pieces, s + at, n - at < piece ? n - at : piece);
	if (!rp)
		rp = ig_base64_stream_end(&st, &pieces);
	/* whole groups in pieces read as the whole does, where both are base64 */
	if (rw == 0 && rp == 0 && (want.len != pieces.len || (want.len && memcmp(want.p, pieces.p, want.len))))
		abort();
	ig_buf_free(&want);
	ig_buf_free(&got);
	ig_buf_free(&pieces);
	ig_base64_stream_free(&st);
	return 0;
}
