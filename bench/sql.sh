#!/bin/sh
# bench/sql.sh [N] - ig-sql against the hand-written way of loading a store's
# export into SQLite and PostgreSQL, on N seed-000 metadata records (default
# 1M) after 1000 jobs; then an incremental sync of 1000 changed records.
# ONLY=sqlite or ONLY=postgres runs one side. Run from the top of the tree
# after make; PostgreSQL 15 is started here,
# in a temporary directory (as nobody when run as root). Figures of the
# last run: bench/README.md.
set -eu
n=${1:-1000000}
only=${ONLY:-sqlite postgres}
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/ig-bench-sql.XXXXXX)
chmod 755 "$tmp"
pgbin=/usr/lib/postgresql/15/bin
as=
[ "$(id -u)" -ne 0 ] || as="runuser -u nobody --"
stop() {
	[ ! -d "$tmp/pg" ] || (cd / && $as "$pgbin/pg_ctl" -D "$tmp/pg" -m fast stop >/dev/null 2>&1) || true
	rm -rf "$tmp"
}
trap stop EXIT
. "$top/bench/measure.sh"

"$top/bench/mkdata.sh" "$n" 1000 >"$tmp/in.jsonl"
export IG_STORE="$tmp/store"
"$top/bin/ig-record" "$tmp/in.jsonl" >/dev/null
"$top/bin/ig-query" export >"$tmp/export.jsonl"
echo "input: $n metadata records after 1000 jobs, exported: $(($(wc -c <"$tmp/export.jsonl") / 1000000)) MB"

# PostgreSQL, with its defaults (fsync on), on a unix socket
mkdir "$tmp/sock"
[ -z "$as" ] || chown nobody "$tmp" "$tmp/sock"
(cd / && $as "$pgbin/initdb" -D "$tmp/pg" -A trust -U ig >/dev/null)
(cd / && $as "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w -o "-k $tmp/sock -c listen_addresses=" start >/dev/null)
export PGHOST="$tmp/sock" PGUSER=ig PGDATABASE=postgres
for db in hand ig changes; do psql -q -c "create database $db"; done

# By hand, SQLite: jq writes each table's columns as CSV, sqlite3 .import
# loads them into the same tables (ig-sql --schema sqlite, not timed)
"$top/bin/ig-sql" --schema sqlite >"$tmp/schema.sqlite"
sqlite3 "$tmp/hand.db" ".read $tmp/schema.sqlite"
cols() { # table: its columns but ig_nulls, as jq paths
	sqlite3 "$tmp/hand.db" "select name from pragma_table_info('$1') where name != 'ig_nulls'" |
		awk '{ printf "%s(.\"%s\" | if type == \"object\" or type == \"array\" then tojson elif type == \"boolean\" then (if . then 1 else 0 end) else . end)", n++ ? ", " : "", $1 }'
}
cat >"$tmp/hand-sqlite.sh" <<EOF
jq -r 'select(.collection == "generations") | [$(cols generations), null] | @csv' "$tmp/export.jsonl" >"$tmp/g.csv"
jq -r 'select(.collection == "metadata") | [$(cols metadata), null] | @csv' "$tmp/export.jsonl" >"$tmp/m.csv"
sqlite3 "$tmp/hand.db" "PRAGMA journal_mode = WAL" ".import --csv $tmp/g.csv generations" ".import --csv $tmp/m.csv metadata"
EOF

# By hand, PostgreSQL: psql \copy of the lines into a jsonb staging table
# (CSV with quote and delimiter bytes the JSON never holds, since JSON
# escapes break the text format), then INSERT ... SELECT
# jsonb_populate_record ... ON CONFLICT DO UPDATE of every column
"$top/bin/ig-sql" --schema postgres | psql -q -d hand >/dev/null
set_list() { # table
	psql -At -d hand -c "select string_agg(format('%I = excluded.%I', column_name, column_name), ', ')
	    from information_schema.columns where table_name = '$1' and column_name <> 'id'"
}
cat >"$tmp/hand.sql" <<EOF
CREATE TEMP TABLE raw (line jsonb);
\\copy raw from '$tmp/export.jsonl' csv quote e'\\x01' delimiter e'\\x02'
BEGIN;
INSERT INTO generations SELECT r.* FROM raw, jsonb_populate_record(null::generations, line) r
  WHERE line->>'collection' = 'generations' ON CONFLICT (id) DO UPDATE SET $(set_list generations);
INSERT INTO metadata SELECT r.* FROM raw, jsonb_populate_record(null::metadata, line) r
  WHERE line->>'collection' = 'metadata' ON CONFLICT (id) DO UPDATE SET $(set_list metadata);
COMMIT;
EOF

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
rows() { # what a catalogue holds: "generations metadata"
	case $1 in
	sqlite:*) sqlite3 "${1#sqlite:}" "select (select count(*) from generations) || ' ' || (select count(*) from metadata)" ;;
	*) psql -At -d "${1#dbname=}" -c "select (select count(*) from generations) || ' ' || (select count(*) from metadata)" ;;
	esac
}
report() { # label seconds KB catalogue (KB of one process: not of a script's)
	printf '%s: %s s, %s, rows %s\n' "$1" "$2" "$([ "$3" = - ] && echo "peak anon not measured" ||
	    echo "peak anon $(($3 / 1024)) MB")" "$(rows "$4")"
}

hand_lite=0 ig_lite=1 ch_lite=1 hand_pg=0 ig_pg=1 ch_pg=1
case $only in *sqlite*)
	set -- $(measure sh "$tmp/hand-sqlite.sh"); hand_lite=$1
	report "SQLite by hand (jq to CSV, sqlite3 .import)" "$1" - "sqlite:$tmp/hand.db"
	set -- $(measure "$top/bin/ig-sql" "sqlite:$tmp/ig.db" "$tmp/export.jsonl"); ig_lite=$1
	report "SQLite, ig-sql of the export" "$1" "$2" "sqlite:$tmp/ig.db"
	set -- $(measure "$top/bin/ig-sql" --changes "sqlite:$tmp/changes.db"); ch_lite=$1
	report "SQLite, ig-sql --changes from the store" "$1" "$2" "sqlite:$tmp/changes.db"
;;
esac
case $only in *postgres*)
	set -- $(measure psql -q -d hand -f "$tmp/hand.sql"); hand_pg=$1
	report "PostgreSQL by hand (psql \\copy, jsonb_populate_record)" "$1" "$2" "dbname=hand"
	set -- $(measure "$top/bin/ig-sql" "dbname=ig" "$tmp/export.jsonl"); ig_pg=$1
	report "PostgreSQL, ig-sql of the export" "$1" "$2" "dbname=ig"
	set -- $(measure "$top/bin/ig-sql" --changes "dbname=changes"); ch_pg=$1
	report "PostgreSQL, ig-sql --changes from the store" "$1" "$2" "dbname=changes"
;;
esac
echo "ratios, by hand / ig-sql: SQLite $(ratio "$hand_lite" "$ig_lite") (--changes $(ratio "$hand_lite" "$ch_lite")), PostgreSQL $(ratio "$hand_pg" "$ig_pg") (--changes $(ratio "$hand_pg" "$ch_pg")) (goal: 2 or more)"

# 1000 records changed in the store, then synced into the full catalogues
"$top/bin/ig-query" list metadata | awk 'NR % 1000 == 0' | head -1000 |
	jq -c '{collection, id, prompt: (.prompt + ", revised")}' | "$top/bin/ig-record" >/dev/null
for cat in $(case $only in *sqlite*) echo "sqlite:$tmp/changes.db";; esac) \
    $(case $only in *postgres*) echo "dbname=changes";; esac); do
	start=$(date +%s%N)
	out=$("$top/bin/ig-sql" --changes "$cat")
	end=$(date +%s%N)
	echo "incremental, $cat: $out in $(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }') s (goal: under 1 s)"
done
