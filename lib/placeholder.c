/* placeholder.c - deterministic placeholder images that say what they are
 *
 * A gradient with tiles like a map's squares, from the hash of the prompt
 * and seed, tinted toward a color from the theme's name, in a border; on
 * it, in a darkened panel, the subject (wrapped), the size, the theme and
 * variation, and the batch and job number, in the built-in font at the
 * largest whole scale that fits: legible from 64 to 4096 pixels.
 */
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "font.h"
#include "placeholder.h"
#include "pngw.h"

#define LINES_MAX 6
#define LINE_MAX 40		/* characters: longer are cut */
#define SUBJECT_LINES 3

struct look {
	uint32_t width, height;
	unsigned char top[3], bottom[3], accent[3];
	uint32_t cell;		/* tiles, like a map's squares */
	uint32_t phase;
	uint32_t border;
	/* the words: lines of text, each centred, at scale pixels a font pixel */
	char text[LINES_MAX][LINE_MAX + 1];
	int nlines, scale;
	long text_x[LINES_MAX], text_y, panel_x0, panel_x1, panel_y0, panel_y1;
};

static void
text_row(const struct look *l, uint32_t y, unsigned char *out)
{
	static const unsigned char white[3] = { 255, 255, 255 };
	long line_h = (long)(IG_GLYPH_H + 2) * l->scale, dy = (long)y - l->text_y;
	int li = (int)(dy / line_h);

	if (dy >= 0 && li < l->nlines)
		ig_text_row(out, (long)l->width, 3, white, l->text_x[li], (int)(dy % line_h / l->scale), l->scale,
		    l->text[li], strlen(l->text[li]));
}

static void
row(void *ctx, uint32_t y, unsigned char *out)
{
	const struct look *l = ctx;
	uint32_t t = l->height > 1 ? y * 256 / (l->height - 1) : 0;
	int ty = (int)((y + l->phase) / l->cell);
	int in_panel_y = (long)y >= l->panel_y0 && (long)y < l->panel_y1;

	for (uint32_t x = 0; x < l->width; x++) {
		int tx = (int)((x + l->phase) / l->cell);
		int edge = (x + l->phase) % l->cell == 0 || (y + l->phase) % l->cell == 0;
		int accent = ((tx * 7 + ty * 13 + (int)l->phase) % 5) == 0;
		int border = x < l->border || y < l->border || x >= l->width - l->border || y >= l->height - l->border;
		int panel = in_panel_y && (long)x >= l->panel_x0 && (long)x < l->panel_x1;

		for (int c = 0; c < 3; c++) {
			unsigned v = (l->top[c] * (256 - t) + l->bottom[c] * t) >> 8;

			if (accent)
				v = (v + l->accent[c]) / 2;
			if (edge)
				v = v * 3 / 4;
			if (panel)
				v = v / 3;
			if (border)
				v = v / 4;
			out[3 * x + c] = (unsigned char)v;
		}
	}
	if (in_panel_y)
		text_row(l, y, out);
}

/* up to SUBJECT_LINES lines of at most cols characters, broken at spaces
 * where it can be, into l's text; the last cut short says so with ".." */
static void
wrap(struct look *l, const char *s, int cols)
{
	int start = l->nlines;

	while (*s == ' ')
		s++;
	while (*s && l->nlines < LINES_MAX && l->nlines - start < SUBJECT_LINES) {
		int n = (int)strlen(s), take = n < cols ? n : cols;

		if (take < n)
			for (int k = take; k > 0; k--)
				if (s[k] == ' ') {
					take = k;
					break;
				}
		snprintf(l->text[l->nlines++], LINE_MAX + 1, "%.*s", take, s);
		s += take;
		while (*s == ' ')
			s++;
	}
	if (*s && l->nlines > start) {
		char *last = l->text[l->nlines - 1];
		size_t len = strlen(last);

		if (len >= 2)
			memcpy(last + len - 2, "..", 2);
	}
}

static void
add_line(struct look *l, const char *s)
{
	if (s && *s && l->nlines < LINES_MAX)
		snprintf(l->text[l->nlines++], LINE_MAX + 1, "%s", s);
}

/* the words laid out: the largest whole scale at which every line fits */
static void
lay_out(struct look *l, const struct ig_placeholder_says *says, const char *prompt)
{
	long side = l->width < l->height ? l->width : l->height;
	/* at the smallest sizes every column counts: ten characters in 64 */
	long margin = l->border + (side >= 128 ? side / 16 : 0);
	long room_w = (long)l->width - 2 * margin, room_h = (long)l->height - 2 * margin;
	int cols = (int)((room_w + 1) / IG_GLYPH_ADVANCE), widest = 1;
	char line[LINE_MAX + 1];
	long line_h;

	if (cols > 24)
		cols = 24;
	if (cols < 4)
		return;
	wrap(l, says && says->subject && *says->subject ? says->subject : prompt, cols);
	snprintf(line, sizeof line, "%ux%u", l->width, l->height);
	add_line(l, line);
	if (says && says->theme) {
		snprintf(line, sizeof line, "%.*s%s%.*s", cols, says->theme, says->variation ? " / " : "",
		    cols, says->variation ? says->variation : "");
		/* theme and variation on a line each when one is too narrow */
		if ((int)strlen(line) > cols && says->variation) {
			add_line(l, says->theme);
			add_line(l, says->variation);
		} else {
			add_line(l, line);
		}
	}
	if (says && (says->batch || says->n)) {
		snprintf(line, sizeof line, "%.*s%s#%ld", cols, says->batch ? says->batch : "",
		    says->batch ? " " : "", says->n);
		add_line(l, line);
	}
	for (int i = 0; i < l->nlines; i++) {
		int n = (int)strlen(l->text[i]);

		if (n > cols)
			l->text[i][n = cols] = '\0';
		if (n > widest)
			widest = n;
	}
	l->scale = (int)((room_w + 1) / ((long)widest * IG_GLYPH_ADVANCE));
	if ((long)l->nlines * (IG_GLYPH_H + 2) * l->scale > room_h)
		l->scale = (int)(room_h / ((long)l->nlines * (IG_GLYPH_H + 2)));
	if (l->scale < 1) {
		l->nlines = 0;
		return;
	}
	line_h = (long)(IG_GLYPH_H + 2) * l->scale;
	l->text_y = ((long)l->height - l->nlines * line_h) / 2 + l->scale;
	for (int i = 0; i < l->nlines; i++)
		l->text_x[i] = ((long)l->width - ((long)strlen(l->text[i]) * IG_GLYPH_ADVANCE - 1) * l->scale) / 2;
	l->panel_x0 = ((long)l->width - ((long)widest * IG_GLYPH_ADVANCE + 1) * l->scale) / 2 - l->scale;
	l->panel_x1 = (long)l->width - l->panel_x0;
	l->panel_y0 = l->text_y - l->scale * 2;
	l->panel_y1 = l->text_y + l->nlines * line_h;
}

int
ig_placeholder(struct ig_buf *png, const char *prompt, long long seed,
    uint32_t width, uint32_t height, const struct ig_placeholder_says *says, char *err, size_t errlen)
{
	static struct look zero;
	struct look l = zero;
	uint64_t h = XXH3_64bits_withSeed(prompt, strlen(prompt), (uint64_t)seed);
	const char *theme = says && says->theme ? says->theme : NULL;
	uint64_t tint = theme ? XXH3_64bits(theme, strlen(theme)) : 0;

	l.width = width;
	l.height = height;
	/* every look of the picture comes from the one hash, and its tint
	 * from the theme's */
	for (int c = 0; c < 3; c++) {
		l.top[c] = (unsigned char)(h >> (8 * c));
		l.bottom[c] = (unsigned char)(h >> (8 * c + 24));
		if (theme) {
			unsigned char to = (unsigned char)(96 + (tint >> (8 * c)) % 160);

			l.top[c] = (unsigned char)((l.top[c] + 3 * to) / 4);
			l.bottom[c] = (unsigned char)((l.bottom[c] + 3 * to) / 4);
		}
		l.accent[c] = (unsigned char)(255 - l.top[c]);
	}
	l.cell = 32 + (uint32_t)(h >> 48) % 64;
	l.phase = (uint32_t)(h >> 56) % l.cell;
	l.border = (width < height ? width : height) / 64 + 1;
	lay_out(&l, says, prompt);
	/* zlib level 1: a placeholder is wanted now, not small */
	return ig_png_encode_rgb(png, width, height, 1, row, &l, err, errlen);
}
