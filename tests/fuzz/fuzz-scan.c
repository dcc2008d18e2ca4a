/* fuzz-scan - the answer scanner (lib/scan.c): an answer fed whole and fed
 * in pieces must give the same JSON kept and the same streams (a
 * stream with an escape being thrown away), and what it keeps is never
 * more than it was given. The first byte picks the
 * mark (how long a string is streamed) and the pieces' size; the rest is
 * the answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

const char *ig_prog = "fuzz-scan";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sinks {
	struct ig_buf b[IG_SCAN_STREAMS];
	int opened;
};

static int
open_sink(void *ctx, int k)
{
	struct sinks *s = ctx;

	if (k != s->opened)
		abort();	/* streams open in order, once each */
	s->opened++;
	return 0;
}

static int
write_sink(void *ctx, int k, const unsigned char *p, size_t n)
{
	struct sinks *s = ctx;

	if (k < 0 || k >= s->opened)
		abort();
	ig_buf_add(&s->b[k], p, n);
	return 0;
}

static void
run(const char *p, size_t n, size_t big, size_t piece, struct ig_scan *sc, struct sinks *s)
{
	struct ig_scan_sink sink = { open_sink, write_sink, s };

	memset(s, 0, sizeof *s);
	ig_scan_init(sc, big, &sink);
	for (size_t at = 0; at < n; at += piece)
		if (ig_scan_feed(sc, p + at, n - at < piece ? n - at : piece) != 0)
			abort();	/* these sinks never fail */
	ig_scan_end(sc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ig_scan whole, pieces;
	struct sinks a, b;
	size_t big, piece;
	const char *p = (const char *)data + 1;

	if (size < 1)
		return 0;
	big = 4 + (data[0] & 15) * 4;
	piece = 1 + (data[0] >> 4);
	run(p, size - 1, big, size, &whole, &a);
	run(p, size - 1, big, piece, &pieces, &b);
	if (whole.kept.len != pieces.kept.len || (whole.kept.len && memcmp(whole.kept.p, pieces.kept.p, whole.kept.len) != 0) ||
	    whole.nstreams != pieces.nstreams || a.opened != b.opened)
		abort();
	/* a stream with an escape is thrown away, whatever came of it */
	for (int k = 0; k < whole.nstreams; k++)
		if (ig_scan_bad(&whole, k) != ig_scan_bad(&pieces, k) || (!ig_scan_bad(&whole, k) && (a.b[k].len != b.b[k].len ||
		    (a.b[k].len && memcmp(a.b[k].p, b.b[k].p, a.b[k].len) != 0))))
			abort();
	if (whole.kept.len > size - 1 + 16 * IG_SCAN_STREAMS)
		abort();
	for (int k = 0; k < IG_SCAN_STREAMS; k++) {
		ig_buf_free(&a.b[k]);
		ig_buf_free(&b.b[k]);
	}
	ig_scan_free(&whole);
	ig_scan_free(&pieces);
	return 0;
}
