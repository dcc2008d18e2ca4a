/* summary.c - a batch's progress in one line (ig-query summary), as the
 * model's summary (db/model/batches.json) spells it, read through the
 * children's foreign-key indexes: its jobs, their images and grids, their
 * tasks' errors and their cost */
#include <string.h>

#include "err.h"
#include "json.h"
#include "record.h"
#include "summary.h"
#include "uuid.h"

struct tally {
	struct ig_store *s;
	MDB_txn *txn;
	const struct ig_summary *sm;
	jv by_status, errors;
	long jobs, images, gridded;
	double cost;
	int grid_on;		/* the image being read has a grid that is on */
	jv reason;		/* the failed job's tasks' last reason */
};

/* a field of a record of collection c, by the model's name for it */
static jv
field_of(const struct tally *t, int c, int f, jv rec)
{
	return ig_get(rec, t->s->m->colls[c].fields[f].name);
}

/* a record's id, by the model's name for it */
static const char *
id_of(const struct tally *t, int c, jv rec)
{
	const struct ig_collection *cc = &t->s->m->colls[c];

	return ig_str(rec, cc->fields[cc->f_id].name);
}

struct visit {
	struct tally *t;
	int (*fn)(struct tally *, jv);
};

static int
visit_one(const MDB_val *val, void *arg)
{
	struct visit *v = arg;
	char err[256];

	if (ig_stored_deleted(val))
		return 0;
	return v->fn(v->t, ig_json_parse(val->mv_data, val->mv_size, err, sizeof err));
}

/* the records of collection c whose field by names id: parsed, the
 * soft-deleted left out, each handed to fn */
static int
each_at(struct tally *t, int c, int by, const char *id, int (*fn)(struct tally *, jv))
{
	struct visit v = { t, fn };

	return ig_record_each_at(t->s, t->txn, &t->s->m->colls[c], by, id, visit_one, &v);
}

static jv
bump(jv counts, const char *key)
{
	jv n = jv_object_get(jv_copy(counts), jv_string(key));
	double v = jv_get_kind(n) == JV_KIND_NUMBER ? jv_number_value(n) : 0;

	jv_free(n);
	return jv_object_set(counts, jv_string(key), jv_number(v + 1));
}

static int
on_grid(struct tally *t, jv grid)
{
	jv on = field_of(t, t->sm->grids, t->sm->grids_flag, grid);

	if (ig_kind(on) != JV_KIND_FALSE)
		t->grid_on = 1;
	ig_jv_free(on);
	jv_free(grid);
	return 0;
}

static int
on_image(struct tally *t, jv image)
{
	const char *id = id_of(t, t->sm->images, image);
	int rc = 0;

	t->images++;
	t->grid_on = 0;
	if (id)
		rc = each_at(t, t->sm->grids, t->sm->grids_by, id, on_grid);
	t->gridded += t->grid_on;
	jv_free(image);
	return rc;
}

static int
on_task(struct tally *t, jv task)
{
	const struct ig_collection *tasks = &t->s->m->colls[t->sm->tasks];
	jv why = field_of(t, tasks->index, tasks->life->reason, task);

	if (ig_kind(why) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(why)) > 0) {
		ig_jv_free(t->reason);
		t->reason = why;
	} else {
		ig_jv_free(why);
	}
	jv_free(task);
	return 0;
}

static int
on_job(struct tally *t, jv job)
{
	const struct ig_collection *jobs = &t->s->m->colls[t->sm->jobs];
	const char *id = id_of(t, jobs->index, job);
	jv status = field_of(t, jobs->index, jobs->life->field, job);
	const char *st = ig_kind(status) == JV_KIND_STRING ? jv_string_value(status) : NULL;
	int rc = 0;

	t->jobs++;
	t->by_status = bump(t->by_status, st ? st : "");
	if (t->sm->cost >= 0) {
		jv cost = field_of(t, jobs->index, t->sm->cost, job);

		if (ig_kind(cost) == JV_KIND_NUMBER)
			t->cost += jv_number_value(cost);
		ig_jv_free(cost);
	}
	if (id)
		rc = each_at(t, t->sm->images, t->sm->images_by, id, on_image);
	if (!rc && id && st && ig_stage_of(jobs, st) == IG_STAGE_FAILED) {
		t->reason = jv_invalid();
		rc = each_at(t, t->sm->tasks, t->sm->tasks_by, id, on_task);
		t->errors = bump(t->errors, ig_valid(t->reason) ? jv_string_value(t->reason) : "");
		ig_jv_free(t->reason);
	}
	ig_jv_free(status);
	jv_free(job);
	return rc;
}

static jv
or_null(jv v)
{
	return ig_valid(v) ? v : jv_null();
}

/* the collection the model gives a summary: or NULL */
static const struct ig_collection *
summarised(const struct ig_model *m)
{
	for (int c = 0; c < m->ncolls; c++)
		if (m->colls[c].summary)
			return &m->colls[c];
	return NULL;
}

int
ig_batch_summary(struct ig_store *s, MDB_txn *txn, const uint8_t batch[16], jv *out)
{
	const struct ig_collection *batches = summarised(s->m), *jobs;
	struct tally t = { .s = s, .txn = txn, .by_status = jv_object(), .errors = jv_object(), .reason = jv_invalid() };
	char id[IG_UUID_TEXT], err[256], by_status[300];
	MDB_val val;
	jv b, sum;
	int rc;

	*out = jv_invalid();
	/* a model with no summary has no batch to tell of */
	if (!batches || (rc = ig_store_get(s, txn, batches->index, batch, &val))) {
		rc = batches ? rc : MDB_NOTFOUND;
		goto done;
	}
	t.sm = batches->summary;
	jobs = &s->m->colls[t.sm->jobs];
	b = ig_json_parse(val.mv_data, val.mv_size, err, sizeof err);
	ig_uuid_format(batch, id);
	if ((rc = each_at(&t, t.sm->jobs, t.sm->jobs_by, id, on_job)) == 0) {
		snprintf(by_status, sizeof by_status, "by_%s", jobs->fields[jobs->life->field].name);
		sum = JV_OBJECT(jv_string("batch"), jv_string(id),
		    jv_string("name"), t.sm->name >= 0 ? or_null(field_of(&t, batches->index, t.sm->name, b)) : jv_null(),
		    jv_string(batches->fields[batches->life->field].name),
		    or_null(field_of(&t, batches->index, batches->life->field, b)),
		    jv_string("jobs"), jv_number((double)t.jobs),
		    jv_string(by_status), jv_copy(t.by_status),
		    jv_string("images"), jv_number((double)t.images),
		    jv_string("gridded"), jv_number((double)t.gridded),
		    jv_string("errors"), jv_copy(t.errors));
		if (t.sm->cost >= 0)
			sum = jv_object_set(sum, jv_string(jobs->fields[t.sm->cost].name), jv_number(t.cost));
		*out = sum;
	}
	jv_free(b);
done:
	jv_free(t.by_status);
	jv_free(t.errors);
	return rc;
}
