/* syncer.h - syncfs on a thread of its own
 *
 * A loop that must not stop while a file system writes back (ig-gen's,
 * with transfers in flight) asks for a sync and goes on; the thread tells
 * it through wake() when the sync is over, and the loop takes the result.
 * One sync at a time: what finishes meanwhile waits for the next.
 */
#ifndef IG_SYNCER_H
#define IG_SYNCER_H

enum { IG_SYNC_IDLE, IG_SYNC_RUNNING, IG_SYNC_DONE };

struct ig_syncer;

/* fd: any file on the file system to sync; wake(ctx) is called on the
 * syncer's thread when a sync ends. NULL, with errno, if no thread. */
struct ig_syncer *ig_syncer_new(int fd, void (*wake)(void *), void *ctx);
/* begin a sync: 0, or -1 when one is running or its result not yet taken */
int ig_syncer_begin(struct ig_syncer *s);
/* IG_SYNC_IDLE, IG_SYNC_RUNNING, or IG_SYNC_DONE with *err the sync's
 * errno (0: it succeeded), which makes it idle again. wait 1 waits for a
 * running sync to end. */
int ig_syncer_poll(struct ig_syncer *s, int wait, int *err);
/* waits for a running sync, then ends the thread */
void ig_syncer_free(struct ig_syncer *s);

#endif
