/* writer.c - chunks prepared on threads, applied in batched transactions */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pool.h"
#include "record.h"
#include "writer.h"

/* A chunk is what a thread prepares at once: small, so that few in flight
 * take little memory. A transaction is committed at TXN_LINES or TXN_BYTES:
 * large, because every commit waits for the disk twice. */
#define CHUNK_LINES 4096
#define CHUNK_BYTES (2u << 20)
#define TXN_LINES 100000
#define TXN_BYTES (16u << 20)

/* results in the out spool: the tag's low bit says which kind */
enum { OUT_RECORD, OUT_ERROR };
#define LINE_BITS 40

/* a preparing thread's own model (see ig_model_new) and members */
struct ig_preparer {
	struct ig_model *model;
	struct ig_members members;
};

static struct ig_chunk *
chunk_new(struct ig_writer *w)
{
	struct ig_chunk *c = w->spare;

	if (c) {
		w->spare = c->next;
		c->next = NULL;
		return c;
	}
	c = ig_malloc(sizeof *c);
	ig_spool_init(&c->in, w->strict);
	c->items = NULL;
	c->next = NULL;
	return c;
}

static void
chunk_spare(struct ig_writer *w, struct ig_chunk *c)
{
	ig_spool_clear(&c->in);
	c->next = w->spare;
	w->spare = c;
}

static void
chunk_free(struct ig_chunk *c)
{
	ig_spool_free(&c->in);
	if (c->items) {
		ig_spool_free(c->items);
		free(c->items);
	}
	free(c);
}

/* Only chunks in flight hold items: a spool of them is lent to a chunk
 * when it is handed on and taken back once it is applied. */
static struct ig_spool *
items_lend(struct ig_writer *w)
{
	struct ig_spool *sp;

	if (w->nspare_items)
		return w->spare_items[--w->nspare_items];
	sp = ig_malloc(sizeof *sp);
	ig_spool_init(sp, w->strict);
	return sp;
}

static void
items_return(struct ig_writer *w, struct ig_chunk *c)
{
	ig_spool_clear(c->items);
	if (w->nspare_items == w->capspare_items) {
		w->capspare_items = w->capspare_items ? 2 * w->capspare_items : 8;
		w->spare_items = ig_realloc(w->spare_items,
		    (size_t)w->capspare_items * sizeof *w->spare_items);
	}
	w->spare_items[w->nspare_items++] = c->items;
	c->items = NULL;
}

void
ig_writer_init(struct ig_writer *w, struct ig_store *s, int strict)
{
	memset(w, 0, sizeof *w);
	w->store = s;
	w->strict = strict;
	w->chunk = chunk_new(w);
	w->applied_tail = &w->applied;
	ig_spool_init(&w->out, strict);
}

int
ig_writer_file(struct ig_writer *w, const char *name)
{
	w->names = ig_realloc(w->names, (size_t)(w->nnames + 1) * sizeof *w->names);
	w->names[w->nnames] = name;
	return w->nnames++;
}

static void
prepare(struct ig_chunk *c, const struct ig_model *m, struct ig_members *scratch)
{
	long tag;
	const char *p;
	size_t n;

	ig_spool_rewind(&c->in);
	while (ig_spool_next(&c->in, &tag, &p, &n)) {
		ig_record_prepare(m, p, n, &c->now, scratch, ig_spool_start(c->items));
		ig_spool_finish(c->items, 0);
	}
	ig_members_clear(scratch);
}

static void
prepare_work(void *ctx, void *chunk, int worker)
{
	struct ig_writer *w = ctx;
	struct ig_preparer *pr = &w->preparers[worker];

	prepare(chunk, pr->model, &pr->members);
}

static void __attribute__((noreturn))
store_failed(struct ig_store *s, const char *doing, int rc)
{
	ig_die(IG_EXIT_SYSTEM, "store %s: %s%s", s->path, doing, ig_store_strerror(s, rc));
}

/* a prepared chunk's lines, in the open transaction; their results go to out */
static int
apply_items(struct ig_writer *w, struct ig_chunk *c)
{
	long tag, unused;
	const char *p, *item;
	size_t n, itemlen;
	int rc = 0;

	ig_spool_rewind(&c->in);
	ig_spool_rewind(c->items);
	while (!rc && ig_spool_next(&c->in, &tag, &p, &n) &&
	    ig_spool_next(c->items, &unused, &item, &itemlen)) {
		enum ig_applied o;

		rc = ig_record_apply(w->store, w->txn, item, itemlen, p, n, &c->now, &w->members,
		    &w->result, &o);
		if (rc || o == IG_BLANK)
			continue;
		if (o == IG_PASSED) {
			ig_spool_add(&w->out, tag << 1 | OUT_RECORD, p, n);
		} else if (o == IG_STORED) {
			ig_spool_add(&w->out, tag << 1 | OUT_RECORD, w->result.p, w->result.len);
		} else {
			w->txn_rejected++;
			ig_spool_add(&w->out, tag << 1 | OUT_ERROR, w->result.p, w->result.len);
		}
	}
	return rc;
}

/* A new transaction, in which the chunks the last one had applied are
 * prepared and applied again: after MDB_MAP_FULL, in a grown map. */
static int
replay(struct ig_writer *w)
{
	struct ig_store *s = w->store;
	int rc;

	if ((rc = ig_store_begin(s, 0, &w->txn)))
		store_failed(s, "", rc);
	ig_spool_clear(&w->out);
	w->txn_rejected = 0;
	for (struct ig_chunk *a = w->applied; a && !rc; a = a->next) {
		a->items = items_lend(w);
		prepare(a, s->m, &w->members);
		rc = apply_items(w, a);
		items_return(w, a);
	}
	return rc;
}

/* after a failed transaction (its handle gone): grow the map on MDB_MAP_FULL */
static void
grow_or_die(struct ig_writer *w, int rc)
{
	w->txn = NULL;
	if (rc != MDB_MAP_FULL)
		store_failed(w->store, "", rc);
	if ((rc = ig_store_grow(w->store)))
		store_failed(w->store, "growing the map: ", rc);
}

/* apply chunk c in the open transaction, or in a new one */
static void
apply(struct ig_writer *w, struct ig_chunk *c)
{
	int rc;

	for (;;) {
		rc = w->txn ? 0 : replay(w);
		if (!rc && !(rc = apply_items(w, c)))
			break;
		mdb_txn_abort(w->txn);
		grow_or_die(w, rc);
	}
	/* its lines stay until the commit, for a replay; its items can go */
	items_return(w, c);
	w->txn_lines += c->in.count;
	w->txn_bytes += c->in.bytes;
	*w->applied_tail = c;
	w->applied_tail = &c->next;
}

/* commit the open transaction, or abort it (--strict with a rejection), and print */
static void
commit(struct ig_writer *w)
{
	int discard = w->strict && w->txn_rejected;
	long tag;
	const char *p;
	size_t n;
	int rc;

	if (!w->txn)
		return;
	if (discard) {
		mdb_txn_abort(w->txn);
	} else {
		while ((rc = mdb_txn_commit(w->txn))) {
			grow_or_die(w, rc);
			while ((rc = replay(w))) {
				mdb_txn_abort(w->txn);
				grow_or_die(w, rc);
			}
		}
	}
	w->txn = NULL;
	w->rejected += w->txn_rejected;
	ig_spool_rewind(&w->out);
	while (ig_spool_next(&w->out, &tag, &p, &n)) {
		long line = (tag >> 1) & ((1L << LINE_BITS) - 1);
		int file = (int)(tag >> (LINE_BITS + 1));

		if ((tag & 1) == OUT_ERROR)
			ig_err_at(w->names[file], line, "%s", p);
		else if (!discard)
			ig_put_line(p, n);
	}
	if (discard)
		ig_warn("--strict: %d line%s rejected, nothing stored", w->txn_rejected,
		    w->txn_rejected == 1 ? "" : "s");
	fflush(stdout);
	ig_check_stdout();
	ig_spool_clear(&w->out);
	while (w->applied) {
		struct ig_chunk *a = w->applied;

		w->applied = a->next;
		chunk_spare(w, a);
	}
	w->applied_tail = &w->applied;
	/* lines still in flight wait for the next commit, a second at most */
	w->pending -= w->txn_lines;
	if (w->pending)
		w->pending_since_us = ig_now_us();
	w->txn_lines = w->txn_bytes = 0;
}

/* with the pool: called on this thread, chunk by chunk in input order */
static void
apply_done(void *ctx, void *chunk)
{
	struct ig_writer *w = ctx;

	apply(w, chunk);
	if (!w->strict && (w->txn_lines >= TXN_LINES || w->txn_bytes >= TXN_BYTES))
		commit(w);
}

/* a preparing thread a CPU, each with its own model; the pool's four
 * chunks a thread in flight keep them busy while a commit waits for the disk */
static void
start_threads(struct ig_writer *w)
{
	w->preparers = ig_malloc((size_t)w->threads * sizeof *w->preparers);
	memset(w->preparers, 0, (size_t)w->threads * sizeof *w->preparers);
	for (int i = 0; i < w->threads; i++)
		w->preparers[i].model = ig_model_new();
	w->pool = ig_pool_new(w->threads, 0, prepare_work, apply_done, w);
}

/* hand the chunk being filled on; full: cut for its size (never with
 * --strict), so more input is likely coming and threads are worth it */
static void
hand_on(struct ig_writer *w, int full)
{
	struct ig_chunk *c = w->chunk;

	if (c->in.count == 0)
		return;
	w->chunk = chunk_new(w);
	ig_now_set(&c->now);
	c->items = items_lend(w);
	if (full && !w->threads && (w->threads = ig_cpus()) > 1)
		start_threads(w);
	if (w->pool) {
		ig_pool_submit(w->pool, c, 1);
	} else {
		prepare(c, w->store->m, &w->members);
		apply_done(w, c);
	}
}

void
ig_writer_add(struct ig_writer *w, int file, long lineno, const char *line, size_t len)
{
	struct ig_chunk *c = w->chunk;

	if (w->pending++ == 0)
		w->pending_since_us = ig_now_us();
	ig_spool_add(&c->in, (long)file << LINE_BITS | lineno, line, len);
	if (!w->strict && (c->in.count >= CHUNK_LINES || c->in.bytes >= CHUNK_BYTES))
		hand_on(w, 1);
}

void
ig_writer_flush(struct ig_writer *w)
{
	hand_on(w, 0);
	if (w->pool)
		ig_pool_reap(w->pool, 1);
	commit(w);
}

void
ig_writer_free(struct ig_writer *w)
{
	if (w->pool) {
		ig_pool_free(w->pool);
		for (int i = 0; i < w->threads; i++) {
			struct ig_preparer *pr = &w->preparers[i];

			ig_model_free(pr->model);
			ig_members_free(&pr->members);
		}
		free(w->preparers);
	}
	if (w->txn)
		mdb_txn_abort(w->txn);
	chunk_free(w->chunk);
	while (w->applied) {
		struct ig_chunk *c = w->applied;

		w->applied = c->next;
		chunk_free(c);
	}
	while (w->spare) {
		struct ig_chunk *c = w->spare;

		w->spare = c->next;
		chunk_free(c);
	}
	for (int i = 0; i < w->nspare_items; i++) {
		ig_spool_free(w->spare_items[i]);
		free(w->spare_items[i]);
	}
	free(w->spare_items);
	ig_spool_free(&w->out);
	ig_buf_free(&w->result);
	ig_members_free(&w->members);
	free(w->names);
}
