/* lmdbget - the floor under an index plan: what LMDB alone takes to read
 * the records an index names. The index's entries under one key (a dupsort
 * of ids), each record by mdb_get, written out a line each: what ig-query's
 * plan does, without the model, the predicate or anything else of ig's.
 *
 * usage: lmdbget STORE INDEX COLLECTION KEY
 * KEY is the index key's 32 hex digits (a UUID's bytes). */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
die(const char *what, int rc)
{
	fprintf(stderr, "lmdbget: %s: %s\n", what, mdb_strerror(rc));
	exit(3);
}

int
main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi index, records;
	MDB_cursor *cur;
	MDB_val k, v, rec;
	unsigned char key[16];
	int rc;

	if (argc != 5 || strlen(argv[4]) != 32) {
		fprintf(stderr, "usage: lmdbget STORE INDEX COLLECTION KEY\n");
		return 2;
	}
	for (int i = 0; i < 16; i++)
		if (sscanf(argv[4] + 2 * i, "%2hhx", &key[i]) != 1) {
			fprintf(stderr, "lmdbget: %s: not 32 hex digits\n", argv[4]);
			return 2;
		}
	if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_maxdbs(env, 256)) ||
	    (rc = mdb_env_open(env, argv[1], MDB_RDONLY, 0)))
		die(argv[1], rc);
	if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) || (rc = mdb_dbi_open(txn, argv[2], 0, &index)) ||
	    (rc = mdb_dbi_open(txn, argv[3], 0, &records)) || (rc = mdb_cursor_open(txn, index, &cur)))
		die("open", rc);
	k.mv_size = sizeof key;
	k.mv_data = key;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
		if ((rc = mdb_get(txn, records, &v, &rec)))
			die("get", rc);
		fwrite(rec.mv_data, 1, rec.mv_size, stdout);
		putchar('\n');
	}
	if (rc != MDB_NOTFOUND)
		die("index", rc);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		perror("lmdbget: stdout");
		return 3;
	}
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return 0;
}
