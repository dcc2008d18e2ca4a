#!/bin/sh
# bench/query.sh [N] - ig-query beside sqlite3 on N seed-000 metadata records
# (default 1M) after 1000 jobs and 3 themes, in one run: a full-scan predicate (native,
# and through libjq, and jq over the JSON lines), index plans, a count,
# a change cursor, and `get ID` in a fresh process beside /bin/true.
# sqlite3 holds the same rows in seed 000's schema (ig-sql --schema), with
# the index on generation_id seed 000 has. Figures: bench/README.md.
set -eu
n=${1:-1000000}
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$top/bench/measure.sh"
export IG_STORE="$tmp/store"
"$top/bench/mkdata.sh" "$n" 1000 >"$tmp/in.jsonl"
for t in fantasy scifi gothic; do
	echo '{"collection":"themes","name":"'$t'","display_name":"X","config":{},"variables":{},"prompts":["p"],"styles":[]}'
done >>"$tmp/in.jsonl"
"$top/bin/ig-record" "$tmp/in.jsonl" >/dev/null
"$top/bin/ig-query" export | "$top/bin/ig-sql" "sqlite:$tmp/db.sqlite" >/dev/null
cat "$IG_STORE"/data.mdb "$tmp/db.sqlite" >/dev/null
echo "input: $n metadata records after 1000 jobs, in the store and in SQLite"

# in_turn CMD...: each command's mean ms over 30 runs, taken in turns of
# ten so that what else the machine does is shared out; in order
in_turn() {
	for c in "$@"; do echo 0; done >"$tmp/turns"
	for _ in 1 2 3; do
		i=0
		for c in "$@"; do
			i=$((i + 1))
			s=$(date +%s%N)
			for _ in 1 2 3 4 5 6 7 8 9 10; do eval "$c" >/dev/null; done
			awk -v i=$i -v d=$(($(date +%s%N) - s)) 'NR == i { $0 += d } { print }' "$tmp/turns" >"$tmp/turns.new"
			mv "$tmp/turns.new" "$tmp/turns"
		done
	done
	awk '{ printf "%.1f ", $1 / 30 / 1e6 }' "$tmp/turns"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
best() { # the best of three runs' seconds, then the last run's peak KB
	b= kb=
	for _ in 1 2 3; do
		r=$(measure "$@")
		if [ -z "$b" ] || awk -v x="${r% *}" -v y="$b" 'BEGIN { exit !(x < y) }'; then b=${r% *}; fi
		kb=${r#* }
	done
	echo "$b $kb"
}

# a full scan with a predicate of arithmetic on a field
sq=$(sqlite3 "$tmp/db.sqlite" 'SELECT count(*) FROM metadata WHERE seed % 1000 = 7')
ig=$("$top/bin/ig-query" list --count --where '.seed % 1000 == 7' metadata)
[ "$sq" = "$ig" ] || { echo "counts differ: sqlite3 $sq, ig-query $ig" >&2; exit 1; }
set -- $(best sqlite3 "$tmp/db.sqlite" 'SELECT * FROM metadata WHERE seed % 1000 = 7')
sq_s=$1
set -- $(best "$top/bin/ig-query" list --where '.seed % 1000 == 7' metadata)
nat_s=$1 nat_kb=$2
set -- $(measure "$top/bin/ig-query" list --jq --where '.seed % 1000 == 7' metadata)
jq_s=$1
set -- $(measure jq -c 'select(.collection == "metadata" and .seed % 1000 == 7)' "$tmp/in.jsonl")
jql_s=$1
echo "--where '.seed % 1000 == 7' ($ig rows, full scan): sqlite3 $sq_s s; ig-query native $nat_s s" \
	"(peak anon $((nat_kb / 1024)) MB), through libjq $jq_s s; jq over the lines $jql_s s;" \
	"ig-query / sqlite3 $(ratio "$nat_s" "$sq_s") (goal: 2 or less)"

# an index plan: one generation's metadata, by the predicate, beside
# sqlite3 and beside LMDB alone (bench/lmdbget.c: the index's ids, each
# record by mdb_get, written out), 30 runs each, in turns
gen=01900000-0000-7000-8000-000000000007
cc -O2 -o "$tmp/lmdbget" "$top/bench/lmdbget.c" -llmdb
"$tmp/lmdbget" "$IG_STORE" metadata:generation_id metadata "$(echo "$gen" | tr -d -)" >"$tmp/floor.out"
"$top/bin/ig-query" list --where ".generation_id == \"$gen\"" metadata >"$tmp/plan.out"
cmp -s "$tmp/floor.out" "$tmp/plan.out" || { echo "lmdbget and ig-query read different records" >&2; exit 1; }
set -- $(in_turn \
	"sqlite3 $tmp/db.sqlite \"SELECT * FROM metadata WHERE generation_id = '$gen'\"" \
	"$top/bin/ig-query list --where '.generation_id == \"$gen\"' metadata" \
	"$tmp/lmdbget $IG_STORE metadata:generation_id metadata $(echo "$gen" | tr -d -)")
echo "--where '.generation_id == \"…\"' ($(wc -l <"$tmp/plan.out") rows," \
	"$("$top/bin/ig-query" list --explain --count --where ".generation_id == \"$gen\"" metadata 2>&1 >/dev/null | sed 's/^ig-query: plan: //; s/;.*//')):" \
	"sqlite3 $1 ms, ig-query $2 ms, LMDB alone $3 ms; ig-query / LMDB alone $(ratio "$2" "$3") (goal: under 10 ms)"
id=$("$top/bin/ig-query" list --limit 1 --reverse metadata | jq -r .id)
set -- $(in_turn "sqlite3 $tmp/db.sqlite \"SELECT * FROM metadata WHERE id = '$id'\"" \
	"$top/bin/ig-query list --where '.id == \"$id\"' metadata")
echo "--where '.id == \"…\"' (the key): sqlite3 $1 ms, ig-query $2 ms"
# the index plans the issue names, on collections of 3 and 1000 records in
# the same 1M store
set -- $(in_turn "$top/bin/ig-query list --where '.name == \"fantasy\"' themes" \
	"$top/bin/ig-query list --where '.status == \"queued\"' generations")
echo "--where '.name == \"fantasy\"' on themes (unique, 1 row): ig-query $1 ms;" \
	"--where '.status == \"queued\"' on generations ($("$top/bin/ig-query" list --count --where '.status == "queued"' generations) rows): ig-query $2 ms"

# a count, and the change cursor on the last records written
[ "$(sqlite3 "$tmp/db.sqlite" 'SELECT count(*) FROM metadata')" = "$("$top/bin/ig-query" list --count metadata)" ] ||
	{ echo "the counts differ" >&2; exit 1; }
set -- $(in_turn "sqlite3 $tmp/db.sqlite 'SELECT count(*) FROM metadata'" "$top/bin/ig-query list --count metadata")
sqc=$1 igc=$2
since=$("$top/bin/ig-query" list --reverse --limit 100 --changed-since 1970-01-01T00:00:00Z metadata | tail -1 | jq -r .updated_at)
cs=$(in_turn "$top/bin/ig-query list --changed-since $since metadata")
echo "count of every record: sqlite3 $sqc ms, ig-query --count $igc ms;" \
	"--changed-since the 100th newest change: ${cs% } ms ($("$top/bin/ig-query" list --count --changed-since "$since" metadata) records)"

# get ID in a fresh process, beside /bin/true, 300 of each in turn
id=$("$top/bin/ig-query" list --limit 1 metadata | jq -r .id)
loop() { # command...: mean ms a run over 300
	s=$(date +%s%N)
	i=0
	while [ $i -lt 300 ]; do "$@" >/dev/null; i=$((i + 1)); done
	echo $(( ($(date +%s%N) - s) / 300000 ))
}
t1=$(loop /bin/true) g1=$(loop "$top/bin/ig-query" get "$id") t2=$(loop /bin/true) g2=$(loop "$top/bin/ig-query" get "$id")
echo "get ID, fresh process: ig-query $g1 and $g2 us a run, /bin/true $t1 and $t2 us (goal: under 2000 us)"
