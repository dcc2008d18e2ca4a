/* model.h - the data model, read from db/model/ (embedded at build time)
 *
 * Nothing here names a collection or a field: validation, defaults, keys,
 * transitions and derived state all come from the model files.
 */
#ifndef IG_MODEL_H
#define IG_MODEL_H
#include <stddef.h>
#include <string.h>
#include <jv.h>

#include "buf.h"
#include "json.h"

enum ig_type {
	IG_T_STRING, IG_T_INTEGER, IG_T_NUMBER, IG_T_BOOLEAN, IG_T_UUID,
	IG_T_TIMESTAMP, IG_T_OBJECT, IG_T_ARRAY, IG_T_JSON,
};

enum ig_syntax { IG_S_NONE, IG_S_PATH, IG_S_COLOR, IG_S_SHA256, IG_S_XXH128 };

struct ig_field {
	char *name;
	size_t namelen;
	enum ig_type type;
	enum ig_syntax syntax;
	int required, nonempty, not_future, exists, open;
	int absolute;		/* a path made absolute against the working directory */
	long max_length;
	int has_min, has_max;
	double min, max;
	jv enumv;		/* array of allowed values, or invalid */
	jv defval;		/* default value, or invalid */
	int default_from;	/* field whose value is the default, or -1 */
	enum ig_derived_as { IG_AS_SAME, IG_AS_BASENAME, IG_AS_FILE_URI } as;	/* of default_from */
	int ref;		/* collection a uuid refers to, or -1 */
	struct ig_field *items;	/* array element spec */
	struct ig_field *fields;	/* nested object fields */
	int nfields;
	jv edges;		/* {"from": ["to", ...]}, or invalid: any change goes */
	jv stamps;		/* {"state": "timestamp field"}, or invalid */
	char *pg_type;		/* its PostgreSQL column type, where the type's own is not it (sqlschema.c) */
};

#define IG_INDEX_MAX 4
struct ig_index {
	int nfields, fields[IG_INDEX_MAX];
	int unique;
	char *name;		/* "collection:f1,f2" - the store's database name */
};

struct ig_derive_rule {
	int all;		/* 1: every child in states; 0: any child */
	jv states;		/* array of strings */
	jv then;		/* string */
};

/* a field kept in step with the children that refer to this collection */
struct ig_derive {
	int field;		/* field of this collection */
	int child;		/* child collection */
	int child_by;		/* its field referring here */
	int child_field;	/* its field summarised */
	int child_index;	/* its index on (child_by, child_field) */
	struct ig_derive_rule *rules;
	int nrules;
	jv fallback;		/* when no rule holds: the field's default */
	int planned;		/* array field of this collection listing every child, or -1 */
};

/*
 * The stages a record's status goes through, named by the model so that
 * programs print the model's words: ready (waiting), working, succeeded,
 * failed. A collection whose lifecycle has a claim is worked on by one live
 * process at a time (claim.h): claim is the field holding the id the claim
 * is taken on (the record's own id, or its parent's), and a working record
 * that names a holder but whose claim no live process holds is given back
 * to ready, with the why in the reason field. A record set working by hand,
 * with no holder, is nobody's to give back. Nor is one whose holder begins
 * with the lifecycle's remote prefix: a remote batch holds it (ig-gen
 * --batch), which only collecting or cancelling the batch ends.
 */
enum ig_stage { IG_STAGE_READY, IG_STAGE_WORKING, IG_STAGE_SUCCEEDED, IG_STAGE_FAILED, IG_NSTAGES };
struct ig_lifecycle {
	int field;
	const char *names[IG_NSTAGES];
	int claim;		/* field, or -1: not claimed */
	int holder;		/* field naming the claim's holder: only a held record is given back */
	int reason;		/* field, or -1 */
	const char *remote;	/* a holder beginning so is a remote service's batch, not a process: or NULL */
};

/* 1 if holder names a remote batch, not a process */
static inline int
ig_holder_remote(const struct ig_lifecycle *l, const char *holder)
{
	return l->remote && holder && strncmp(holder, l->remote, strlen(l->remote)) == 0;
}

/* What `ig-query summary` tells of a record of this collection (a batch):
 * its jobs (the children that name it), by their lifecycle's status, and
 * their cost; the jobs' images; of those, the gridded (with a grid whose
 * flag is not false); and the failed jobs by their tasks' last reason.
 * Each relation is the child's foreign key to its parent. */
struct ig_summary {
	int name;		/* field printed as the record's name, or -1 */
	int jobs, jobs_by;	/* collection, its field naming the record */
	int cost;		/* the jobs' field summed, or -1 */
	int images, images_by;
	int grids, grids_by, grids_flag;
	int tasks, tasks_by;	/* with a lifecycle that has a reason */
};

struct ig_collection {
	char *name;
	int index;
	/* where base.json's fields are, which soft delete and stamps use */
	int f_id, f_created, f_updated, f_deleted_at, f_is_deleted;
	struct ig_field *fields;	/* base fields first, then the collection's */
	int nfields;
	struct ig_index *indexes;
	int nindexes;
	jv stamps;		/* {"field": {"state": "timestamp field"}} or invalid */
	struct ig_derive *derives;
	int nderives;
	struct ig_lifecycle *life;	/* or NULL */
	struct ig_summary *summary;	/* or NULL */
};

struct ig_model {
	struct ig_collection *colls;
	int ncolls;
	int nindexes;		/* over all collections */
	int *order;		/* ig_model_order's */
};

/* the model compiled into this program; dies on a malformed model */
const struct ig_model *ig_model(void);
/* A copy of its own for a thread: jv reference counts are not atomic, so a
 * jv, the model's included, is only ever touched by one thread. */
struct ig_model *ig_model_new(void);
/* a model from its text (a JSON array of db/model's files): NULL with the
 * reason in err when it is malformed */
struct ig_model *ig_model_parse(const char *text, size_t len, char *err, size_t errlen);
void ig_model_free(struct ig_model *m);
const struct ig_collection *ig_model_find(const struct ig_model *m, const char *name);
int ig_field_find(const struct ig_collection *c, const char *name);
/* a field's default in the model (a new reference), or jv_invalid(): for
 * programs that write records, so that defaults live only in db/model */
jv ig_model_default(const char *collection, const char *field);
/* the model's name for a stage of a collection's lifecycle; dies if it has none */
const char *ig_stage_name(const char *collection, enum ig_stage stage);
/* the stage a status is at, or -1 */
int ig_stage_of(const struct ig_collection *c, const char *status);
/* a field of the model, for its rules; dies if there is none */
const struct ig_field *ig_model_field(const char *collection, const char *field);
/* collections in an order where every collection comes after those it refers to */
void ig_model_order(const struct ig_model *m, int *order);

/* A record as a row: one jv per field of the collection, in model order,
 * jv_invalid() where the field is absent. Lookups by index, not by name. */
jv *ig_row_new(const struct ig_collection *c);
void ig_row_free(const struct ig_collection *c, jv *row);
/* move a line's members into row, skipping "collection"; -1 on an unknown
 * field, with the reason in err */
int ig_row_take(const struct ig_collection *c, jv *row, struct ig_members *m,
    char *err, size_t errlen);
int ig_row_equal(const struct ig_collection *c, const jv *a, const jv *b);

/* Check a row, old being the stored row or NULL. 0 if valid; otherwise the
 * reason is in err. */
int ig_model_check(const struct ig_collection *c, const jv *row, const jv *old,
    int64_t now_us, char *err, size_t errlen);
/* Check the fields obj (borrowed) has, and the defaults derived from them,
 * as a record would be checked, before anything they name exists: for a
 * producer to refuse what ig-record would. Required fields and files that
 * must exist are not checked. 0, or -1 with the reason in err. */
int ig_model_check_some(const struct ig_collection *c, jv obj, char *err, size_t errlen);
/* fill defaults for absent fields (a new record) */
void ig_model_defaults(const struct ig_collection *c, jv *row);
/* a transition of field f from one value to another, allowed by the model? */
int ig_model_transition_ok(const struct ig_collection *c, int f, jv from, jv to);
/* the stamp field for field f entering state, or -1 */
int ig_model_stamp(const struct ig_collection *c, int f, jv state);

/* the record's compact JSON: "collection" first, then fields in model order;
 * returns where the id's value starts, counted from the record's start */
size_t ig_model_write(struct ig_buf *b, const struct ig_collection *c, const jv *row);

#endif
