/* err.c - error reporting and allocation that cannot fail quietly */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

void
ig_die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ig_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

void
ig_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ig_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
ig_err_at(const char *file, long line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s:%ld: ", ig_prog, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void *
ig_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		ig_die(IG_EXIT_SYSTEM, "out of memory (%zu bytes)", n);
	return p;
}

void *
ig_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		ig_die(IG_EXIT_SYSTEM, "out of memory (%zu bytes)", n);
	return p;
}

char *
ig_strdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(ig_malloc(n), s, n);
}

static void __attribute__((noreturn))
output_failed(void)
{
	/* a reader that stopped early (head) is no news; the status still says it */
	if (errno == EPIPE)
		exit(IG_EXIT_SYSTEM);
	ig_die(IG_EXIT_SYSTEM, "writing output failed: %s", strerror(errno));
}

void
ig_put_line(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
	putchar('\n');
}

void
ig_check_stdout(void)
{
	if (ferror(stdout))
		output_failed();
}

void
ig_close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0)
		output_failed();
}

double
ig_opt_number(const char *opt, const char *s, double min, double max, int whole)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || end == s || !(v >= min && v <= max) || (whole && v != (long)v))
		ig_die(IG_EXIT_USAGE, "%s takes a%s number from %g to %g, not %s", opt,
		    whole ? " whole" : "", min, max, s);
	return v;
}
