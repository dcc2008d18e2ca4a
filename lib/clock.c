/* clock.c - RFC 3339 timestamps */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

int64_t
ig_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
ig_file_time_us(void)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	int64_t now = ig_now_us();
	char *end;
	long long v;

	if (!e || !*e)
		return now;
	errno = 0;
	v = strtoll(e, &end, 10);
	if (*end || end == e || errno || v < 0 || v > INT64_MAX / 1000000)
		return now;	/* not a count of seconds: not a date to use */
	/* the reproducible-builds rule: a later time is clamped to it */
	return (int64_t)v * 1000000 < now ? (int64_t)v * 1000000 : now;
}

void
ig_now_set(struct ig_now *now)
{
	now->us = ig_now_us();
	ig_time_format(now->us, now->text);
}

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's) */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

void
ig_time_format(int64_t us, char out[IG_TIME_TEXT])
{
	int64_t secs = us / 1000000, frac = us % 1000000;
	struct tm tm;
	time_t t;

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	t = (time_t)secs;
	gmtime_r(&t, &tm);
	/* fields are in range, so the text is always 27 characters */
	snprintf(out, IG_TIME_TEXT, "%04u-%02u-%02uT%02u:%02u:%02u.%06uZ",
	    (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)(tm.tm_mon + 1) % 100,
	    (unsigned)tm.tm_mday % 100, (unsigned)tm.tm_hour % 100,
	    (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100, (unsigned)frac % 1000000);
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
ig_time_parse(const char *s, int64_t *us)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, scale = 100000;
	const char *p;

	if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	p = s + 19;
	if (*p == '.') {
		int n = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 6) {
				frac += (*p - '0') * scale;
				scale /= 10;
			}
		if (n == 0 || n > 9)
			return -1;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	if (sec == 60)	/* a leap second folds into the next */
		sec = 59, frac = 999999;
	*us = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60)) * 1000000) + frac;
	return 0;
}
