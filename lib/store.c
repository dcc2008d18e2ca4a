/* store.c - LMDB environment, databases and map growth */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <unistd.h>

#include "changes.h"
#include "claim.h"
#include "clock.h"
#include "err.h"
#include "find.h"
#include "json.h"
#include "path.h"
#include "store.h"
#include "uuid.h"

/* sparse on 64-bit systems: costs nothing until written */
#define DEFAULT_MAPSIZE ((size_t)1 << 30)
/* what LMDB makes of it for its default 126 readers */
#define LOCK_FILE_SIZE 8192

const char *
ig_store_default(const char *opt)
{
	static char path[4096];
	const char *e;

	if (opt)
		return opt;
	if ((e = getenv("IG_STORE")) && *e)
		return e;
	if ((e = getenv("XDG_DATA_HOME")) && *e)
		snprintf(path, sizeof path, "%s/ig/store", e);
	else
		snprintf(path, sizeof path, "%s/.local/share/ig/store",
		    (e = getenv("HOME")) ? e : ".");
	return path;
}

static size_t
mapsize_setting(void)
{
	const char *e = getenv("IG_MAPSIZE");
	char *end;
	unsigned long long v;

	if (!e || !*e)
		return DEFAULT_MAPSIZE;
	v = strtoull(e, &end, 10);
	return *end || v < 4096 ? DEFAULT_MAPSIZE : (size_t)v;
}

/* LMDB maps its lock file shared and writable: were its pages a hole in
 * a file on a full disk, the first touch would be SIGBUS, not an error.
 * Its blocks are taken first, so that a full disk is ENOSPC here. (The
 * data file is written with pwrite, no WRITEMAP, for the same reason.) */
static int
back_lock_file(const char *dir)
{
	char path[4200];
	struct stat st;
	int fd, rc = 0;

	snprintf(path, sizeof path, "%s/lock.mdb", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0)
		return errno;
	/* every time: a lock file LMDB made itself is a hole */
	if (fstat(fd, &st) != 0)
		rc = errno;
	else
		rc = posix_fallocate(fd, 0, st.st_size > LOCK_FILE_SIZE ? st.st_size : LOCK_FILE_SIZE);
	close(fd);
	return rc;
}

const char *
ig_store_strerror(const struct ig_store *s, int rc)
{
	struct statvfs fs;

	if (rc == EIO && statvfs(s->path, &fs) == 0 && fs.f_bavail == 0)
		return "No space left on device (a short write)";
	return mdb_strerror(rc);
}

/* every record of collection c into its index i */
static int
fill_index(struct ig_store *s, MDB_txn *txn, int c, int i)
{
	const struct ig_collection *col = &s->m->colls[c];
	const struct ig_index *ix = &col->indexes[i];
	struct ig_members m = { 0 };
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, s->colls[c], &cur)))
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char err[256];
		uint8_t key[IG_KEY_MAX];
		size_t len;
		jv *row = ig_row_new(col);
		MDB_val ik, id = k;

		/* a stored value ends in "}", which ends any number: no NUL needed */
		if (ig_json_parse_members(v.mv_data, v.mv_size, &m, err, sizeof err) != 0 ||
		    ig_row_take(col, row, &m, err, sizeof err) != 0) {
			ig_row_free(col, row);
			rc = MDB_CORRUPTED;
			break;
		}
		if (ig_index_key(col, ix, row, key, &len) == 0) {
			ik.mv_size = len;
			ik.mv_data = key;
			rc = mdb_put(txn, s->indexes[c][i], &ik, &id, ix->unique ? 0 : MDB_NODUPDATA);
			if (rc == MDB_KEYEXIST)
				rc = 0;
		}
		ig_row_free(col, row);
		if (rc)
			break;
	}
	ig_members_free(&m);
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
open_dbs(struct ig_store *s, MDB_txn *txn)
{
	unsigned create = s->rdonly ? 0 : MDB_CREATE;
	int rc;

	for (int c = 0; c < s->m->ncolls; c++) {
		const struct ig_collection *col = &s->m->colls[c];

		rc = mdb_dbi_open(txn, col->name, create, &s->colls[c]);
		if (rc == MDB_NOTFOUND && s->rdonly) {
			s->missing = 1;
			return 0;
		}
		if (rc)
			return rc;
		for (int i = 0; i < col->nindexes; i++) {
			unsigned flags = col->indexes[i].unique ? 0 : MDB_DUPSORT | MDB_DUPFIXED;

			rc = mdb_dbi_open(txn, col->indexes[i].name, flags, &s->indexes[c][i]);
			if (rc == MDB_NOTFOUND && s->rdonly) {
				s->indexes[c][i] = IG_DBI_NONE;
				continue;
			}
			if (rc == MDB_NOTFOUND) {
				/* an index the model gained: made, and filled from the records */
				if ((rc = mdb_dbi_open(txn, col->indexes[i].name, flags | MDB_CREATE, &s->indexes[c][i])) ||
				    (rc = fill_index(s, txn, c, i)))
					return rc;
			} else if (rc) {
				return rc;
			}
		}
	}
	s->opened = 1;
	return 0;
}

/* the environment of the store in dir, its stale reader slots cleared: 0,
 * or the error, told in err, and no environment */
static int
env_open(const char *dir, int rdonly, MDB_dbi maxdbs, MDB_env **env, char *err, size_t errlen)
{
	struct stat st;
	int rc, dead;

	*env = NULL;
	if (rdonly && stat(dir, &st) != 0) {
		rc = errno;
		snprintf(err, errlen, "store %s: %s", dir, strerror(rc));
		return rc;
	}
	if ((rc = mdb_env_create(env)) == 0 &&
	    ((rc = mdb_env_set_maxdbs(*env, maxdbs)) || (rc = mdb_env_set_mapsize(*env, mapsize_setting())) ||
	    (rc = mdb_env_open(*env, dir, MDB_NOTLS | (rdonly ? MDB_RDONLY : 0), 0666)) ||
	    /* a filter killed mid-read leaves its reader slot behind */
	    (rc = mdb_reader_check(*env, &dead)))) {
		mdb_env_close(*env);
		*env = NULL;
	}
	if (rc)
		snprintf(err, errlen, "store %s: %s", dir, mdb_strerror(rc));
	return rc;
}

int
ig_store_open(struct ig_store *s, const char *dir, int rdonly, char *err, size_t errlen)
{
	MDB_txn *txn;
	int rc;

	memset(s, 0, sizeof *s);
	s->claims = -1;
	s->m = ig_model();
	s->path = ig_strdup(dir);
	s->rdonly = rdonly;
	s->colls = ig_malloc((size_t)s->m->ncolls * sizeof *s->colls);
	s->indexes = ig_malloc((size_t)s->m->ncolls * sizeof *s->indexes);
	for (int c = 0; c < s->m->ncolls; c++)
		s->indexes[c] = ig_malloc((size_t)(s->m->colls[c].nindexes + 1) * sizeof **s->indexes);
	if (!rdonly && (rc = ig_path_mkdirs(dir))) {
		snprintf(err, errlen, "store %s: %s", dir, strerror(rc));
		ig_store_close(s);
		return rc;
	}
	if (!rdonly && (rc = back_lock_file(dir))) {
		snprintf(err, errlen, "store %s: lock.mdb: %s", dir, strerror(rc));
		ig_store_close(s);
		return rc;
	}
	if ((rc = env_open(dir, rdonly, (MDB_dbi)(s->m->ncolls + s->m->nindexes + 4), &s->env, err, errlen))) {
		ig_store_close(s);
		return rc;
	}
	if ((rc = ig_store_begin(s, rdonly, &txn)))
		goto fail;
	if ((rc = open_dbs(s, txn)) || (rc = ig_changes_open(s, txn))) {
		mdb_txn_abort(txn);
		goto fail;
	}
	/* committing keeps the handles, for readers too */
	if ((rc = mdb_txn_commit(txn)))
		goto fail;
	if (!rdonly && (s->claims = ig_claims_open(dir)) < 0) {
		rc = errno;
		snprintf(err, errlen, "store %s: claims: %s", dir, strerror(rc));
		ig_store_close(s);
		return rc;
	}
	return 0;
fail:
	snprintf(err, errlen, "store %s: %s", dir, mdb_strerror(rc));
	ig_store_close(s);
	return rc;
}

int
ig_store_open_optional(struct ig_store *s, const char *opt)
{
	const char *dir = ig_store_default(opt);
	struct stat st;
	char err[512];
	int rc;

	if (stat(dir, &st) != 0) {
		if (opt || errno != ENOENT)
			ig_die(IG_EXIT_SYSTEM, "store %s: %s", dir, strerror(errno));
		return 0;
	}
	if ((rc = ig_store_open(s, dir, 1, err, sizeof err)) != 0) {
		/* a directory a writer down the pipe is making into a store, by
		 * what the open found, not by what the directory holds by now:
		 * no data.mdb yet (ENOENT), or one still empty, whose header
		 * LMDB could not write through a reader's descriptor (EBADF) */
		if (!opt && (rc == ENOENT || rc == EBADF))
			return 0;
		ig_die(IG_EXIT_SYSTEM, "%s", err);
	}
	return 1;
}

void
ig_store_close(struct ig_store *s)
{
	if (s->env)
		mdb_env_close(s->env);
	if (s->claims >= 0)
		close(s->claims);
	s->claims = -1;
	for (int c = 0; s->indexes && c < s->m->ncolls; c++)
		free(s->indexes[c]);
	free(s->indexes);
	free(s->colls);
	free(s->path);
	s->env = NULL;
	s->indexes = NULL;
	s->colls = NULL;
	s->path = NULL;
}

int
ig_store_begin(struct ig_store *s, int rdonly, MDB_txn **txn)
{
	int rc;

	for (;;) {
		rc = mdb_txn_begin(s->env, NULL, rdonly ? MDB_RDONLY : 0, txn);
		if (rc != MDB_MAP_RESIZED)
			return rc;
		/* another process grew the map: adopt its size */
		if ((rc = mdb_env_set_mapsize(s->env, 0)))
			return rc;
	}
}

int
ig_store_grow(struct ig_store *s)
{
	MDB_envinfo info;
	int rc;

	if ((rc = mdb_env_info(s->env, &info)))
		return rc;
	return mdb_env_set_mapsize(s->env, info.me_mapsize * 2);
}

int
ig_store_get(struct ig_store *s, MDB_txn *txn, int coll, const uint8_t id[16], MDB_val *val)
{
	MDB_val key = { 16, (void *)id };

	if (!s->opened)
		return MDB_NOTFOUND;
	return mdb_get(txn, s->colls[coll], &key, val);
}

/* Where the writer puts is_deleted's value (ig_model_write: the
 * collection, then base.json's fields in order, each of a known length:
 * a UUID's text, two canonical times, deleted_at), if it is there; else
 * NULL, and the callers search. Every record of a scan is asked, and a
 * reader without the model (ig-query get) too, so the layout is checked
 * piece by piece, not assumed: a model that changes base.json changes the
 * layout and these callers only search. */
static const char *
deleted_where_written(const char *p, size_t n)
{
	static const char head[] = "{\"collection\":\"", id[] = "\",\"id\":\"", created[] = "\",\"created_at\":\"",
	    updated[] = "\",\"updated_at\":\"", deleted[] = "\",\"deleted_at\":", key[] = ",\"is_deleted\":";
	const char *end = p + n, *q;

	if (n < sizeof head || memcmp(p, head, sizeof head - 1) != 0 ||
	    !(q = memchr(p + sizeof head - 1, '"', n - (sizeof head - 1))))
		return NULL;
	/* each piece begins at the closing quote of the value before it */
#define PIECE(s, skip) \
	if (end - q < (ptrdiff_t)(sizeof s - 1 + (skip)) || memcmp(q, s, sizeof s - 1) != 0) \
		return NULL; \
	q += sizeof s - 1 + (skip)
	PIECE(id, IG_UUID_TEXT - 1);
	PIECE(created, IG_TIME_TEXT - 1);
	PIECE(updated, IG_TIME_TEXT - 1);
	PIECE(deleted, 0);
#undef PIECE
	if (end - q >= 4 && memcmp(q, "null", 4) == 0)
		q += 4;
	else if (end - q >= IG_TIME_TEXT + 1 && *q == '"' && q[IG_TIME_TEXT] == '"')
		q += IG_TIME_TEXT + 1;
	else
		return NULL;
	if (end - q < (ptrdiff_t)(sizeof key - 1) || memcmp(q, key, sizeof key - 1) != 0)
		return NULL;
	return q + sizeof key - 1;
}

size_t
ig_stored_fields_at(const char *json, size_t n)
{
	const char *v = deleted_where_written(json, n), *end = json + n;

	if (!v)
		return 0;
	if (end - v >= 5 && memcmp(v, "true", 4) == 0 && (v[4] == ',' || v[4] == '}'))
		return (size_t)(v + 4 - json);
	if (end - v >= 6 && memcmp(v, "false", 5) == 0 && (v[5] == ',' || v[5] == '}'))
		return (size_t)(v + 5 - json);
	return 0;
}

int
ig_stored_deleted(const MDB_val *val)
{
	/* base fields come before any nested value, so the first occurrence of
	 * the key is the record's own: see ig_model_write */
	static const char key[] = "\"is_deleted\":";
	const char *v = deleted_where_written(val->mv_data, val->mv_size), *p;

	if (v)
		return (size_t)(v - (char *)val->mv_data) + 4 <= val->mv_size && memcmp(v, "true", 4) == 0;
	p = ig_find(val->mv_data, val->mv_size, key, sizeof key - 1);

	return p && (size_t)(p - (char *)val->mv_data) + sizeof key - 1 + 4 <= val->mv_size &&
	    memcmp(p + sizeof key - 1, "true", 4) == 0;
}

static int
key_add(uint8_t *key, size_t *len, const void *p, size_t n)
{
	if (*len + n > IG_KEY_MAX)
		return -1;
	memcpy(key + *len, p, n);
	*len += n;
	return 0;
}

int
ig_index_key(const struct ig_collection *c, const struct ig_index *ix, const jv *row,
    uint8_t key[IG_KEY_MAX], size_t *len)
{
	*len = 0;
	for (int i = 0; i < ix->nfields; i++) {
		const struct ig_field *f = &c->fields[ix->fields[i]];
		jv v = row[ix->fields[i]];
		jv_kind k = jv_get_kind(v);
		uint8_t u[16];
		int rc;

		if (k == JV_KIND_INVALID || k == JV_KIND_NULL)
			return 1;
		if (i && key_add(key, len, "", 1))
			return -1;
		if (f->type == IG_T_UUID && k == JV_KIND_STRING &&
		    ig_uuid_parse(jv_string_value(v), u) == 0) {
			rc = key_add(key, len, u, 16);
		} else if (k == JV_KIND_STRING) {
			rc = key_add(key, len, jv_string_value(v),
			    (size_t)jv_string_length_bytes(jv_copy(v)));
		} else {
			struct ig_buf b = { 0 };

			ig_json_write(&b, v);
			rc = key_add(key, len, b.p, b.len);
			ig_buf_free(&b);
		}
		if (rc)
			return -1;
	}
	return 0;
}

int
ig_store_get_unique(struct ig_store *s, MDB_txn *txn, const struct ig_collection *c, const char *field,
    jv value, MDB_val *val)
{
	int f = ig_field_find(c, field), rc = MDB_NOTFOUND;
	jv *row;

	if (f < 0 || !s->opened) {
		jv_free(value);
		return MDB_NOTFOUND;
	}
	row = ig_row_new(c);
	row[f] = value;
	for (int i = 0; i < c->nindexes && rc == MDB_NOTFOUND; i++) {
		const struct ig_index *ix = &c->indexes[i];
		uint8_t key[IG_KEY_MAX];
		size_t len;
		MDB_val k, d;

		if (!ix->unique || ix->nfields != 1 || ix->fields[0] != f ||
		    ig_index_key(c, ix, row, key, &len) != 0)
			continue;
		k.mv_size = len;
		k.mv_data = key;
		rc = mdb_get(txn, s->indexes[c->index][i], &k, &d);
		if (rc == 0)
			rc = d.mv_size == 16 ? ig_store_get(s, txn, c->index, d.mv_data, val) : MDB_CORRUPTED;
	}
	ig_row_free(c, row);
	return rc;
}

int
ig_store_ids_open(struct ig_store_ids *s, const char *dir, char *err, size_t errlen)
{
	MDB_dbi main;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, cap = 0;

	memset(s, 0, sizeof *s);
	/* named databases a plenty: the store's own list says how many */
	if ((rc = env_open(dir, 1, 4096, &s->env, err, errlen)))
		return rc;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &s->txn)) ||
	    (rc = mdb_dbi_open(s->txn, NULL, 0, &main)) || (rc = mdb_cursor_open(s->txn, main, &cur)))
		goto fail;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char name[256];

		if (k.mv_size >= sizeof name || memchr(k.mv_data, ':', k.mv_size) ||
		    (k.mv_size >= 3 && memcmp(k.mv_data, "ig/", 3) == 0))
			continue;
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		if (s->ncolls == cap) {
			cap = cap ? cap * 2 : 16;
			s->colls = ig_realloc(s->colls, (size_t)cap * sizeof *s->colls);
		}
		if ((rc = mdb_dbi_open(s->txn, name, 0, &s->colls[s->ncolls])) == 0)
			s->ncolls++;
		else if (rc != MDB_INCOMPATIBLE)
			break;
	}
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
		return 0;
fail:
	snprintf(err, errlen, "store %s: %s", dir, mdb_strerror(rc));
	ig_store_ids_close(s);
	return rc;
}

int
ig_store_ids_get(struct ig_store_ids *s, const uint8_t id[16], void (*fn)(const MDB_val *, void *), void *ctx,
    int *rc)
{
	int found = 0;

	for (int c = 0; c < s->ncolls; c++) {
		MDB_val key = { 16, (void *)id }, val;

		*rc = mdb_get(s->txn, s->colls[c], &key, &val);
		if (*rc == MDB_NOTFOUND)
			continue;
		if (*rc)
			return -1;
		fn(&val, ctx);
		found++;
	}
	*rc = 0;
	return found;
}

void
ig_store_ids_close(struct ig_store_ids *s)
{
	if (s->txn)
		mdb_txn_abort(s->txn);
	if (s->env)
		mdb_env_close(s->env);
	free(s->colls);
	memset(s, 0, sizeof *s);
}

int
ig_index_on(const struct ig_collection *c, int field)
{
	for (int i = 0; i < c->nindexes; i++)
		if (c->indexes[i].nfields == 1 && c->indexes[i].fields[0] == field)
			return i;
	return -1;
}

int
ig_index_key_begins(const MDB_val *k, const void *prefix, size_t plen)
{
	return k->mv_size >= plen && memcmp(k->mv_data, prefix, plen) == 0 &&
	    (k->mv_size == plen || ((const uint8_t *)k->mv_data)[plen] == '\0');
}
