/* pool.h - work on N threads, results in input order
 *
 * Items go in with ig_pool_submit; each is worked on by some thread, and
 * done() sees them on the submitting thread, in the order submitted. At most
 * depth items are in flight (0: four a thread), so memory stays bounded: a
 * submission past that waits for the oldest. With one thread there are no
 * threads: each item is worked on and done at once.
 */
#ifndef IG_POOL_H
#define IG_POOL_H

struct ig_pool;

/* the processors online: a pool's natural size */
int ig_cpus(void);

typedef void ig_work_fn(void *ctx, void *item, int worker);
typedef void ig_done_fn(void *ctx, void *item);

struct ig_pool *ig_pool_new(int threads, int depth, ig_work_fn *work, ig_done_fn *done, void *ctx);
/* item NULL passes nothing to work() and still keeps its place */
void ig_pool_submit(struct ig_pool *p, void *item, int needs_work);
/* hand what is finished to done(): all 0, only what is finished now; 1,
 * everything in flight, waiting for it */
void ig_pool_reap(struct ig_pool *p, int all);
/* wait for everything in flight, then stop the threads */
void ig_pool_free(struct ig_pool *p);

#endif
