/* fuzz-record - the record path: lines prepared and applied against a
 * temporary store, as ig-record does, then committed. A store failure or
 * an exit is a finding; a refused line is not. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "store.h"
#include "writer.h"

const char *ig_prog = "fuzz-record";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static struct ig_store store;
static struct ig_writer w;
static int file, runs;

static void
open_store(void)
{
	char err[512];

	if (ig_store_open(&store, dir, 0, err, sizeof err))
		ig_die(IG_EXIT_SYSTEM, "%s", err);
	ig_writer_init(&w, &store, 0);
	file = ig_writer_file(&w, "fuzz");
}

static void
remove_store(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
}

/* a fresh store now and then, so that it does not grow for the whole run */
static void
renew_store(void)
{
	ig_writer_free(&w);
	ig_store_close(&store);
	remove_store();
	open_store();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof dir, "%.40s/ig-fuzz-record.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	atexit(remove_store);
	if (!freopen("/dev/null", "w", stdout))
		abort();
	open_store();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *line = s;
	long lineno = 0;

	memcpy(s, data, size);
	s[size] = '\0';
	for (char *end = s + size; line <= end; ) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);

		line[n] = '\0';
		lineno++;
		if (n && strspn(line, " \t\r") < n)
			ig_writer_add(&w, file, lineno, line, n);
		if (!nl)
			break;
		line = nl + 1;
	}
	ig_writer_flush(&w);
	free(s);
	if (++runs % 20000 == 0)
		renew_store();
	return 0;
}
