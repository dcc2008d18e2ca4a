/* syncer.c - syncfs on a thread of its own */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "err.h"
#include "syncer.h"

struct ig_syncer {
	int fd;
	void (*wake)(void *);
	void *ctx;
	int state, err, stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t tid;
};

static void *
run(void *arg)
{
	struct ig_syncer *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		int rc;

		while (s->state != IG_SYNC_RUNNING && !s->stop)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->state != IG_SYNC_RUNNING)
			break;
		pthread_mutex_unlock(&s->mu);
		rc = syncfs(s->fd);
		pthread_mutex_lock(&s->mu);
		s->err = rc == 0 ? 0 : errno;
		s->state = IG_SYNC_DONE;
		pthread_cond_broadcast(&s->cv);
		if (s->wake)
			s->wake(s->ctx);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

struct ig_syncer *
ig_syncer_new(int fd, void (*wake)(void *), void *ctx)
{
	struct ig_syncer *s = ig_malloc(sizeof *s);
	int rc;

	*s = (struct ig_syncer){ .fd = fd, .wake = wake, .ctx = ctx, .state = IG_SYNC_IDLE };
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if ((rc = pthread_create(&s->tid, NULL, run, s)) != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s);
		errno = rc;
		return NULL;
	}
	return s;
}

int
ig_syncer_begin(struct ig_syncer *s)
{
	int rc = -1;

	pthread_mutex_lock(&s->mu);
	if (s->state == IG_SYNC_IDLE) {
		s->state = IG_SYNC_RUNNING;
		pthread_cond_broadcast(&s->cv);
		rc = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
ig_syncer_poll(struct ig_syncer *s, int wait, int *err)
{
	int state;

	pthread_mutex_lock(&s->mu);
	while (wait && s->state == IG_SYNC_RUNNING)
		pthread_cond_wait(&s->cv, &s->mu);
	state = s->state;
	if (state == IG_SYNC_DONE) {
		*err = s->err;
		s->state = IG_SYNC_IDLE;
	}
	pthread_mutex_unlock(&s->mu);
	return state;
}

void
ig_syncer_free(struct ig_syncer *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->tid, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
