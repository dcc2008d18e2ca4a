/* spool.c - a replayable list of tagged lines */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "spool.h"

struct head {
	long tag;
	size_t n;
};

void
ig_spool_init(struct ig_spool *sp, int on_disk)
{
	memset(sp, 0, sizeof *sp);
	if (on_disk && !(sp->file = tmpfile()))
		ig_die(IG_EXIT_SYSTEM, "temporary file: %s", strerror(errno));
}

void
ig_spool_add(struct ig_spool *sp, long tag, const char *p, size_t n)
{
	struct head h = { tag, n };

	if (sp->file) {
		if (fwrite(&h, sizeof h, 1, sp->file) != 1 ||
		    (n && fwrite(p, n, 1, sp->file) != 1))
			ig_die(IG_EXIT_SYSTEM, "temporary file: %s", strerror(errno));
	} else {
		ig_buf_add(&sp->mem, &h, sizeof h);
		ig_buf_add(&sp->mem, p, n);
		ig_buf_addc(&sp->mem, '\0');
	}
	sp->count++;
	sp->bytes += n;
}

struct ig_buf *
ig_spool_start(struct ig_spool *sp)
{
	struct head h = { 0, 0 };

	if (sp->file) {
		sp->item.len = 0;
		return &sp->item;
	}
	sp->pos = sp->mem.len;
	ig_buf_add(&sp->mem, &h, sizeof h);
	return &sp->mem;
}

void
ig_spool_finish(struct ig_spool *sp, long tag)
{
	struct head h = { tag, 0 };

	if (sp->file) {
		ig_spool_add(sp, tag, sp->item.p, sp->item.len);
		return;
	}
	h.n = sp->mem.len - sp->pos - sizeof h;
	memcpy(sp->mem.p + sp->pos, &h, sizeof h);
	ig_buf_addc(&sp->mem, '\0');
	sp->count++;
	sp->bytes += h.n;
}

void
ig_spool_rewind(struct ig_spool *sp)
{
	sp->pos = 0;
	if (sp->file && (fflush(sp->file) != 0 || fseek(sp->file, 0, SEEK_SET) != 0))
		ig_die(IG_EXIT_SYSTEM, "temporary file: %s", strerror(errno));
}

int
ig_spool_next(struct ig_spool *sp, long *tag, const char **p, size_t *n)
{
	struct head h;

	if (sp->file) {
		if (fread(&h, sizeof h, 1, sp->file) != 1) {
			if (ferror(sp->file))
				ig_die(IG_EXIT_SYSTEM, "temporary file: %s", strerror(errno));
			fseek(sp->file, 0, SEEK_END);
			return 0;
		}
		sp->item.len = 0;
		ig_buf_grow(&sp->item, h.n + 1);
		if (h.n && fread(sp->item.p, h.n, 1, sp->file) != 1)
			ig_die(IG_EXIT_SYSTEM, "temporary file: short read");
		sp->item.len = h.n;
		*p = ig_buf_str(&sp->item);
	} else {
		if (sp->pos >= sp->mem.len)
			return 0;
		memcpy(&h, sp->mem.p + sp->pos, sizeof h);
		*p = sp->mem.p + sp->pos + sizeof h;
		sp->pos += sizeof h + h.n + 1;
	}
	*tag = h.tag;
	*n = h.n;
	return 1;
}

void
ig_spool_clear(struct ig_spool *sp)
{
	sp->mem.len = 0;
	sp->count = sp->bytes = sp->pos = 0;
	if (sp->file && (fflush(sp->file) != 0 || fseek(sp->file, 0, SEEK_SET) != 0 ||
	    ftruncate(fileno(sp->file), 0) != 0))
		ig_die(IG_EXIT_SYSTEM, "temporary file: %s", strerror(errno));
}

void
ig_spool_free(struct ig_spool *sp)
{
	ig_buf_free(&sp->mem);
	ig_buf_free(&sp->item);
	if (sp->file)
		fclose(sp->file);
	sp->file = NULL;
}
