/* gallery.h - a static gallery of images, with each one's story
 *
 * DIR/index.html holds the gallery: one inline stylesheet and script, no
 * network, no fonts, usable from file://. Each image has a thumbnail
 * (DIR/thumbs/K.png, made while decoding: thumb.h) and a story
 * (DIR/stories/K.js, its records: story.h), which the page loads as a
 * script when its panel opens, since a page from file:// may not fetch.
 * index.html is written as images come, under a temporary name renamed at
 * the end; memory holds the images in flight on the thumbnail threads.
 */
#ifndef IG_GALLERY_H
#define IG_GALLERY_H
#include <stdint.h>

#include "json.h"

struct ig_gallery;

/* the gallery in dir, made if missing, its thumbnails at most thumb
 * pixels a side; NULL with err */
struct ig_gallery *ig_gallery_open(const char *dir, uint32_t thumb, const char *title, char *err,
    size_t errlen);
/* an image by its story (consumed); file and line name it in messages */
void ig_gallery_add(struct ig_gallery *g, jv story, const char *file, long line);
/* the page finished; images that could not be read are said and counted
 * in *unreadable (their tiles say so); 0, or -1 with err, nothing renamed */
int ig_gallery_close(struct ig_gallery *g, long *unreadable, char *err, size_t errlen);

#endif
