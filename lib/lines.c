/* lines.c - bounded line reader over read(2) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "err.h"
#include "lines.h"

#define CHUNK 65536

int
ig_lines_open(struct ig_lines *r, const char *path)
{
	memset(r, 0, sizeof *r);
	r->name = path;
	if (strcmp(path, "-") == 0) {
		r->fd = 0;
	} else if ((r->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		return -1;
	}
	return 0;
}

void
ig_lines_close(struct ig_lines *r)
{
	if (r->fd > 0)
		close(r->fd);
	free(r->buf);
	r->buf = NULL;
}

int
ig_lines_buffered(const struct ig_lines *r)
{
	return r->eof || (r->end > r->start && memchr(r->buf + r->start, '\n', r->end - r->start));
}

int
ig_lines_wait(struct ig_lines *r, int ms)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	int n;

	if (ig_lines_buffered(r))
		return 1;
	do
		n = poll(&pfd, 1, ms);
	while (n < 0 && errno == EINTR);
	return n != 0;
}

ssize_t
ig_lines_next(struct ig_lines *r, char **line)
{
	size_t scanned = r->start;

	for (;;) {
		char *nl = r->end > scanned ? memchr(r->buf + scanned, '\n', r->end - scanned) : NULL;
		ssize_t n;

		if (nl && (r->skipping || (size_t)(nl - (r->buf + r->start)) > IG_LINE_MAX)) {
			/* the end of a line too long to keep */
			r->start = (size_t)(nl - r->buf) + 1;
			r->skipping = 0;
			r->lineno++;
			return -3;
		}
		if (nl) {
			size_t len = (size_t)(nl - (r->buf + r->start));

			*nl = '\0';
			*line = r->buf + r->start;
			r->start += len + 1;
			r->lineno++;
			return (ssize_t)len;
		}
		if (r->eof && r->skipping) {
			r->start = r->end;
			r->skipping = 0;
			r->lineno++;
			return -3;
		}
		if (r->eof) {
			size_t len = r->end - r->start;

			if (len == 0)
				return -1;
			/* a last line without its newline still counts */
			r->buf[r->end] = '\0';
			*line = r->buf + r->start;
			r->start = r->end;
			r->lineno++;
			return (ssize_t)len;
		}
		scanned = r->end;
		if (r->skipping || r->end - r->start > IG_LINE_MAX) {
			/* no newline within the longest line: let the bytes go */
			r->skipping = 1;
			r->start = r->end = scanned = 0;
		}
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			scanned -= r->start;
			r->end -= r->start;
			r->start = 0;
		}
		if (r->cap - r->end < CHUNK + 1) {
			r->cap = r->cap ? r->cap * 2 : CHUNK * 2;
			r->buf = ig_realloc(r->buf, r->cap);
		}
		do
			n = read(r->fd, r->buf + r->end, r->cap - r->end - 1);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -2;
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
	}
}

void
ig_lines_too_long(const struct ig_lines *r, const char *name)
{
	ig_err_at(name, r->lineno, "line longer than %zu MiB, the longest line (see ig(7), RESOURCE LIMITS)",
	    IG_LINE_MAX >> 20);
}

int
ig_lines_each(char **files, int nfiles, ig_line_fn *fn, void *ctx)
{
	char *stdin_only[] = { "-" };
	int failed = 0;

	if (nfiles == 0) {
		files = stdin_only;
		nfiles = 1;
	}
	for (int i = 0; i < nfiles; i++) {
		const char *name = strcmp(files[i], "-") == 0 ? "stdin" : files[i];
		struct ig_lines r;
		char *line;
		ssize_t n;

		if (ig_lines_open(&r, files[i]) != 0) {
			ig_warn("%s: %s", files[i], strerror(errno));
			failed++;
			continue;
		}
		while ((n = ig_lines_next(&r, &line)) >= 0 || n == -3)
			if (n == -3) {
				ig_lines_too_long(&r, name);
				failed++;
			} else if (strspn(line, " \t\r") < (size_t)n) {
				fn(ctx, name, r.lineno, line, (size_t)n);
			}
		if (n == -2)
			ig_die(IG_EXIT_SYSTEM, "%s: %s", name, strerror(errno));
		ig_lines_close(&r);
	}
	return failed;
}
