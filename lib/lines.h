/* lines.h - a line reader over a file descriptor that knows when it would block
 *
 * Memory is bounded by the longest line. Unlike stdio it can tell whether the
 * next line is already buffered, so a writer can commit while input trickles.
 */
#ifndef IG_LINES_H
#define IG_LINES_H
#include <stddef.h>
#include <sys/types.h>

struct ig_lines {
	int fd;
	const char *name;	/* for messages: the path, or "-" */
	long lineno;
	char *buf;
	size_t cap, start, end;
	int eof;
	int skipping;		/* inside a line past IG_LINE_MAX */
};

/* path "-" is standard input; returns -1 with errno set on failure */
int ig_lines_open(struct ig_lines *r, const char *path);
void ig_lines_close(struct ig_lines *r);
/* the next line without its newline, NUL-terminated in place; returns its
 * length, -1 at end of input, -2 on a read error (errno set), -3 for a line
 * longer than IG_LINE_MAX, read past without being kept (the line number
 * counts it) */
ssize_t ig_lines_next(struct ig_lines *r, char **line);
/* 1 if ig_lines_next would return without reading */
int ig_lines_buffered(const struct ig_lines *r);
/* wait up to ms for input; 1 if some is ready (or at end), 0 on timeout */
int ig_lines_wait(struct ig_lines *r, int ms);

/* each non-blank line of the files (standard input when there are none) to
 * fn, with the name for messages (stdin for -) and the line number; returns
 * how many files could not be opened and lines were too long, each
 * reported; dies on a read error */
typedef void ig_line_fn(void *ctx, const char *name, long lineno, char *line, size_t len);
int ig_lines_each(char **files, int nfiles, ig_line_fn *fn, void *ctx);
/* the message for a line ig_lines_next returned -3 for */
void ig_lines_too_long(const struct ig_lines *r, const char *name);

#endif
