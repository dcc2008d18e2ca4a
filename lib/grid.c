/* grid.c - which pixels of a row a grid covers, and blending it over them
 *
 * Each row gets a coverage byte per pixel for each layer (lines, every Nth
 * line, labels), and only covered pixels are blended, so a row costs little
 * more than reading it. Square lines are axis-aligned and whole pixels wide,
 * so they stay crisp; hex edges are anti-aliased by the distance from the
 * pixel's centre to the cell's border.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "font.h"
#include "grid.h"

enum { L_LINE, L_MAJOR, L_LABEL, L_N };


static const struct {
	const char *name;
	enum ig_grid_type type;
	int even;
	int foundry;	/* CONST.GRID_TYPES */
} types[] = {
	{ "square", IG_GRID_SQUARE, 0, 1 },
	{ "hex-pointy", IG_GRID_HEX_POINTY, 0, 2 },
	{ "hex-pointy-even", IG_GRID_HEX_POINTY, 1, 3 },
	{ "hex-flat", IG_GRID_HEX_FLAT, 0, 4 },
	{ "hex-flat-even", IG_GRID_HEX_FLAT, 1, 5 },
	/* other spellings of the same */
	{ "hex-pointy-odd", IG_GRID_HEX_POINTY, 0, 2 },
	{ "hex-flat-odd", IG_GRID_HEX_FLAT, 0, 4 },
	{ "hexoddr", IG_GRID_HEX_POINTY, 0, 2 },
	{ "hexevenr", IG_GRID_HEX_POINTY, 1, 3 },
	{ "hexoddq", IG_GRID_HEX_FLAT, 0, 4 },
	{ "hexevenq", IG_GRID_HEX_FLAT, 1, 5 },
};

int
ig_grid_type_parse(const char *s, enum ig_grid_type *t, int *even)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(s, types[i].name) == 0) {
			*t = types[i].type;
			*even = types[i].even;
			return 0;
		}
	return -1;
}

/* the canonical entry of a type: the first that names it */
static int
type_entry(enum ig_grid_type t, int even)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].type == t && types[i].even == (t != IG_GRID_SQUARE && even))
			return (int)i;
	return 0;
}

const char *
ig_grid_type_name(enum ig_grid_type t, int even)
{
	return types[type_entry(t, even)].name;
}

int
ig_grid_foundry_type(enum ig_grid_type t, int even)
{
	return types[type_entry(t, even)].foundry;
}

static long
floor_div(long a, long b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static long
floor_mod(long a, long b)
{
	return a - floor_div(a, b) * b;
}

/*
 * Hex geometry in "pointy" space: a flat-topped grid is a pointy one with
 * x and y swapped, so one set of formulas serves both.
 */
struct hexgeo {
	double w;		/* flat-to-flat: the distance between neighbours */
	double r;		/* circumradius: w / sqrt(3) */
	double ox, oy;		/* centre of cell (0, 0) */
	double offx;		/* the grid's offset along pointy-space x */
	int even;
};

static double
hex_shift(const struct hexgeo *h, long row)
{
	return (floor_mod(row, 2) != 0) != h->even ? h->w / 2 : 0;
}

static void
hex_centre(const struct hexgeo *h, long col, long row, double *x, double *y)
{
	*x = h->offx + h->w / 2 + h->w * (double)col + hex_shift(h, row);
	*y = h->oy + 1.5 * h->r * (double)row;
}

/* distance from (px, py) to the nearest cell border, and along that border
 * the distance to its nearer corner */
static void
hex_distance(const struct hexgeo *h, double px, double py, double *dist, double *along)
{
	static const double s3 = 0.86602540378443864676;	/* sqrt(3) / 2 */
	double y = (py - h->oy) / (1.5 * h->r), x = (px - h->ox) / h->w - y / 2;
	double z = -x - y, rx = round(x), ry = round(y), rz = round(z);
	double dx, dy, n[3], best;
	int k = 0;

	/* cube rounding to the nearest centre */
	if (fabs(rx - x) > fabs(ry - y) && fabs(rx - x) > fabs(rz - z))
		rx = -ry - rz;
	else if (fabs(ry - y) > fabs(rz - z))
		ry = -rx - rz;
	dx = px - (h->ox + h->w * (rx + ry / 2));
	dy = py - (h->oy + 1.5 * h->r * ry);
	n[0] = fabs(dx);
	n[1] = fabs(0.5 * dx + s3 * dy);
	n[2] = fabs(0.5 * dx - s3 * dy);
	best = n[0];
	for (int i = 1; i < 3; i++)
		if (n[i] > best) {
			best = n[i];
			k = i;
		}
	*dist = h->w / 2 - best;
	/* the tangent of the nearest border, against its midpoint */
	switch (k) {
	case 0: *along = h->r / 2 - fabs(dy); break;
	case 1: *along = h->r / 2 - fabs(-s3 * dx + 0.5 * dy); break;
	default: *along = h->r / 2 - fabs(s3 * dx + 0.5 * dy); break;
	}
}

#define PERIOD_MAX ((size_t)8 << 20)	/* bytes of rows a flat hex grid keeps */

struct ig_grid_raster {
	struct ig_grid g;
	uint32_t width, height;
	unsigned char *cov[L_N];	/* per pixel of the row */
	unsigned char *vclass;		/* square: 0, or 1 + layer of a vertical line */
	unsigned char *hdash;		/* square: a horizontal line's dash is on */
	struct hexgeo hex;
	double hw;			/* hex: half the line's width */
	unsigned char *period;		/* flat hex: the first size rows' coverage */
	int scale;			/* label glyphs: pixels per font pixel */
	long cmin, rmin, cmax, rmax;	/* labelled cells */
};

static int
dash_on(const struct ig_grid *g, double along)
{
	if (!g->dash_on)
		return 1;
	return fmod(along, (double)(g->dash_on + g->dash_off)) < g->dash_on;
}

/* square: the layer of the line through position p (0 none), along one axis */
static int
square_class(const struct ig_grid *g, long p, long off)
{
	if (g->every) {
		long w = (long)g->major.width, u = p - off + w / 2, k = floor_div(u, g->size);

		if (floor_mod(k, g->every) == 0 && u - k * g->size < w)
			return 1 + L_MAJOR;
	}
	long w = (long)g->line.width, u = p - off + w / 2;

	return floor_mod(u, g->size) < w ? 1 + L_LINE : 0;
}

static int
square_dash(const struct ig_grid *g, long p, long off)
{
	long u = floor_mod(p - off, g->size);

	return dash_on(g, (double)(u < g->size - u ? u : g->size - u));
}

static void
hex_setup(const struct ig_grid *g, struct hexgeo *h)
{
	double x0, y0;

	h->w = g->size;
	h->r = g->size / sqrt(3.0);
	h->even = g->even;
	h->offx = g->type == IG_GRID_HEX_POINTY ? g->offx : g->offy;
	h->oy = (g->type == IG_GRID_HEX_POINTY ? g->offy : g->offx) + h->r;
	hex_centre(h, 0, 0, &x0, &y0);
	h->ox = x0;
}

/* the first and last columns and rows of cells whose centres are inside */
static void
cell_range(const struct ig_grid *g, const struct hexgeo *h, uint32_t width, uint32_t height,
    long *cmin, long *cmax, long *rmin, long *rmax)
{
	if (g->type == IG_GRID_SQUARE) {
		*cmin = floor_div(2 * -(long)g->offx - g->size, 2L * g->size) + 1;
		*rmin = floor_div(2 * -(long)g->offy - g->size, 2L * g->size) + 1;
		*cmax = floor_div(2 * ((long)width - g->offx) - g->size - 1, 2L * g->size);
		*rmax = floor_div(2 * ((long)height - g->offy) - g->size - 1, 2L * g->size);
		return;
	}
	/* in pointy space: rows by their centres; columns from the first
	 * centre of a pushed row to the last of an unpushed one */
	uint32_t pw = g->type == IG_GRID_HEX_POINTY ? width : height;
	uint32_t ph = g->type == IG_GRID_HEX_POINTY ? height : width;
	long r0 = (long)floor(-h->oy / (1.5 * h->r)) + 1;
	long r1 = (long)ceil((ph - h->oy) / (1.5 * h->r)) - 1;
	long c0 = (long)floor((-h->offx - h->w) / h->w) + 1;
	long c1 = (long)ceil((pw - h->offx - h->w / 2) / h->w) - 1;

	if (g->type == IG_GRID_HEX_POINTY) {
		*cmin = c0, *cmax = c1, *rmin = r0, *rmax = r1;
	} else {
		*cmin = r0, *cmax = r1, *rmin = c0, *rmax = c1;
	}
}

void
ig_grid_cells(const struct ig_grid *g, uint32_t width, uint32_t height, long *columns, long *rows)
{
	struct hexgeo h;
	long cmin, cmax, rmin, rmax;

	if (g->type != IG_GRID_SQUARE)
		hex_setup(g, &h);
	cell_range(g, &h, width, height, &cmin, &cmax, &rmin, &rmax);
	*columns = cmax >= cmin ? cmax - cmin + 1 : 0;
	*rows = rmax >= rmin ? rmax - rmin + 1 : 0;
}

struct ig_grid_raster *
ig_grid_raster_new(const struct ig_grid *g, uint32_t width, uint32_t height)
{
	struct ig_grid_raster *r = ig_malloc(sizeof *r);

	memset(r, 0, sizeof *r);
	r->g = *g;
	r->width = width;
	r->height = height;
	for (int l = 0; l < L_N; l++)
		r->cov[l] = ig_malloc(width ? width : 1);
	if (g->type == IG_GRID_SQUARE) {
		r->vclass = ig_malloc(width ? width : 1);
		r->hdash = ig_malloc(width ? width : 1);
		for (uint32_t x = 0; x < width; x++) {
			r->vclass[x] = (unsigned char)square_class(g, x, g->offx);
			r->hdash[x] = (unsigned char)square_dash(g, x, g->offx);
		}
	} else {
		hex_setup(g, &r->hex);
		r->hw = g->line.width / 2;
		if (g->type == IG_GRID_HEX_FLAT && (size_t)g->size * width <= PERIOD_MAX)
			r->period = ig_malloc((size_t)g->size * width);
	}
	cell_range(g, &r->hex, width, height, &r->cmin, &r->cmax, &r->rmin, &r->rmax);
	r->scale = g->size / 40 > 1 ? g->size / 40 : 1;
	return r;
}

void
ig_grid_raster_free(struct ig_grid_raster *r)
{
	if (!r)
		return;
	for (int l = 0; l < L_N; l++)
		free(r->cov[l]);
	free(r->vclass);
	free(r->hdash);
	free(r->period);
	free(r);
}

static void
square_row(struct ig_grid_raster *r, uint32_t y)
{
	const struct ig_grid *g = &r->g;
	int hclass = square_class(g, y, g->offy), vdash = square_dash(g, y, g->offy);

	for (uint32_t x = 0; x < r->width; x++) {
		int c = vdash ? r->vclass[x] : 0;

		if (hclass && r->hdash[x] && hclass > c)
			c = hclass;
		if (c)
			r->cov[c - 1][x] = 255;
	}
}

static unsigned char
coverage(double hw, double dist)
{
	double c = hw + 0.5 - dist;

	return c <= 0 ? 0 : c >= 1 ? 255 : (unsigned char)lround(c * 255);
}

static void
hex_row(struct ig_grid_raster *r, uint32_t y)
{
	const struct hexgeo *h = &r->hex;
	unsigned char *cov = r->cov[L_LINE];
	double dist, along;

	if (r->g.type == IG_GRID_HEX_POINTY) {
		/* a pointy grid repeats every w pixels along a row */
		uint32_t period = (uint32_t)r->g.size;

		for (uint32_t x = 0; x < r->width; x++) {
			if (x >= period) {
				cov[x] = cov[x - period];
				continue;
			}
			hex_distance(h, x + 0.5, y + 0.5, &dist, &along);
			cov[x] = dash_on(&r->g, along) ? coverage(r->hw, dist) : 0;
		}
	} else if (r->period && y >= (uint32_t)r->g.size) {
		/* a flat grid repeats every size rows */
		memcpy(cov, r->period + (size_t)(y % (uint32_t)r->g.size) * r->width, r->width);
	} else {
		for (uint32_t x = 0; x < r->width; x++) {
			hex_distance(h, y + 0.5, x + 0.5, &dist, &along);
			cov[x] = dash_on(&r->g, along) ? coverage(r->hw, dist) : 0;
		}
		if (r->period)
			memcpy(r->period + (size_t)y * r->width, cov, r->width);
	}
}

/* a cell's label: spreadsheet letters for the column and the row's number,
 * or the column and row as two-digit numbers (0101), as on wargame maps */
static int
label_text(const struct ig_grid_raster *r, long col, long row, char *out)
{
	long c = col - r->cmin + 1, rw = row - r->rmin + 1;

	if (r->g.labels == IG_LABELS_NUMERIC)
		return snprintf(out, 32, "%02ld%02ld", c, rw);
	char letters[16];
	int n = 0;

	while (c > 0 && n < 15) {
		letters[n++] = (char)('A' + (c - 1) % 26);
		c = (c - 1) / 26;
	}
	for (int i = 0; i < n; i++)
		out[i] = letters[n - 1 - i];
	return n + snprintf(out + n, 16, "%ld", rw);
}

/* text's width in pixels */
static long
label_width(const struct ig_grid_raster *r, int n)
{
	return ((long)n * (IG_GLYPH_W + 1) - 1) * r->scale;
}

/* pixel row y of a label whose top left is at (x0, top) */
static void
label_draw(struct ig_grid_raster *r, const char *text, int n, long x0, long top, uint32_t y)
{
	static const unsigned char full = 255;
	long dy = (long)y - top;

	if (dy >= 0)
		ig_text_row(r->cov[L_LABEL], (long)r->width, 1, &full, x0, (int)(dy / r->scale), r->scale, text,
		    (size_t)n);
}

/* the label of the cell at pointy-space (pc, pr), which is (col, row) */
static void
hex_label(struct ig_grid_raster *r, long pc, long pr, long col, long row, uint32_t y)
{
	long gh = (long)IG_GLYPH_H * r->scale, top;
	double cx, cy;

	hex_centre(&r->hex, pc, pr, &cx, &cy);
	if (r->g.type == IG_GRID_HEX_FLAT) {
		double t = cx;

		cx = cy;
		cy = t;
	}
	if (cx <= 0 || cy <= 0 || cx >= r->width || cy >= r->height)
		return;
	top = lround(cy - gh / 2.0);
	if ((long)y >= top && (long)y < top + gh) {
		char text[40];
		int n = label_text(r, col, row, text);

		label_draw(r, text, n, lround(cx - label_width(r, n) / 2.0), top, y);
	}
}

static void
labels_row(struct ig_grid_raster *r, uint32_t y)
{
	const struct ig_grid *g = &r->g;
	long gh = (long)IG_GLYPH_H * r->scale;

	if (g->type == IG_GRID_SQUARE) {
		/* top left of each cell, clear of its lines */
		long inset = (long)g->line.width - (long)g->line.width / 2 + 2;
		long j = floor_div((long)y - g->offy - inset, g->size);

		if (j < r->rmin || j > r->rmax || (long)y - (g->offy + j * g->size + inset) >= gh)
			return;
		for (long i = r->cmin; i <= r->cmax; i++) {
			char text[40];
			int n = label_text(r, i, j, text);

			label_draw(r, text, n, g->offx + i * g->size + inset, g->offy + j * g->size + inset, y);
		}
		return;
	}
	/* hex: centred on the cell; in pointy space the rows (or, for a flat
	 * grid, the cells of each row) near y are the only candidates */
	const struct hexgeo *h = &r->hex;
	double band = gh / 2.0 + 1;

	if (g->type == IG_GRID_HEX_POINTY) {
		long r0 = (long)floor((y - band - h->oy) / (1.5 * h->r));
		long r1 = (long)ceil((y + band - h->oy) / (1.5 * h->r));

		for (long row = r0 > r->rmin ? r0 : r->rmin; row <= r1 && row <= r->rmax; row++)
			for (long col = r->cmin; col <= r->cmax; col++)
				hex_label(r, col, row, col, row, y);
		return;
	}
	for (long col = r->cmin; col <= r->cmax; col++) {
		double base = h->offx + h->w / 2 + hex_shift(h, col);
		long r0 = (long)floor((y - band - base) / h->w), r1 = (long)ceil((y + band - base) / h->w);

		for (long row = r0 > r->rmin ? r0 : r->rmin; row <= r1 && row <= r->rmax; row++)
			hex_label(r, row, col, col, row, y);
	}
}

static inline unsigned
get(const unsigned char *p, int depth)
{
	return depth == 16 ? (unsigned)p[0] << 8 | p[1] : p[0];
}

static inline void
put(unsigned char *p, int depth, double v)
{
	unsigned u = (unsigned)lround(v);

	if (depth == 16) {
		p[0] = (unsigned char)(u >> 8);
		p[1] = (unsigned char)u;
	} else {
		p[0] = (unsigned char)u;
	}
}

/* Porter-Duff "over" in straight alpha, in the image's own values: the pen
 * at alpha a over the pixel */
static void
blend_pixel(unsigned char *px, int channels, int depth, const struct ig_color *c, double a)
{
	int colors = channels == 2 || channels == 4 ? channels - 1 : channels, bytes = depth / 8;
	double max = depth == 16 ? 65535.0 : 255.0;

	if (colors == channels) {
		for (int i = 0; i < colors; i++) {
			double p = get(px + i * bytes, depth), v = c->rgb[colors == 1 ? 0 : i] / 65535.0 * max;

			put(px + i * bytes, depth, p + (v - p) * a);
		}
		return;
	}
	double pa = get(px + colors * bytes, depth) / max, oa = a + pa * (1 - a);

	if (oa <= 0)
		return;
	for (int i = 0; i < colors; i++) {
		double p = get(px + i * bytes, depth), v = c->rgb[colors == 1 ? 0 : i] / 65535.0 * max;

		put(px + i * bytes, depth, (v * a + p * pa * (1 - a)) / oa);
	}
	put(px + colors * bytes, depth, oa * max);
}

void
ig_grid_blend_row(struct ig_grid_raster *r, uint32_t y, unsigned char *row, int channels, int depth)
{
	const struct ig_grid *g = &r->g;
	const struct ig_pen *pens[L_N] = { &g->line, &g->major, &g->line };
	size_t pixel = (size_t)channels * (size_t)(depth / 8);

	for (int l = 0; l < L_N; l++)
		memset(r->cov[l], 0, r->width);
	if (g->type == IG_GRID_SQUARE)
		square_row(r, y);
	else
		hex_row(r, y);
	if (g->labels != IG_LABELS_NONE)
		labels_row(r, y);
	for (int l = 0; l < L_N; l++) {
		const struct ig_pen *p = pens[l];
		double a = p->color.alpha * p->opacity / 255.0;
		const unsigned char *cov = r->cov[l];

		if (a <= 0)
			continue;
		for (uint32_t x = 0; x < r->width; x++)
			if (cov[x])
				blend_pixel(row + x * pixel, channels, depth, &p->color, cov[x] * a);
	}
}
