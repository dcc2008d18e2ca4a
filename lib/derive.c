/* derive.c - a parent's derived fields kept in step with its children
 * (db/model "derive": a batch's status over its jobs)
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "record.h"
#include "uuid.h"

static int
same(jv a, jv b)
{
	return jv_equal(jv_copy(a), jv_copy(b));
}

/* counts of a parent's children by state, through the child's (by, field) index */
struct tally {
	jv counts;	/* {"state": n} */
	double total;
};

static int
tally_children(struct ig_store *s, MDB_txn *txn, const struct ig_derive *d,
    const uint8_t pid[16], struct tally *t)
{
	MDB_cursor *cur;
	MDB_val k = { 17, NULL }, v;
	uint8_t prefix[17];
	int rc;

	memcpy(prefix, pid, 16);
	prefix[16] = '\0';
	k.mv_data = prefix;
	t->counts = jv_object();
	t->total = 0;
	if ((rc = mdb_cursor_open(txn, s->indexes[d->child][d->child_index], &cur)))
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP)) {
		size_t n;

		if (k.mv_size < 17 || memcmp(k.mv_data, prefix, 17) != 0)
			break;
		if ((rc = mdb_cursor_count(cur, &n)))
			break;
		t->counts = jv_object_set(t->counts,
		    jv_string_sized((char *)k.mv_data + 17, (int)k.mv_size - 17),
		    jv_number((double)n));
		t->total += (double)n;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* children the parent lists but the store has not heard of yet: they are
 * at the child field's default (a planned job is queued) */
static void
tally_planned(const struct ig_store *s, const struct ig_derive *d, jv planned, struct tally *t)
{
	const struct ig_field *cf = &s->m->colls[d->child].fields[d->child_field];
	double n = ig_kind(planned) == JV_KIND_ARRAY ? jv_array_length(jv_copy(planned)) : 0;

	if (n > t->total && ig_kind(cf->defval) == JV_KIND_STRING) {
		jv had = jv_object_get(jv_copy(t->counts), jv_copy(cf->defval));
		double k = ig_valid(had) ? jv_number_value(had) : 0;

		ig_jv_free(had);
		t->counts = jv_object_set(t->counts, jv_copy(cf->defval), jv_number(k + n - t->total));
		t->total = n;
	}
}

static jv
derive_target(const struct ig_derive *d, struct tally *t)
{
	for (int r = 0; r < d->nrules; r++) {
		const struct ig_derive_rule *rule = &d->rules[r];
		double n = 0;

		jv_array_foreach(rule->states, i, st) {
			jv c = jv_object_get(jv_copy(t->counts), st);

			if (ig_valid(c))
				n += jv_number_value(c);
			ig_jv_free(c);
		}
		if (rule->all ? t->total > 0 && n == t->total : n > 0)
			return jv_copy(rule->then);
	}
	return jv_copy(d->fallback);
}


/* bring a parent's derived field in step with its children, through the
 * model's transitions (one intermediate state where no direct edge exists) */
/* The time a parent entering state is stamped with: the child's own time of
 * that name where it has one (a batch starts when its first job started and
 * ends when its last job finished, not when the store heard of it). */
static struct ig_now
stamp_time(const struct ig_collection *pc, const struct ig_derive *d,
    const struct ig_collection *cc, const jv *child, jv state, const struct ig_now *now)
{
	struct ig_now t = *now;
	int pf = ig_model_stamp(pc, d->field, state), cf;

	if (cc && pf >= 0 && (cf = ig_field_find(cc, pc->fields[pf].name)) >= 0 &&
	    ig_kind(child[cf]) == JV_KIND_STRING && ig_time_parse(jv_string_value(child[cf]), &t.us) == 0)
		ig_time_format(t.us, t.text);
	return t;
}

static int
derive_parent(struct ig_store *s, MDB_txn *txn, int p, const struct ig_derive *d,
    const uint8_t pid[16], const struct ig_collection *cc, const jv *child,
    const struct ig_now *now, char *err, size_t errlen)
{
	const struct ig_collection *pc = &s->m->colls[p];
	struct tally t;
	jv target, cur, planned, steps = jv_array(), *parent;
	char idtext[IG_UUID_TEXT];
	int rc;

	if ((rc = ig_record_load(s, txn, pc, pid, &parent)))
		return rc == MDB_NOTFOUND ? 0 : rc;
	cur = jv_copy(parent[d->field]);
	planned = d->planned >= 0 ? jv_copy(parent[d->planned]) : jv_invalid();
	ig_row_free(pc, parent);
	if ((rc = tally_children(s, txn, d, pid, &t))) {
		ig_jv_free(cur);
		ig_jv_free(planned);
		ig_jv_free(steps);
		return rc;
	}
	tally_planned(s, d, planned, &t);
	ig_jv_free(planned);
	target = derive_target(d, &t);
	ig_jv_free(t.counts);
	if (same(cur, target)) {
		/* nothing to do */
	} else if (ig_model_transition_ok(pc, d->field, cur, target)) {
		steps = jv_array_append(steps, jv_copy(target));
	} else {
		jv via = ig_kind(cur) == JV_KIND_STRING ?
		    ig_get(pc->fields[d->field].edges, jv_string_value(cur)) : jv_invalid();

		if (ig_kind(via) == JV_KIND_ARRAY)
			jv_array_foreach(via, i, mid) {
				if (jv_array_length(jv_copy(steps)) == 0 &&
				    ig_model_transition_ok(pc, d->field, mid, target)) {
					ig_jv_free(steps);
					steps = JV_ARRAY(jv_copy(mid), jv_copy(target));
				}
				ig_jv_free(mid);
			}
		ig_jv_free(via);
	}
	ig_jv_free(cur);
	ig_jv_free(target);
	ig_uuid_format(pid, idtext);
	jv_array_foreach(steps, i, st) {
		struct ig_member mv[2] = {
			{ "id", 2, jv_invalid(), jv_string(idtext) },
			{ pc->fields[d->field].name, strlen(pc->fields[d->field].name), jv_invalid(), st },
		};
		struct ig_members in = { mv, 2, 2 };
		struct ig_buf scratch = { 0 };
		struct ig_now at = stamp_time(pc, d, cc, child, st, now);

		if (!rc) {
			s->deriving++;
			rc = ig_record_put(s, txn, pc, &in, &at, &scratch, err, errlen);
			s->deriving--;
		}
		ig_members_clear(&in);
		ig_buf_free(&scratch);
	}
	ig_jv_free(steps);
	return rc;
}

/* 1 if a new row of c moves a derived field: c has one (a batch), or its
 * row is a child not at the stage its parent's plan counts it at */
int
ig_derives_on(const struct ig_model *m, const struct ig_collection *c, const jv *row)
{
	if (c->nderives)
		return 1;
	for (int p = 0; p < m->ncolls; p++)
		for (int d = 0; d < m->colls[p].nderives; d++) {
			const struct ig_derive *dv = &m->colls[p].derives[d];

			if (dv->child == c->index && ig_kind(row[dv->child_by]) == JV_KIND_STRING &&
			    (dv->planned < 0 || !same(row[dv->child_field], c->fields[dv->child_field].defval)))
				return 1;
		}
	return 0;
}

int
ig_derive_after_put(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c, const uint8_t id[16],
    const jv *old, const jv *row, const struct ig_now *now, char *err, size_t errlen)
{
	int rc = 0;

	/* parents whose derived fields follow this child's changes: a new
	 * child too (a merge brings jobs done), unless it is where the
	 * parent's plan counted it already (a planned job, queued) */
	for (int p = 0; p < s->m->ncolls && !rc; p++) {
		const struct ig_collection *pc = &s->m->colls[p];

		for (int d = 0; d < pc->nderives && !rc; d++) {
			const struct ig_derive *dv = &pc->derives[d];
			const struct ig_field *cf;
			uint8_t pid[16];
			int moved;

			if (dv->child != c->index)
				continue;
			cf = &c->fields[dv->child_field];
			moved = old && !same(old[dv->child_by], row[dv->child_by]);
			if ((old ? moved || !same(old[dv->child_field], row[dv->child_field]) :
			    dv->planned < 0 || !same(row[dv->child_field], cf->defval)) &&
			    ig_kind(row[dv->child_by]) == JV_KIND_STRING &&
			    ig_uuid_parse(jv_string_value(row[dv->child_by]), pid) == 0)
				rc = derive_parent(s, txn, p, dv, pid, c, row, now, err, errlen);
			/* a child that moved leaves its old parent one fewer */
			if (!rc && moved && ig_kind(old[dv->child_by]) == JV_KIND_STRING &&
			    ig_uuid_parse(jv_string_value(old[dv->child_by]), pid) == 0)
				rc = derive_parent(s, txn, p, dv, pid, c, old, now, err, errlen);
		}
	}
	/* and a parent written is what its children say, whatever its line
	 * said: an older copy of a batch merged after its jobs cannot undo them */
	for (int d = 0; !s->deriving && d < c->nderives && !rc; d++)
		rc = derive_parent(s, txn, c->index, &c->derives[d], id, NULL, NULL, now, err, errlen);
	return rc;
}
