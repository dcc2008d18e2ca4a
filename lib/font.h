/* font.h - the built-in 5 x 7 font, for labels on grids, placeholders
 * and contact sheets: no font file to find or ship, and legible scaled by
 * whole pixels at any size */
#ifndef IG_FONT_H
#define IG_FONT_H

#define IG_GLYPH_W 5
#define IG_GLYPH_H 7
#define IG_GLYPH_ADVANCE 6	/* a glyph and a column between */

/* row y (0 at the top) of character c's glyph: 5 bits, the leftmost pixel
 * the highest; a character outside printable ASCII is drawn as '?' */
unsigned ig_glyph_row(int c, int y);
/* font row fy (0 to IG_GLYPH_H - 1; any other draws nothing) of the n
 * characters of text, scale pixels a font pixel, its left edge at x0, into
 * a row of width pixels of bpp bytes: a lit pixel becomes color (bpp
 * bytes), what falls outside the row is cut */
void ig_text_row(unsigned char *row, long width, int bpp, const unsigned char *color, long x0, int fy,
    int scale, const char *text, size_t n);

#endif
