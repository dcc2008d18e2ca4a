/* uuid.c - UUID text form and time-ordered UUIDv7 (RFC 9562) */
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "err.h"
#include "uuid.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
ig_uuid_parse(const char *s, uint8_t out[16])
{
	int j = 0;

	for (int i = 0; i < 36; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		if ((hi = hexval(s[i])) < 0 || (lo = hexval(s[i + 1])) < 0)
			return -1;
		out[j++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return s[36] == '\0' ? 0 : -1;
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
