/* ig-grid - grids drawn on battle maps, with MapGrid and ImageOverlay records */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "err.h"
#include "gridrun.h"
#include "model.h"
#include "pool.h"

const char *ig_prog = "ig-grid";

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: ig-grid [--grid square|hex-pointy|hex-pointy-even|hex-flat|hex-flat-even]\n"
	    "               [--size px] [--color #rrggbb] [--opacity 0-1] [--width px] [--offset x,y]\n"
	    "               [--every n] [--every-color #rrggbb] [--every-width px] [--dash on[,off]]\n"
	    "               [--labels alpha|numeric] [--out-dir dir] [--suffix s] [--all] [--uvtt]\n"
	    "               [--level 0-9] [--strategy huffman|rle|filtered|default]\n"
	    "               [--filter adaptive|none|sub|up|avg|paeth] [--threads n]\n"
	    "               [-s store] [file ...]\n");
	exit(code);
}

/* "a,b" (b defaults to a when optional) */
static void
pair(const char *opt, const char *s, int *a, int *b, double min, int b_optional)
{
	char *comma = strchr(s, ','), *first = ig_strdup(s);

	if (comma)
		first[comma - s] = '\0';
	else if (!b_optional)
		ig_die(IG_EXIT_USAGE, "%s takes x,y, not %s", opt, s);
	*a = (int)ig_opt_number(opt, first, min, 65535, 1);
	*b = comma ? (int)ig_opt_number(opt, comma + 1, min, 65535, 1) : *a;
	free(first);
}

static void
color(const char *opt, const char *s, struct ig_color *c)
{
	if (ig_color_parse(s, strlen(s), c) != 0)
		ig_die(IG_EXIT_USAGE, "%s takes #rgb, #rgba, #rrggbb or #rrggbbaa, not %s", opt, s);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "grid", required_argument, NULL, 'g' },
		{ "size", required_argument, NULL, 'S' },
		{ "color", required_argument, NULL, 'c' },
		{ "opacity", required_argument, NULL, 'a' },
		{ "width", required_argument, NULL, 'w' },
		{ "offset", required_argument, NULL, 'O' },
		{ "every", required_argument, NULL, 'e' },
		{ "every-color", required_argument, NULL, 'E' },
		{ "every-width", required_argument, NULL, 'W' },
		{ "dash", required_argument, NULL, 'd' },
		{ "labels", required_argument, NULL, 'l' },
		{ "out-dir", required_argument, NULL, 'o' },
		{ "suffix", required_argument, NULL, 'x' },
		{ "all", no_argument, NULL, 'A' },
		{ "uvtt", no_argument, NULL, 'u' },
		{ "level", required_argument, NULL, 'L' },
		{ "strategy", required_argument, NULL, 'z' },
		{ "filter", required_argument, NULL, 'f' },
		{ "threads", required_argument, NULL, 'j' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* seed 003's MapGrid rules and defaults, from the model */
	const struct ig_field *fsize = ig_model_field("map_grids", "size");
	const struct ig_field *fopacity = ig_model_field("map_grids", "opacity");
	const struct ig_field *fcolor = ig_model_field("map_grids", "color");
	struct ig_grid_options o;
	struct ig_grid *g = &o.grid;
	const char *store_opt = NULL;
	char *stdin_only[] = { "-" };
	int c, rc, have_store = 0, major_width = 0, level = -1;
	struct ig_store store;

	memset(&o, 0, sizeof o);
	g->size = (int)jv_number_value(fsize->defval);
	g->line.opacity = jv_number_value(fopacity->defval);
	o.color = jv_string_value(fcolor->defval);
	color("the model's color", o.color, &g->line.color);
	g->line.width = 1;
	o.suffix = ".grid";
	o.strategy = -1;
	o.filter = IG_FILTER_UP;
	o.threads = ig_cpus();
	while ((c = getopt_long(argc, argv, "j:s:h", longopts, NULL)) != -1)
		switch (c) {
		case 'g':
			if (ig_grid_type_parse(optarg, &g->type, &g->even) != 0)
				ig_die(IG_EXIT_USAGE, "--grid is square, hex-pointy, hex-pointy-even, hex-flat or "
				    "hex-flat-even, not %s", optarg);
			break;
		case 'S':
			g->size = (int)ig_opt_number("--size", optarg, fsize->min, IG_GRID_SIZE_MAX, 1);
			o.set |= IG_SET_SIZE;
			break;
		case 'c':
			color("--color", optarg, &g->line.color);
			o.color = optarg;
			o.set |= IG_SET_COLOR;
			break;
		case 'a':
			g->line.opacity = ig_opt_number("--opacity", optarg, fopacity->min, fopacity->max, 0);
			o.set |= IG_SET_OPACITY;
			break;
		case 'w': g->line.width = ig_opt_number("--width", optarg, 1, 1000, 0); break;
		case 'O': pair("--offset", optarg, &g->offx, &g->offy, -65535, 0); break;
		case 'e': g->every = (int)ig_opt_number("--every", optarg, 2, 65535, 1); break;
		case 'E': color("--every-color", optarg, &g->major.color); o.set |= IG_SET_EVERY_COLOR; break;
		case 'W': major_width = (int)ig_opt_number("--every-width", optarg, 1, 1000, 1); break;
		case 'd': pair("--dash", optarg, &g->dash_on, &g->dash_off, 1, 1); break;
		case 'l':
			if (strcmp(optarg, "alpha") == 0)
				g->labels = IG_LABELS_ALPHA;
			else if (strcmp(optarg, "numeric") == 0)
				g->labels = IG_LABELS_NUMERIC;
			else
				ig_die(IG_EXIT_USAGE, "--labels is alpha or numeric, not %s", optarg);
			break;
		case 'o': o.out_dir = optarg; break;
		case 'x': o.suffix = optarg; break;
		case 'A': o.all = 1; break;
		case 'u': o.uvtt = 1; break;
		case 'L': level = (int)ig_opt_number("--level", optarg, 0, 9, 1); break;
		case 'z':
			if (ig_png_strategy_parse(optarg, &o.strategy) != 0)
				ig_die(IG_EXIT_USAGE, "--strategy is huffman, rle, filtered or default, not %s", optarg);
			break;
		case 'f':
			if (ig_png_filter_parse(optarg, &o.filter) != 0)
				ig_die(IG_EXIT_USAGE, "--filter is adaptive, none, sub, up, avg or paeth, not %s", optarg);
			break;
		case 'j': o.threads = (int)ig_opt_number("--threads", optarg, 1, 256, 1); break;
		case 's': store_opt = optarg; break;
		case 'h': usage(0); break;
		default: usage(IG_EXIT_USAGE);
		}
	if (g->type != IG_GRID_SQUARE && g->every)
		ig_die(IG_EXIT_USAGE, "--every draws square lines: a hex grid has none across the map");
	if (g->type != IG_GRID_SQUARE && o.uvtt)
		ig_die(IG_EXIT_USAGE, "--uvtt takes a square grid: Universal VTT has no hexes");
	if (strchr(o.suffix, '/'))
		ig_die(IG_EXIT_USAGE, "--suffix names a file beside the original: no / in it");
	/* Huffman coding alone, unless a level asks for zlib's matching: on
	 * filtered art it is 2 to 4 times quicker and within a few percent */
	if (o.strategy < 0)
		o.strategy = level < 0 ? Z_HUFFMAN_ONLY : o.filter == IG_FILTER_NONE ? Z_DEFAULT_STRATEGY : Z_FILTERED;
	o.level = level < 0 ? 6 : level;
	/* square lines are whole pixels, crisp */
	if (g->type == IG_GRID_SQUARE)
		g->line.width = (int)(g->line.width + 0.5);
	g->major.width = major_width ? major_width : 2 * g->line.width;
	signal(SIGPIPE, SIG_IGN);
	/* the store is optional: map_grids may come in the stream */
	have_store = ig_store_open_optional(&store, store_opt);
	o.store = have_store ? &store : NULL;
	rc = optind < argc ? ig_grid_run(&o, argv + optind, argc - optind) : ig_grid_run(&o, stdin_only, 1);
	if (have_store)
		ig_store_close(&store);
	ig_close_stdout();
	return rc;
}
