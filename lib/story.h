/* story.h - an image's whole story: the records of the store around it
 *
 * For an images record: its generation (the job, with its params), the
 * job's metadata records and generation_tasks, its batch, the map grid
 * made over the image and its overlays, and the image it was edited from.
 * What ig-sheet labels tiles with and shows in a gallery's panel.
 */
#ifndef IG_STORY_H
#define IG_STORY_H
#include "json.h"
#include "store.h"

/* {"image", "generation", "metadata": [...], "tasks": [...], "batch",
 * "grid", "overlays": [...], "source"}, each there if found; image is
 * consumed. s NULL: the image alone. 0, or an LMDB code. */
int ig_story(struct ig_store *s, MDB_txn *txn, jv image, jv *story);
/* a field for a label, looked up through the story: the image's own,
 * else the job's params, the metadata's, the job's; "size" is WxH and
 * "status" the job's; an array is joined with ", ". A new string, or
 * jv_invalid() if nowhere. */
jv ig_story_field(jv story, const char *name);

#endif
