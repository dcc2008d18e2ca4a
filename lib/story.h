/* story.h - an image's whole story: the records of the store around it
 *
 * Read by the model's references, not named here: what the image refers
 * to (its job, generations) and what that refers to in turn (the job's
 * batch), each under its collection's name; then what refers to the image
 * (its map_grids, image_overlays) and to what the image itself refers to
 * (the job's metadata, generation_tasks and images: the map and its
 * gridded copy), each a list under its collection's name. Not what refers
 * to those further up: a batch's every job is not one image's story. What
 * ig-sheet labels tiles with and shows in a gallery's panel.
 */
#ifndef IG_STORY_H
#define IG_STORY_H
#include "json.h"
#include "store.h"

/* {"image": the record, COLLECTION: a record referred to, or COLLECTION:
 * [records referring], ...}; image is consumed. s NULL: the image alone.
 * 0, or an LMDB code. */
int ig_story(struct ig_store *s, MDB_txn *txn, jv image, jv *story);
/* a field for a label, looked up through the story: the image's own,
 * else its job's params, its first metadata's, its job's; "size" is WxH;
 * an array is joined with ", ". A new string, or jv_invalid() if nowhere. */
jv ig_story_field(jv story, const char *name);

#endif
