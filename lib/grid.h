/* grid.h - a battle-map grid: its settings, the pixels it covers, row by row,
 * and its blending over rows of pixels
 *
 * Geometry (man/ig-grid.1 maps it to Foundry, Roll20 and Owlbear): a square
 * grid has lines at offset + k * size; a hex grid's size is the distance
 * between neighbouring centres (flat side to flat side), and cell (0, 0)'s
 * bounding box has its top left corner at the offset. Pointy-topped hexes
 * come in rows, flat-topped ones in columns; odd or even rows (columns) are
 * pushed half a cell right (down), as Foundry's four hex types.
 */
#ifndef IG_GRID_H
#define IG_GRID_H
#include <stdint.h>

#include "color.h"

enum ig_grid_type { IG_GRID_SQUARE, IG_GRID_HEX_POINTY, IG_GRID_HEX_FLAT };
enum ig_grid_labels { IG_LABELS_NONE, IG_LABELS_ALPHA, IG_LABELS_NUMERIC };

struct ig_pen {
	struct ig_color color;	/* its alpha times the opacity is the pen's */
	double opacity;
	double width;		/* px; square lines are whole pixels wide */
};

struct ig_grid {
	enum ig_grid_type type;
	int even;		/* hex: even rows (columns) pushed, not odd */
	int size;		/* px per cell */
	int offx, offy;
	struct ig_pen line, major;	/* major: every Nth square line */
	int every;		/* 0: no major lines */
	int dash_on, dash_off;	/* px along a line from each corner; 0: solid */
	enum ig_grid_labels labels;
};

/* "square", "hex-pointy", "hex-flat-even", "hexoddr", ...: 0 or -1 */
int ig_grid_type_parse(const char *s, enum ig_grid_type *t, int *even);
/* the canonical name, as ig_grid_type_parse takes it */
const char *ig_grid_type_name(enum ig_grid_type t, int even);
/* Foundry VTT's CONST.GRID_TYPES number */
int ig_grid_foundry_type(enum ig_grid_type t, int even);

/* The cells whose centres lie inside a width x height image: the labelled
 * ones, A1 the top left. */
void ig_grid_cells(const struct ig_grid *g, uint32_t width, uint32_t height,
    long *columns, long *rows);

struct ig_grid_raster;

struct ig_grid_raster *ig_grid_raster_new(const struct ig_grid *g, uint32_t width, uint32_t height);
void ig_grid_raster_free(struct ig_grid_raster *r);
/* Blend the grid into row y of the image: channels per pixel (grey 1, grey
 * and alpha 2, RGB 3, RGBA 4), 8 bits each, or 16 big-endian. A grey
 * image takes the red of each color: callers keep grey only for grey pens. */
void ig_grid_blend_row(struct ig_grid_raster *r, uint32_t y, unsigned char *row,
    int channels, int depth);

#endif
