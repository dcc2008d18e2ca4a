/* ig-plan - expand plans into a batch and its generation jobs */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "err.h"
#include "json.h"
#include "lines.h"
#include "plan.h"
#include "store.h"

const char *ig_prog = "ig-plan";

static long rejected;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: ig-plan [-s store] [--skip-incompatible] [--max-combinations n] [--shard K/N] [file ...]\n");
	exit(code);
}

struct where {
	const char *file;
	long line;
};

static void
warn_at(void *ctx, const char *msg)
{
	struct where *w = ctx;

	ig_err_at(w->file, w->line, "%s", msg);
}

static void
plan_line(void *ctx, const char *name, long lineno, char *line, size_t n)
{
	struct ig_planner *p = ctx;
	struct where w = { name, lineno };
	char err[1024];
	jv v = ig_json_parse(line, n, err, sizeof err);

	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		ig_err_at(name, lineno, "%s", jv_is_valid(v) ? "not a JSON object" : err);
		rejected++;
	} else if (ig_has(v, "collection")) {
		/* records pass on; the theme library is kept for the plans */
		if (ig_planner_is_library(v))
			ig_planner_library(p, jv_copy(v));
		ig_put_line(line, n);
	} else if (ig_planner_expand(p, v, stdout, warn_at, &w, err, sizeof err) != 0) {
		ig_err_at(name, lineno, "%s", err);
		rejected++;
	}
	jv_free(v);
	ig_check_stdout();
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "skip-incompatible", no_argument, NULL, 'k' },
		{ "max-combinations", required_argument, NULL, 'm' },
		{ "shard", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *store_opt = NULL;
	int skip = 0, c, have_store = 0;
	long max_combinations = IG_PLAN_COMBINATIONS, shard_k = 0, shard_n = 0;
	char *end;
	struct ig_store store;
	struct ig_planner *p;

	while ((c = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1)
		switch (c) {
		case 's': store_opt = optarg; break;
		case 'k': skip = 1; break;
		case 'm':
			errno = 0;
			max_combinations = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || max_combinations < 1)
				ig_die(IG_EXIT_USAGE, "--max-combinations is a whole number of 1 or more, not %s", optarg);
			break;
		case 'S':
			errno = 0;
			shard_k = strtol(optarg, &end, 10);
			if (!errno && end != optarg && *end == '/')
				shard_n = strtol(end + 1, &end, 10);
			if (errno || *end || shard_n < 1 || shard_k < 0 || shard_k >= shard_n)
				ig_die(IG_EXIT_USAGE, "--shard is K/N, N 1 or more and K from 0 to N-1, not %s", optarg);
			break;
		case 'h': usage(0); break;
		default: usage(IG_EXIT_USAGE);
		}
	signal(SIGPIPE, SIG_IGN);
	/* the store is optional: a plan can bring its library in the stream */
	have_store = ig_store_open_optional(&store, store_opt);
	p = ig_planner_new(have_store ? &store : NULL, skip, max_combinations);
	ig_planner_shard(p, shard_k, shard_n);
	rejected += ig_lines_each(argv + optind, argc - optind, plan_line, p);
	ig_planner_free(p);
	if (have_store)
		ig_store_close(&store);
	ig_close_stdout();
	return rejected ? IG_EXIT_REJECT : IG_EXIT_OK;
}
