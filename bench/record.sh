#!/bin/sh
# bench/record.sh [N] - ig-record against sqlite3 on N seed-000 metadata records
# (default 1M, about 500 MB of JSON lines), plus ig-query get latency.
# ROUNDS=n runs each n times (default 2) and keeps the best time.
# Run from the top of the tree after make. Figures of the last run: bench/README.md.
set -eu
n=${1:-1000000}
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$top/bench/mkdata.sh" "$n" 1000 >"$tmp/in.jsonl"
echo "input: $n metadata lines after 1000 jobs, $(($(wc -c <"$tmp/in.jsonl") / 1000000)) MB"

. "$top/bench/measure.sh"

# sqlite3: seed 000's schema, the lines loaded as text and split with json_extract
cat >"$tmp/load.sql" <<SQL
PRAGMA journal_mode=WAL;
CREATE TABLE generations (id TEXT PRIMARY KEY, prompt TEXT NOT NULL, placeholder_path TEXT,
  output_path TEXT NOT NULL, status TEXT NOT NULL, params TEXT, batch_id TEXT,
  created_at TEXT NOT NULL, finished_at TEXT);
CREATE TABLE metadata (id TEXT PRIMARY KEY, generation_id TEXT NOT NULL, prompt TEXT NOT NULL,
  model TEXT NOT NULL, seed INTEGER, params TEXT, timestamp TEXT NOT NULL, gemini_response_id TEXT,
  sha256 TEXT, source_placeholder TEXT, FOREIGN KEY (generation_id) REFERENCES generations(id));
CREATE TEMP TABLE raw (line TEXT);
.mode ascii
.separator "\t" "\n"
.import $tmp/in.jsonl raw
BEGIN;
INSERT INTO generations SELECT line->>'id', line->>'prompt', NULL, line->>'output_path', 'queued',
  NULL, NULL, strftime('%Y-%m-%dT%H:%M:%fZ'), NULL FROM raw WHERE line->>'collection' = 'generations';
INSERT INTO metadata SELECT line->>'id', line->>'generation_id', line->>'prompt', line->>'model',
  line->>'seed', line->'params', line->>'timestamp', line->>'gemini_response_id', line->>'sha256',
  line->>'source_placeholder' FROM raw WHERE line->>'collection' = 'metadata';
COMMIT;
SQL
# sqlite3: plain INSERT statements in one transaction (made beforehand, not timed)
{
	sed -n '/^CREATE TABLE/,/;$/p' "$tmp/load.sql"
	echo 'BEGIN;'
	jq -r 'def q: if . == null then "NULL" elif type == "string" then "'"'"'" + gsub("'"'"'"; "'"'"''"'"'") + "'"'"'" elif type == "object" then (tojson | q) else tostring end;
	  if .collection == "generations" then
	    "INSERT INTO generations VALUES (\(.id|q),\(.prompt|q),NULL,\(.output_path|q),'"'"'queued'"'"',NULL,NULL,'"'"'2026-01-01T00:00:00Z'"'"',NULL);"
	  else
	    "INSERT INTO metadata VALUES (\(.id|q),\(.generation_id|q),\(.prompt|q),\(.model|q),\(.seed|q),\(.params|q),\(.timestamp|q),\(.gemini_response_id|q),\(.sha256|q),\(.source_placeholder|q));"
	  end' "$tmp/in.jsonl"
	echo 'COMMIT;'
} >"$tmp/inserts.sql"

# One run of each, fresh databases: bulk, plain or ig; prints seconds, peak KB, rows
run() {
	rm -rf "$tmp/$1.sqlite" "$tmp/$1.sqlite-wal" "$tmp/$1.sqlite-shm" "$tmp/store"
	case $1 in
	bulk)
		set -- $(measure sqlite3 "$tmp/bulk.sqlite" ".read $tmp/load.sql")
		echo "$1 $2 $(sqlite3 "$tmp/bulk.sqlite" 'select count(*) from metadata')" ;;
	plain)
		set -- $(measure sqlite3 "$tmp/plain.sqlite" ".read $tmp/inserts.sql")
		echo "$1 $2 $(sqlite3 "$tmp/plain.sqlite" 'select count(*) from metadata')" ;;
	ig)
		set -- $(measure env IG_STORE="$tmp/store" "$top/bin/ig-record" "$tmp/in.jsonl")
		echo "$1 $2 $(IG_STORE="$tmp/store" "$top/bin/ig-query" list metadata | wc -l)" ;;
	esac
}

# ROUNDS rounds (default 2), each in another order, so that none of the three
# always runs after the others' writeback; the best time of each counts
rounds=${ROUNDS:-2}
order="ig bulk plain"
r=0
: >"$tmp/runs"
while [ $r -lt "$rounds" ]; do
	for what in $order; do
		echo "$what $(run $what)" | tee -a "$tmp/runs" | sed 's/^/run: /'
	done
	set -- $order
	order="$2 $3 $1"
	r=$((r + 1))
done
best() { # what: "seconds peakKB rows" of its best run
	awk -v w="$1" '$1 == w && (b == "" || $2 < b) { b = $2; l = $2 " " $4 } $1 == w && $3 > m { m = $3 }
	    END { split(l, f, " "); print f[1], m, f[2] }' "$tmp/runs"
}
set -- $(best bulk); bulk_s=$1
echo "sqlite3, lines split by json_extract: $1 s, peak $(($2 / 1024)) MB, $3 rows"
set -- $(best plain); plain_s=$1
echo "sqlite3, plain INSERTs in one transaction: $1 s, peak $(($2 / 1024)) MB, $3 rows"
set -- $(best ig); ig_s=$1
echo "ig-record: $1 s, peak $(($2 / 1024)) MB, $3 records"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "ratios: sqlite3 bulk / ig-record = $(ratio "$bulk_s" "$ig_s"), sqlite3 INSERTs / ig-record = $(ratio "$plain_s" "$ig_s") (goal: 1.7 or more, and ig-record under 10 s)"

# a fresh process answering one id, averaged over 1000 runs, beside a fresh
# /bin/true: what starting any process costs on this machine
per_run() { # command...: milliseconds per fresh process over 1000 runs
	start=$(date +%s%N)
	i=0
	while [ $i -lt 1000 ]; do
		"$@" >/dev/null
		i=$((i + 1))
	done
	end=$(date +%s%N)
	awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 1000 / 1e6 }'
}
id=$(sed -n '5000p' "$tmp/in.jsonl" | jq -r .id)
get_ms=$(export IG_STORE="$tmp/store"; per_run "$top/bin/ig-query" get "$id")
true_ms=$(per_run /bin/true)
echo "ig-query get: $get_ms ms per fresh process, /bin/true $true_ms ms (goal: under 2 ms)"
