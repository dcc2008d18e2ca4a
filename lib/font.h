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

#endif
