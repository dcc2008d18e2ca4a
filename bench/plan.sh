#!/bin/sh
# bench/plan.sh [JOBS] - ig-plan expanding one plan into JOBS jobs (default
# 1M: 1000 combinations of two variable lists, count 1000) over the starter
# library, beside the same expansion written as a jq program. No store.
set -eu
jobs=${1:-1000000}
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
count=$((jobs / 1000))
# 1000 combinations: 40 rooms x 25 times of day
rooms=$(seq 40 | sed 's/.*/"room &"/' | paste -sd, -)
times=$(seq 25 | sed 's/.*/"hour &"/' | paste -sd, -)
plan='{"batch":"bench","theme":"fantasy","variation":"grimdark","preset":"battlemap","element":"watchtower","prompt":"{room} at {hour}","vars":{"room":['"$rooms"'],"hour":['"$times"']},"count":'"$count"',"seed":1,"output":"maps/{batch}/{n}.png","type":"map"}'
{ cat "$top/db/library.jsonl"; echo "$plan"; } >"$tmp/in.jsonl"

# the same work in jq: look the names up, compose the prompt, fill the
# variables, number the jobs and print one line per job
cat >"$tmp/expand.jq" <<'JQ'
def fill($v): gsub("\\{(?<k>[a-z_]+)\\}"; $v[.k] // error("unfilled " + .k));
[inputs] as $all
| ($all | map(select(.collection == "themes")) | INDEX(.name)) as $themes
| ($all | map(select(.collection == "theme_variations"))) as $vars
| ($all | map(select(.collection == "style_presets")) | INDEX(.name)) as $presets
| ($all | map(select(.collection == "theme_elements")) | INDEX(.name)) as $elements
| $all[] | select(.batch)
| . as $p
| $themes[$p.theme] as $t
| ($vars[] | select(.theme_id == $t.id and .name == $p.variation)) as $v
| $presets[$p.preset] as $pr
| $elements[$p.element] as $e
| [$p.vars | to_entries[] | [.key, .value[]]] as $axes
| [range(0; $p.vars.room | length) as $i | range(0; $p.vars.hour | length) as $j | [$i, $j]] | to_entries[]
| .key as $c
| ($t.variables + $v.variable_override + {room: $p.vars.room[.value[0]], hour: $p.vars.hour[.value[1]], batch: $p.batch}) as $vv
| ([$p.prompt] + $t.prompts + $v.config_override.prompts + $pr.prompts + $e.prompts | map(fill($vv)) | join(", ")) as $prompt
| range(0; $p.count) as $k
| ($c * $p.count + $k + 1) as $n
| {collection: "generations", batch: $p.batch, prompt: $prompt,
   output_path: ($p.output | gsub("\\{n\\}"; $n | tostring) | fill($vv)),
   status: "queued", params: {model: "gemini-2.5-flash-image", seed: (($p.seed * 1000003 + $n) % 2147483647),
   size: "1024x1024", theme: $p.theme, variation: $p.variation, preset: $p.preset, elements: [$p.element], type: $p.type}}
JQ

# seconds, peak KB and jobs counted, the output streamed into a pipe
measure() {
	n=$(/usr/bin/time -f '%e %M' -o "$tmp/time" "$@" | grep -c '"generations"')
	echo "$(cat "$tmp/time") $n"
}
set -- $(IG_STORE="$tmp/none" measure "$top/bin/ig-plan" "$tmp/in.jsonl")
ig_s=$1 ig_kb=$2 ig_n=$3
echo "ig-plan: $ig_n jobs in $ig_s s = $(awk -v n="$ig_n" -v s="$ig_s" 'BEGIN { printf "%.0f", n / s }') jobs/s, peak $((ig_kb / 1024)) MB (goal: 500000 jobs/s, bounded memory)"
set -- $(measure jq -cn -f "$tmp/expand.jq" "$tmp/in.jsonl")
jq_s=$1 jq_kb=$2 jq_n=$3
echo "jq:      $jq_n jobs in $jq_s s = $(awk -v n="$jq_n" -v s="$jq_s" 'BEGIN { printf "%.0f", n / s }') jobs/s, peak $((jq_kb / 1024)) MB"
echo "ratio: ig-plan is $(awk -v a="$jq_s" -v b="$ig_s" 'BEGIN { printf "%.1f", a / b }')x faster than jq"
