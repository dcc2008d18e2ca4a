/* ig-gen - generate images for queued jobs, with their provenance */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "gen.h"
#include "model.h"
#include "url.h"

const char *ig_prog = "ig-gen";

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: ig-gen [--backend placeholder|gemini|openai] [--endpoint url] [--key-file file]\n"
	    "              [--out-dir dir] [--jobs n] [--rate per-minute] [--retries n]\n"
	    "              [--retry-delay seconds] [--timeout seconds] [--budget usd] [--estimate]\n"
	    "              [--placeholders] [--batch [--inline-max bytes] | --collect | --cancel]\n"
	    "              [file ...]\n");
	exit(code);
}

/* a key from a file: its first line, never from argv */
static char *
read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		ig_die(IG_EXIT_SYSTEM, "%s: %s", path, strerror(errno));
	n = getline(&line, &cap, f);
	fclose(f);
	if (n <= 0)
		ig_die(IG_EXIT_USAGE, "%s: no key in the file", path);
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "out-dir", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "rate", required_argument, NULL, 'r' },
		{ "retries", required_argument, NULL, 'R' },
		{ "retry-delay", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "placeholders", no_argument, NULL, 'P' },
		{ "budget", required_argument, NULL, 'B' },
		{ "estimate", no_argument, NULL, 'E' },
		{ "batch", no_argument, NULL, 'S' },
		{ "collect", no_argument, NULL, 'C' },
		{ "cancel", no_argument, NULL, 'X' },
		{ "inline-max", required_argument, NULL, 'I' },
		{ "store", required_argument, NULL, 's' },
		{ "url-base", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ig_gen_options o = { .backend = IG_PLACEHOLDER, .out_dir = ".", .jobs = 4, .timeout = 600,
	    .inline_max = -1 };
	const char *url_base = NULL;
	const char *backend = NULL, *key_file = NULL, *env;
	char *key = NULL;
	char *stdin_only[] = { "-" };
	int c, rc;

	/* retries as the model's generation_tasks defaults say (seed 003) */
	o.max_retries = (int)jv_number_value(ig_model_field("generation_tasks", "max_retries")->defval);
	o.retry_delay = jv_number_value(ig_model_field("generation_tasks", "retry_delay")->defval);

	while ((c = getopt_long(argc, argv, "j:s:h", longopts, NULL)) != -1)
		switch (c) {
		case 'b': backend = optarg; break;
		case 'e': o.endpoint = optarg; break;
		case 'k': key_file = optarg; break;
		case 'o': o.out_dir = optarg; break;
		case 'j': o.jobs = (int)ig_opt_number("--jobs", optarg, 1, 1024, 0); break;
		case 'r': o.per_minute = ig_opt_number("--rate", optarg, 0, 1e6, 0); break;
		case 'R': o.max_retries = (int)ig_opt_number("--retries", optarg, 0, 100, 0); break;
		case 'd': o.retry_delay = ig_opt_number("--retry-delay", optarg, 0, 3600, 0); break;
		case 't': o.timeout = (long)ig_opt_number("--timeout", optarg, 1, 86400, 0); break;
		case 'P': o.placeholders = 1; break;
		case 'B': o.budget = ig_opt_number("--budget", optarg, 0.000001, 1e9, 0); break;
		case 'E': o.estimate = 1; break;
		case 'S': o.batch = IG_BATCH_SUBMIT; break;
		case 'C': o.batch = IG_BATCH_COLLECT; break;
		case 'X': o.batch = IG_BATCH_CANCEL; break;
		case 'I': o.inline_max = ig_opt_number("--inline-max", optarg, 0, 2e9, 0); break;
		case 's': o.store = optarg; break;
		case 'u': url_base = optarg; break;
		case 'h': usage(0); break;
		default: usage(IG_EXIT_USAGE);
		}
	o.url_base = ig_url_base(url_base);
	if (o.url_base && !strchr(o.url_base, '='))
		ig_die(IG_EXIT_USAGE, "--url-base is ROOT=URL, as /srv/assets=https://cdn.example.com/assets/");
	/* remote batches are Gemini's */
	if (!backend)
		backend = o.batch ? "gemini" : "placeholder";
	if (o.batch && strcmp(backend, "gemini") != 0)
		ig_die(IG_EXIT_USAGE, "--batch, --collect and --cancel are the Gemini Batch API's: --backend gemini");
	if (o.batch && (o.estimate || o.placeholders))
		ig_die(IG_EXIT_USAGE, "--batch, --collect and --cancel go with neither --estimate nor --placeholders");
	if (strcmp(backend, "placeholder") == 0) {
		o.backend = IG_PLACEHOLDER;
	} else if (strcmp(backend, "gemini") == 0) {
		o.backend = IG_GEMINI;
	} else if (strcmp(backend, "openai") == 0) {
		o.backend = IG_OPENAI;
	} else {
		ig_die(IG_EXIT_USAGE, "--backend is placeholder, gemini or openai, not %s", backend);
	}
	if (o.backend != IG_PLACEHOLDER) {
		const char *public = o.backend == IG_GEMINI ? "https://generativelanguage.googleapis.com" :
		    "https://api.openai.com";
		const char *var = o.backend == IG_GEMINI ? "GEMINI_API_KEY" : "OPENAI_API_KEY";

		if (!o.endpoint)
			o.endpoint = (env = getenv("IG_ENDPOINT")) && *env ? env : public;
		env = getenv(var);
		key = key_file ? read_key(key_file) : env && *env ? ig_strdup(env) : NULL;
		/* a local server (sd-server, LocalAI) may take no key */
		if (!key && !o.estimate && strcmp(o.endpoint, public) == 0)
			ig_die(IG_EXIT_USAGE, "%s needs a key: %s, or --key-file", backend, var);
		o.key = key;
	}
	if (o.estimate && o.backend == IG_PLACEHOLDER)
		ig_die(IG_EXIT_USAGE, "--estimate prices a model's API: --backend gemini or openai");
	/* answers and images are megabytes each: keep them on the heap, where
	 * freed memory is reused, not in fresh zero-filled mappings */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	o.progress = isatty(2);
	rc = optind < argc ? ig_gen_run(&o, argv + optind, argc - optind) : ig_gen_run(&o, stdin_only, 1);
	free(key);
	ig_close_stdout();
	return rc;
}
