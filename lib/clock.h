/* clock.h - RFC 3339 timestamps in UTC with microseconds */
#ifndef IG_CLOCK_H
#define IG_CLOCK_H
#include <stdint.h>

#define IG_TIME_TEXT 28	/* 2026-11-22T03:18:40.123456Z and a NUL */

/* microseconds since the epoch */
int64_t ig_now_us(void);
void ig_time_format(int64_t us, char out[IG_TIME_TEXT]);
/* the time written into a file made now: now, or SOURCE_DATE_EPOCH
 * (seconds) when it is set and earlier, so that the same input makes the
 * same bytes */
int64_t ig_file_time_us(void);
/* one moment and its text, formatted once for every record stamped with it */
struct ig_now {
	int64_t us;
	char text[IG_TIME_TEXT];
};
void ig_now_set(struct ig_now *now);

/* any RFC 3339 date-time (offset or Z, 0-9 fraction digits); 0 on success */
int ig_time_parse(const char *s, int64_t *us);

#endif
