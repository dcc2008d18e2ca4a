/* gridrun.h - map images in, gridded copies and their records out
 *
 * Reads lines; an images record of type map (any image with all) is
 * gridded: the line passes on, then a map_grids record, an images record
 * for the gridded PNG and an image_overlays record of type grid. Every
 * other line passes through; a map_grids line supplies the settings of its
 * image further down the stream. man/ig-grid.1 has the rules.
 */
#ifndef IG_GRIDRUN_H
#define IG_GRIDRUN_H

#include "grid.h"
#include "pngenc.h"
#include "store.h"

/* the largest cell ig-grid draws, in pixels (images are at most 16384) */
#define IG_GRID_SIZE_MAX 65535

/* what the options set, over a map_grids record's settings */
enum { IG_SET_SIZE = 1, IG_SET_COLOR = 2, IG_SET_OPACITY = 4, IG_SET_EVERY_COLOR = 8 };

struct ig_grid_options {
	struct ig_grid grid;	/* the model's defaults, then the options */
	const char *color;	/* the line color as given, for the records */
	unsigned set;
	const char *out_dir;	/* NULL: beside the original */
	const char *suffix;	/* before .png: map.png becomes map<suffix>.png */
	int all;		/* every image, not only maps */
	int uvtt;		/* a Universal VTT sidecar too */
	int level, strategy;	/* zlib's */
	enum ig_png_filter filter;
	int threads;
	struct ig_store *store;	/* map_grids to look up, or NULL */
};

/* 0 all gridded, 1 some line or image was refused */
int ig_grid_run(const struct ig_grid_options *o, char **files, int nfiles);

#endif
