/* summary.c - a batch's progress in one line (ig-query summary), read
 * through the references' indexes: its jobs, their images and grids, their
 * tasks' errors and their cost */
#include <string.h>

#include "err.h"
#include "json.h"
#include "record.h"
#include "summary.h"
#include "uuid.h"

struct visit {
	struct ig_store *s;
	MDB_txn *txn;
	int (*fn)(struct ig_store *, MDB_txn *, jv, void *);
	void *ctx;
};

static int
visit_one(const MDB_val *val, void *arg)
{
	struct visit *v = arg;
	char err[256];

	if (ig_stored_deleted(val))
		return 0;
	return v->fn(v->s, v->txn, ig_json_parse(val->mv_data, val->mv_size, err, sizeof err), v->ctx);
}

/* the records of collection name whose field is id: parsed, the
 * soft-deleted left out, each handed to fn */
static int
each_at(struct ig_store *s, MDB_txn *txn, const char *name, const char *field, const char *id,
    int (*fn)(struct ig_store *, MDB_txn *, jv, void *), void *ctx)
{
	const struct ig_collection *c = ig_model_find(s->m, name);
	struct visit v = { s, txn, fn, ctx };

	return ig_record_each_at(s, txn, c, ig_field_find(c, field), id, visit_one, &v);
}

struct tally {
	jv by_status, errors;
	long jobs, images, gridded;
	double cost;
	int failed_job;		/* the job being read ended in error */
	jv reason;		/* its tasks' last error */
};

static jv
bump(jv counts, const char *key)
{
	jv n = jv_object_get(jv_copy(counts), jv_string(key));
	double v = jv_get_kind(n) == JV_KIND_NUMBER ? jv_number_value(n) : 0;

	jv_free(n);
	return jv_object_set(counts, jv_string(key), jv_number(v + 1));
}

static int
on_grid(struct ig_store *s, MDB_txn *txn, jv grid, void *ctx)
{
	int *any = ctx;
	jv enabled = ig_get(grid, "enabled");

	(void)s;
	(void)txn;
	if (ig_kind(enabled) != JV_KIND_FALSE)
		*any = 1;
	ig_jv_free(enabled);
	jv_free(grid);
	return 0;
}

static int
on_image(struct ig_store *s, MDB_txn *txn, jv image, void *ctx)
{
	struct tally *t = ctx;
	const char *id = ig_str(image, "id");
	int rc = 0, gridded = 0;

	t->images++;
	if (id)
		rc = each_at(s, txn, "map_grids", "image_id", id, on_grid, &gridded);
	t->gridded += gridded;
	jv_free(image);
	return rc;
}

static int
on_task(struct ig_store *s, MDB_txn *txn, jv task, void *ctx)
{
	struct tally *t = ctx;
	const char *why = ig_str(task, "last_error");

	(void)s;
	(void)txn;
	if (why && *why) {
		jv_free(t->reason);
		t->reason = jv_string(why);
	}
	jv_free(task);
	return 0;
}

static int
on_job(struct ig_store *s, MDB_txn *txn, jv job, void *ctx)
{
	const struct ig_collection *jobs = ig_model_find(s->m, "generations");
	struct tally *t = ctx;
	const char *id = ig_str(job, "id"), *status = ig_str(job, "status");
	jv cost = ig_get(job, "cost_usd");
	int rc = 0;

	t->jobs++;
	t->by_status = bump(t->by_status, status ? status : "");
	if (ig_kind(cost) == JV_KIND_NUMBER)
		t->cost += jv_number_value(cost);
	ig_jv_free(cost);
	if (id)
		rc = each_at(s, txn, "images", "generation_id", id, on_image, t);
	if (!rc && id && status && ig_stage_of(jobs, status) == IG_STAGE_FAILED) {
		t->reason = jv_invalid();
		rc = each_at(s, txn, "generation_tasks", "generation_id", id, on_task, t);
		t->errors = bump(t->errors, ig_valid(t->reason) ? jv_string_value(t->reason) : "");
		jv_free(t->reason);
	}
	jv_free(job);
	return rc;
}

static jv
or_null(jv v)
{
	return ig_valid(v) ? v : jv_null();
}

int
ig_batch_summary(struct ig_store *s, MDB_txn *txn, const uint8_t batch[16], jv *out)
{
	const struct ig_collection *batches = ig_model_find(s->m, "batches");
	struct tally t = { .by_status = jv_object(), .errors = jv_object() };
	char id[IG_UUID_TEXT], err[256];
	MDB_val val;
	jv b;
	int rc;

	*out = jv_invalid();
	if ((rc = ig_store_get(s, txn, batches->index, batch, &val)))
		goto done;
	b = ig_json_parse(val.mv_data, val.mv_size, err, sizeof err);
	ig_uuid_format(batch, id);
	if ((rc = each_at(s, txn, "generations", "batch_id", id, on_job, &t)) == 0)
		*out = JV_OBJECT(jv_string("batch"), jv_string(id),
		    jv_string("name"), or_null(ig_get(b, "name")),
		    jv_string("status"), or_null(ig_get(b, "status")),
		    jv_string("jobs"), jv_number((double)t.jobs),
		    jv_string("by_status"), jv_copy(t.by_status),
		    jv_string("images"), jv_number((double)t.images),
		    jv_string("gridded"), jv_number((double)t.gridded),
		    jv_string("errors"), jv_copy(t.errors),
		    jv_string("cost_usd"), jv_number(t.cost));
	jv_free(b);
done:
	jv_free(t.by_status);
	jv_free(t.errors);
	return rc;
}
