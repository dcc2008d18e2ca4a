/* pool.c - an ordered thread pool over a ring of slots */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "pool.h"

enum { EMPTY, QUEUED, WORKING, DONE };

struct slot {
	void *item;
	int state;
};

struct worker {
	struct ig_pool *pool;
	int id;
	pthread_t tid;
};

struct ig_pool {
	int threads, depth;
	ig_work_fn *work;
	ig_done_fn *done;
	void *ctx;
	struct slot *ring;
	long head, tail, next;	/* oldest, one past the newest, next to work on */
	int stop;
	pthread_mutex_t mu;
	pthread_cond_t queued, finished;
	struct worker *workers;
};

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct ig_pool *p = w->pool;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct slot *s;

		if (p->next < p->head)
			p->next = p->head;
		while (p->next < p->tail && p->ring[p->next % p->depth].state != QUEUED)
			p->next++;	/* items that need no work */
		if (p->next == p->tail) {
			if (p->stop)
				break;
			pthread_cond_wait(&p->queued, &p->mu);
			continue;
		}
		s = &p->ring[p->next++ % p->depth];
		s->state = WORKING;
		pthread_mutex_unlock(&p->mu);
		p->work(p->ctx, s->item, w->id);
		pthread_mutex_lock(&p->mu);
		s->state = DONE;
		pthread_cond_broadcast(&p->finished);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
ig_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

struct ig_pool *
ig_pool_new(int threads, int depth, ig_work_fn *work, ig_done_fn *done, void *ctx)
{
	struct ig_pool *p = ig_malloc(sizeof *p);
	int rc;

	memset(p, 0, sizeof *p);
	p->threads = threads < 1 ? 1 : threads;
	/* enough in flight that no thread waits on a slow neighbour */
	p->depth = depth > p->threads * 4 ? depth : p->threads * 4;
	p->work = work;
	p->done = done;
	p->ctx = ctx;
	if (p->threads == 1)
		return p;
	p->ring = ig_malloc((size_t)p->depth * sizeof *p->ring);
	memset(p->ring, 0, (size_t)p->depth * sizeof *p->ring);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->queued, NULL);
	pthread_cond_init(&p->finished, NULL);
	p->workers = ig_malloc((size_t)p->threads * sizeof *p->workers);
	for (int i = 0; i < p->threads; i++) {
		p->workers[i].pool = p;
		p->workers[i].id = i;
		if ((rc = pthread_create(&p->workers[i].tid, NULL, run, &p->workers[i])))
			ig_die(IG_EXIT_SYSTEM, "pthread_create: %s", strerror(rc));
	}
	return p;
}

/* Hand finished items at the head to done(), in order. wait 0: only those
 * finished now; 1: and then until a slot is free; 2: until none is in
 * flight. Called with the lock held. */
static void
reap(struct ig_pool *p, int wait)
{
	while (p->head < p->tail) {
		struct slot *s = &p->ring[p->head % p->depth];

		if (s->state == QUEUED || s->state == WORKING) {
			if (wait == 0 || (wait == 1 && p->tail - p->head < p->depth))
				return;
			pthread_cond_wait(&p->finished, &p->mu);
			continue;
		}
		pthread_mutex_unlock(&p->mu);
		p->done(p->ctx, s->item);
		pthread_mutex_lock(&p->mu);
		s->state = EMPTY;
		p->head++;
	}
}

void
ig_pool_submit(struct ig_pool *p, void *item, int needs_work)
{
	if (p->threads == 1) {
		if (needs_work)
			p->work(p->ctx, item, 0);
		p->done(p->ctx, item);
		return;
	}
	pthread_mutex_lock(&p->mu);
	reap(p, 1);
	p->ring[p->tail % p->depth] = (struct slot){ item, needs_work ? QUEUED : DONE };
	p->tail++;
	pthread_cond_signal(&p->queued);
	pthread_mutex_unlock(&p->mu);
}

void
ig_pool_reap(struct ig_pool *p, int all)
{
	if (p->threads == 1)
		return;	/* done at submission */
	pthread_mutex_lock(&p->mu);
	reap(p, all ? 2 : 0);
	pthread_mutex_unlock(&p->mu);
}

void
ig_pool_free(struct ig_pool *p)
{
	if (p->threads > 1) {
		pthread_mutex_lock(&p->mu);
		reap(p, 2);
		p->stop = 1;
		pthread_cond_broadcast(&p->queued);
		pthread_mutex_unlock(&p->mu);
		for (int i = 0; i < p->threads; i++)
			pthread_join(p->workers[i].tid, NULL);
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->queued);
		pthread_cond_destroy(&p->finished);
		free(p->workers);
		free(p->ring);
	}
	free(p);
}
