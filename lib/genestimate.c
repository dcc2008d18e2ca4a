/* genestimate.c - ig-gen --estimate: what the jobs would cost, nothing sent
 *
 * Each job that a run would start (ready, or working: perhaps abandoned) is
 * checked as a run checks it (its model's settings, its input images) and
 * priced by db/models.json; no claim is taken, nothing is written. One
 * line of JSON comes out: jobs, what they cost, by model, and how many
 * have no price or were refused.
 */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "err.h"
#include "json.h"

struct estimate {
	struct engine *e;
	long jobs, unpriced, refused;
	double cost;
	jv models;		/* {"model": {"jobs": n, "cost_usd": x}} */
};

static void
estimate_line(void *ctx, const char *name, long lineno, char *line, size_t n)
{
	struct estimate *es = ctx;
	char err[512];
	jv v, entry;
	struct ig_job *j;
	int stage;

	if (!jv_is_valid(v = gen_line_record(es->e, name, lineno, line, n, &stage, &es->refused)))
		return;
	if (stage != IG_STAGE_READY && stage != IG_STAGE_WORKING) {
		jv_free(v);
		return;
	}
	j = ig_job_new(v, name, lineno);
	if (gen_prepare_job(es->e, j, err, sizeof err) != 0) {
		ig_err_at(name, lineno, "job %s: %s", j->id, err);
		es->refused++;
		ig_job_free(j);
		return;
	}
	es->jobs++;
	entry = ig_get(es->models, j->model);
	if (!ig_valid(entry))
		entry = JV_OBJECT(jv_string("jobs"), jv_number(0), jv_string("cost_usd"), jv_number(0));
	entry = jv_object_set(entry, jv_string("jobs"), jv_number(jv_number_value(ig_get(entry, "jobs")) + 1));
	if (j->set.price.per_image < 0) {
		es->unpriced++;
		entry = jv_object_set(entry, jv_string("unpriced"), jv_true());
	} else {
		jv was = ig_get(entry, "cost_usd");

		es->cost += j->set.price.per_image;
		entry = jv_object_set(entry, jv_string("cost_usd"), jv_number(jv_number_value(was) +
		    j->set.price.per_image));
		jv_free(was);
	}
	es->models = jv_object_set(es->models, jv_string(j->model), entry);
	ig_job_free(j);
}

int
gen_estimate(struct engine *e, char **files, int nfiles)
{
	struct estimate es = { .e = e, .models = jv_object() };
	struct ig_buf out = { 0 };
	int bad = ig_lines_each(files, nfiles, estimate_line, &es);
	jv summary = JV_OBJECT(jv_string("jobs"), jv_number(es.jobs), jv_string("cost_usd"), jv_number(es.cost),
	    jv_string("unpriced"), jv_number(es.unpriced), jv_string("refused"), jv_number(es.refused));

	summary = jv_object_set(summary, jv_string("models"), es.models);
	ig_json_put_line(&out, summary);
	ig_buf_free(&out);
	return bad || es.refused ? IG_EXIT_REJECT : IG_EXIT_OK;
}
