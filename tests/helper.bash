# sourced by every test file: the build on PATH, a store of the test's own
bats_require_minimum_version 1.5.0

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	PATH="${IG_BIN:-$BATS_TEST_DIRNAME/../bin}:$PATH"
	export IG_STORE="$BATS_TEST_TMPDIR/store"
	unset IG_MAPSIZE
	cd "$BATS_TEST_TMPDIR" || return 1
}

# fixed ids, so tests can refer to what they stored
BATCH=01900000-0000-7000-8000-00000000000b
GEN=01900000-0000-7000-8000-000000000001
GEN2=01900000-0000-7000-8000-000000000002
IMG=01900000-0000-7000-8000-0000000000a1
THEME=01900000-0000-7000-8000-0000000000c1

batch_line() {
	echo '{"collection":"batches","id":"'"$BATCH"'","name":"b","jobs_json":[{"prompt":"a map","output_path":"maps/1.png"}]}'
}
gen_line() { # id [extra fields]
	echo '{"collection":"generations","id":"'"$1"'","prompt":"a map","output_path":"maps/1.png","batch_id":"'"$BATCH"'"'"${2:+,$2}"'}'
}
meta_line() {
	echo '{"collection":"metadata","generation_id":"'"$GEN"'","prompt":"a map","model":"gemini-2.5-flash-image","timestamp":"2026-01-02T03:04:05Z"'"${1:+,$1}"'}'
}
image_line() { # needs the file map.png
	echo '{"collection":"images","id":"'"$IMG"'","path":"map.png","width":64,"height":32,"size":100,"type":"map"'"${1:+,$1}"'}'
}
theme_line() { # name [id]
	echo '{"collection":"themes",'"${2:+\"id\":\"$2\",}"'"name":"'"$1"'","display_name":"X","config":{},"variables":{},"prompts":["p"],"styles":[]}'
}
# a stored record's field, through jq
field() { # id field
	ig-query get "$1" | jq -r ".$2"
}

# ImageMagick itself, not a stand-in that may come first on PATH
IM=/usr/bin/convert
PNGSUITE="$BATS_TEST_DIRNAME/pngsuite"

# A PostgreSQL 15 of the test's own: initdb into a fresh directory (owned by
# nobody when the suite runs as root: postgres refuses root), listening only
# on a unix socket there; PGHOST, PGUSER, PGDATABASE set; pg_stop stops it.
PGBIN=/usr/lib/postgresql/15/bin
pg_start() {
	PGDIR=$(mktemp -d /tmp/ig-pg.XXXXXX)
	chmod 755 "$PGDIR"
	local as=()
	if [ "$(id -u)" -eq 0 ]; then
		chown nobody "$PGDIR"
		as=(runuser -u nobody --)
	fi
	# from /, which nobody may enter
	(cd / && "${as[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U ig --no-sync >"$PGDIR/initdb.log" 2>&1) ||
		return 1
	(cd / && "${as[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
		-o "-k $PGDIR -c listen_addresses= -c fsync=off" start >/dev/null) || return 1
	export PGHOST=$PGDIR PGUSER=ig PGDATABASE=postgres
}
pg_stop() {
	[ -n "${PGDIR:-}" ] || return 0
	local as=()
	[ "$(id -u)" -ne 0 ] || as=(runuser -u nobody --)
	(cd / && "${as[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1) || true
	rm -rf "$PGDIR"
}

# every database of a store but its own change log (ig/...), as mdb_dump
# prints them: what two stores holding the same records share
dump_records() {
	local db
	mdb_stat -a "$1" | sed -n 's/^Status of //p' | grep -v -e '^ig/' -e '^Main DB$' | sort |
		while read -r db; do mdb_dump -p -s "$db" "$1"; done
}

# the main job's store (every collection it makes) as IG_STORE, and its
# export in export.jsonl
main_store() {
	"$BATS_TEST_DIRNAME/../pipelines/main" work >/dev/null
	export IG_STORE=$PWD/work/store
	ig-query export >export.jsonl
}
