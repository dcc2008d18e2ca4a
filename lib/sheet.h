/* sheet.h - contact sheets: thumbnails in a grid, each labelled
 *
 * Tiles are spooled as they come (an image's path and its label's lines),
 * so that a page's size is known before its PNG is begun; each page is
 * then made a row of tiles at a time: that row's thumbnails made on a
 * thread per CPU while decoding (thumb.h), its pixel rows written out
 * (pngenc.h), and let go. Memory: a row of tiles, never a page or an
 * image.
 */
#ifndef IG_SHEET_H
#define IG_SHEET_H
#include <stdint.h>

struct ig_sheet_opts {
	const char *path;	/* the PNG; with per_page, PATH-1.png, PATH-2.png, ... */
	int columns;
	uint32_t thumb;		/* a tile's square, in pixels */
	long per_page;		/* tiles a page, 0 for one page */
	int label_lines;	/* lines of label under each tile */
};

struct ig_sheet;

struct ig_sheet *ig_sheet_new(const struct ig_sheet_opts *o);
/* a tile: the image at path, its label's lines separated by newlines;
 * file and line name it in messages */
void ig_sheet_add(struct ig_sheet *s, const char *path, const char *label, const char *file, long line);
/* the pages written (ig_sheet_page_path names them); an image that
 * cannot be read is a crossed tile, said on stderr and counted in
 * *unreadable. 0, or -1 with err (a page could not be written). */
int ig_sheet_write(struct ig_sheet *s, long *unreadable, char *err, size_t errlen);
/* the path of page k (from 1) of npages */
void ig_sheet_page_path(const struct ig_sheet_opts *o, long k, char *out, size_t n);
void ig_sheet_free(struct ig_sheet *s);

#endif
