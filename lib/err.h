/* err.h - git-style error helpers with a fixed program name and exit codes */
#ifndef IG_ERR_H
#define IG_ERR_H
#include <stddef.h>

/* every command defines this: the name its messages carry */
extern const char *ig_prog;

enum {
	IG_EXIT_OK = 0,
	IG_EXIT_REJECT = 1,	/* some input was rejected */
	IG_EXIT_USAGE = 2,
	IG_EXIT_SYSTEM = 3,	/* system or store failure */
};

void ig_die(int code, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
void ig_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: FILE:LINE: reason", the per-line rejection message */
void ig_err_at(const char *file, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* an option's number from min to max (whole: an integer), or a usage error */
double ig_opt_number(const char *opt, const char *s, double min, double max, int whole);

void *ig_malloc(size_t n);
void *ig_realloc(void *p, size_t n);
char *ig_strdup(const char *s);

/* s[0..n) and a newline to stdout; write errors are caught by
 * ig_check_stdout or ig_close_stdout */
void ig_put_line(const char *s, size_t n);
/* flush and close stdout, dying with IG_EXIT_SYSTEM on EPIPE, ENOSPC, ... */
void ig_close_stdout(void);
/* die if stdout is in an error state (after a batch of writes) */
void ig_check_stdout(void);

#endif
