/* uuid.c - UUID text form and time-ordered UUIDv7 (RFC 9562) */
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "err.h"
#include "uuid.h"

/* a hex digit's value plus one; 0 for anything else */
static const uint8_t hexval1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

int
ig_uuid_parse(const char *s, uint8_t out[16])
{
	/* where each byte's two digits start */
	static const uint8_t at[16] = { 0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34 };
	const unsigned char *u = (const unsigned char *)s;
	unsigned bad = 0;

	if (strnlen(s, 37) != 36 || u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-')
		return -1;
	for (int j = 0; j < 16; j++) {
		unsigned hi = hexval1[u[at[j]]], lo = hexval1[u[at[j] + 1]];

		bad |= !hi | !lo;
		out[j] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	return bad ? -1 : 0;
}

void
ig_uuid_format(const uint8_t u[16], char out[IG_UUID_TEXT])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[u[i] >> 4];
		*p++ = hex[u[i] & 15];
	}
	*p = '\0';
}

void
ig_uuid_v7(uint8_t out[16])
{
	/* 48-bit milliseconds, then a 12-bit sequence that keeps ids made in
	 * the same millisecond in order (RFC 9562 method 1), then random */
	static uint64_t last_ms;
	static unsigned seq;
	struct timespec ts;
	uint64_t ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (ms <= last_ms) {
		if (++seq > 0xfff) {
			seq = 0;
			last_ms++;
		}
		ms = last_ms;
	} else {
		seq = 0;
		last_ms = ms;
	}
	if (getrandom(out + 8, 8, 0) != 8)
		ig_die(IG_EXIT_SYSTEM, "getrandom failed");
	for (int i = 0; i < 6; i++)
		out[i] = (uint8_t)(ms >> (40 - 8 * i));
	out[6] = (uint8_t)(0x70 | seq >> 8);
	out[7] = (uint8_t)seq;
	out[8] = (uint8_t)(0x80 | (out[8] & 0x3f));
}
