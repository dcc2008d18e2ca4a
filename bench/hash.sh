#!/bin/sh
# bench/hash.sh - ig-hash (sha256 + xxh128 + image facts, one pass) beside
# sha256sum, openssl dgst -sha256 and xxhsum -H3 over 61 PNGs of 1024 x 1024
# in the page cache; one core, then ig-hash -j 2. Figures: bench/README.md.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${BENCH_DIR:-/tmp/ig-bench-maps}
"$top/bench/maps.sh" "$dir"
set -- "$dir"/map*.png
echo "input: $# PNGs, $(du -cm "$@" | tail -1 | cut -f1) MB"
cat "$@" >/dev/null	# into the page cache

# best of 5 runs, in seconds
best() {
	b=
	for r in 1 2 3 4 5; do
		s=$(date +%s%N)
		"$@" >/dev/null
		t=$(( $(date +%s%N) - s ))
		[ -z "$b" ] || [ $t -lt $b ] && b=$t
	done
	awk -v ns="$b" 'BEGIN { printf "%.3f", ns / 1e9 }'
}
files="$*"
list=$(mktemp)
trap 'rm -f "$list"' EXIT
printf '%s\n' "$@" >"$list"
sha256sum=$(best sha256sum $files)
openssl=$(best openssl dgst -sha256 $files)
xxhsum=$(best xxhsum -q -H3 $files)
ig1=$(best taskset -c 0 "$top/bin/ig-hash" "$list")
ig2=$(best "$top/bin/ig-hash" -j 2 "$list")
peak=$( (/usr/bin/time -f %M "$top/bin/ig-hash" -j 2 "$list" >/dev/null) 2>&1 )
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "sha256sum        $sha256sum s"
echo "openssl -sha256  $openssl s"
echo "xxhsum -H3       $xxhsum s"
echo "ig-hash, 1 core  $ig1 s = $(ratio "$ig1" "$openssl") x openssl (goal <= 1.1), sha256sum / ig-hash = $(ratio "$sha256sum" "$ig1") (goal >= 3.5)"
echo "ig-hash -j 2     $ig2 s = $(ratio "$ig2" "$openssl") x openssl (goal <= 0.6), peak RSS $((peak / 1024)) MB (goal < 16)"
