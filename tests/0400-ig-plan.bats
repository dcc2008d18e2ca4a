#!/usr/bin/env bats
# ig-plan: plans over a theme library expand into a batch and its jobs

load helper

LIB="$BATS_TEST_DIRNAME/../db/library.jsonl"

# a theme library small enough to read in a test
mini_library() {
	cat <<'JSONL'
{"collection":"themes","id":"01950000-0000-7000-8000-000000000001","name":"fantasy","display_name":"F","config":{"aspect_ratio":"1:1","depth":"theme"},"variables":{"light":"torchlight","mood":"calm"},"prompts":["fantasy, {light}","{mood} mood"],"styles":[]}
{"collection":"themes","id":"01950000-0000-7000-8000-000000000002","name":"scifi","display_name":"S","config":{},"variables":{"light":"neon"},"prompts":"scifi, {light}","styles":[]}
{"collection":"theme_variations","id":"01950000-0000-7000-8000-000000000011","theme_id":"01950000-0000-7000-8000-000000000001","name":"grim","display_name":"G","config_override":{"prompts":["grim variation"],"depth":"variation"},"variable_override":{"light":"moonlight"}}
{"collection":"style_presets","id":"01950000-0000-7000-8000-000000000021","name":"map","display_name":"M","category":"map","config":{"view":"top-down"},"prompts":["top-down map"],"compatibility":[]}
{"collection":"style_presets","id":"01950000-0000-7000-8000-000000000022","name":"ink","display_name":"I","category":"style","config":{},"prompts":["ink"],"compatibility":["fantasy"]}
{"collection":"theme_elements","id":"01950000-0000-7000-8000-000000000031","category":"architecture","name":"tower","display_name":"T","config":{},"prompts":["a tower in {light}"],"compatibility":[]}
{"collection":"theme_elements","id":"01950000-0000-7000-8000-000000000032","category":"nature","name":"oak","display_name":"O","config":{},"prompts":["an oak"],"compatibility":["fantasy"]}
{"collection":"theme_elements","id":"01950000-0000-7000-8000-000000000033","category":"clothing","name":"tower","display_name":"T2","config":{},"prompts":["a tower-shaped hat"],"compatibility":[]}
JSONL
}

# plan JSON with the fields given over a default
plan() {
	jq -cn --argjson over "${1:-{\}}" '{"batch":"b","theme":"fantasy","prompt":"a keep","output":"out/{n}.png"} + $over'
}

jobs() { # plan-overrides: the generations lines
	{ mini_library; plan "$1"; } | ig-plan | jq -c 'select(.collection == "generations")'
}

# Composition

@test "ig-plan: the prompt is subject, theme, variation, preset, then elements, in that order" {
	run -0 jobs '{"variation":"grim","preset":"map","element":"architecture/tower"}'
	assert_equal "$(jq -r .prompt <<<"$output")" \
		"a keep, fantasy, moonlight, calm mood, grim variation, top-down map, a tower in moonlight"
}

@test "ig-plan: the theme's variables fill the prompts" {
	assert_equal "$(jobs '{}' | jq -r .prompt)" "a keep, fantasy, torchlight, calm mood"
}

@test "ig-plan: the variation's variables override the theme's" {
	assert_equal "$(jobs '{"variation":"grim"}' | jq -r .prompt)" "a keep, fantasy, moonlight, calm mood, grim variation"
}

@test "ig-plan: the plan's variables override the variation's" {
	assert_equal "$(jobs '{"variation":"grim","vars":{"light":"sunrise","mood":"odd"}}' | jq -r .prompt)" \
		"a keep, fantasy, sunrise, odd mood, grim variation"
}

@test "ig-plan: the subject takes variables too, and {{ }} are braces" {
	assert_equal "$(jobs '{"prompt":"a {{keep}} at {light}"}' | jq -r .prompt)" "a {keep} at torchlight, fantasy, torchlight, calm mood"
}

@test "ig-plan: config is the theme's, the variation's override, then the preset's" {
	assert_equal "$(jobs '{"variation":"grim","preset":"map"}' | jq -c .params.config)" '{"aspect_ratio":"1:1","depth":"variation","view":"top-down"}'
}

@test "ig-plan: a job's params carry model, seed, its number, batch, size, theme, variation, preset, elements, type and subtype" {
	run -0 jobs '{"variation":"grim","preset":"map","element":"oak","model":"m1","size":"512x256","type":"map","subtype":"cave"}'
	assert_equal "$(jq -c '.params | del(.seed, .config)' <<<"$output")" \
		'{"model":"m1","n":1,"batch":"b","size":"512x256","theme":"fantasy","variation":"grim","preset":"map","elements":["oak"],"type":"map","subtype":"cave"}'
	assert_equal "$(jq -c '[.status, .output_path]' <<<"$output")" '["queued","out/1.png"]'
}

@test "ig-plan: a list of elements inside the element list goes into one job" {
	run -0 jobs '{"element":[["oak","architecture/tower"],"oak"]}'
	assert_equal "$(jq -c .params.elements <<<"$output" | tr '\n' ' ')" '["oak","tower"] ["oak"] '
}

# Expansion

@test "ig-plan: one job per combination of the lists, times count" {
	run -0 jobs '{"theme":["fantasy","scifi"],"preset":["map"],"vars":{"a":[1,2,3],"b":"x"},"count":4}'
	assert_equal "${#lines[@]}" 24
	assert_equal "$(jq -r .output_path <<<"$output" | sort -u | wc -l)" 24
}

@test "ig-plan: the batch comes first, pending, with one spec per combination" {
	{ mini_library; plan '{"vars":{"a":[1,2]},"count":3}'; } | ig-plan | jq -c 'select(.collection == "batches")' >batch
	assert_equal "$(jq -c '[.name, .status, (.jobs_json | length), .jobs_json[0].count]' batch)" '["b","pending",2,3]'
	assert_equal "$({ mini_library; plan; } | ig-plan | grep -v '"collection":"themes\|theme_\|style_' | head -1 | jq -r .collection)" batches
}

@test "ig-plan: jobs refer to their batch, and {n} numbers them within it" {
	{ mini_library; plan '{"count":3,"output":"m/{batch}-{theme}-{n}-{seed}.png","seed":[10]}'; } | ig-plan >out
	bid=$(jq -r 'select(.collection == "batches") | .id' out)
	assert_equal "$(jq -r 'select(.collection == "generations") | "\(.batch_id == "'"$bid"'") \(.output_path)"' out | tr '\n' ' ')" \
		"true m/b-fantasy-1-10.png true m/b-fantasy-2-11.png true m/b-fantasy-3-12.png "
}

@test "ig-plan: seeds not given are derived from the plan's seed, and differ per job" {
	a=$(jobs '{"count":5,"seed":7}' | jq -r .params.seed | tr '\n' ' ')
	b=$(jobs '{"count":5,"seed":8}' | jq -r .params.seed | tr '\n' ' ')
	[ "$a" != "$b" ]
	assert_equal "$(tr ' ' '\n' <<<"$a" | sort -u | grep -c .)" 5
}

@test "ig-plan: the same plan yields the same output but for the time it was planned" {
	{ mini_library; plan '{"vars":{"a":[1,2]},"count":3,"seed":5}'; } >in
	ig-plan in | jq -c 'del(.created_at, .updated_at)' >one
	ig-plan in | jq -c 'del(.created_at, .updated_at)' >two
	cmp one two
}

@test "ig-plan: a job is created when it is planned" {
	{ mini_library; plan '{"count":2}'; } >in
	before=$(date -u +%Y-%m-%dT%H:%M:%S)
	ig-plan in >out
	assert_equal "$(jq -r 'select(.collection == "generations") | .created_at == .updated_at' out | sort -u)" true
	assert_equal "$(jq -r --arg b "$before" 'select(.collection == "generations") | .created_at >= $b' out | sort -u)" true
}

@test "ig-plan: a plan run twice updates the same records instead of adding" {
	{ mini_library; plan '{"count":3}'; } >in
	ig-plan in | ig-record >/dev/null
	ig-plan in | ig-record >/dev/null
	assert_equal "$(ig-query list generations | wc -l)" 3
	assert_equal "$(ig-query list batches | wc -l)" 1
}

@test "ig-plan: a re-run keeps the status a job reached" {
	{ mini_library; plan '{"count":2}'; } >in
	ig-plan in | ig-record >/dev/null
	id=$(ig-query list generations | head -1 | jq -r .id)
	ig-record <<<'{"collection":"generations","id":"'"$id"'","status":"running"}' >/dev/null
	run -0 ig-plan in
	assert_equal "$(jq -r 'select(.id == "'"$id"'") | .status' <<<"$output")" running
	ig-plan in | ig-record >/dev/null
}

@test "ig-plan: names are looked up in the store when the stream has no library" {
	mini_library | ig-record >/dev/null
	run -0 ig-plan <<<"$(plan '{"variation":"grim","element":"oak"}')"
	assert_equal "$(jq -r 'select(.collection == "generations") | .prompt' <<<"$output")" \
		"a keep, fantasy, moonlight, calm mood, grim variation, an oak"
}

@test "ig-plan: library lines pass through, so ig-record stores them too" {
	{ mini_library; plan; } | ig-plan | ig-record >/dev/null
	assert_equal "$(ig-query list themes | wc -l)" 2
}

# Compatibility

@test "ig-plan: a preset whose compatibility excludes the theme is an error" {
	{ mini_library; plan '{"theme":"scifi","preset":"ink"}'; } >in
	run -1 --separate-stderr ig-plan in
	assert_equal "$stderr" "ig-plan: in:9: style preset 'ink' is not compatible with theme 'scifi'"
	refute_output --partial '"generations"'
}

@test "ig-plan: an element whose compatibility excludes the theme is an error" {
	{ mini_library; plan '{"theme":"scifi","element":"oak"}'; } >in
	run -1 --separate-stderr ig-plan in
	assert_equal "$stderr" "ig-plan: in:9: element 'oak' is not compatible with theme 'scifi'"
}

@test "ig-plan: --skip-incompatible skips those combinations and says how many" {
	{ mini_library; plan '{"theme":["fantasy","scifi"],"preset":"ink"}'; } >in
	run -0 --separate-stderr ig-plan --skip-incompatible in
	assert_equal "$stderr" "ig-plan: in:9: batch 'b': 1 incompatible combination skipped"
	assert_equal "$(jq -r 'select(.collection == "generations") | .params.theme' <<<"$output")" fantasy
}

# Bad input: the reason, nothing emitted for the line, exit 1

bad() { # plan-overrides expected-reason
	{ mini_library; plan "$1"; echo '{"plan":"not","but":"json"}'; } >in
	run -1 --separate-stderr ig-plan in
	assert_equal "$(head -1 <<<"$stderr")" "ig-plan: in:9: $2"
	refute_output --partial '"collection":"generations"'
	refute_output --partial '"collection":"batches"'
}

@test "ig-plan: an unknown theme names the themes there are" {
	bad '{"theme":"steampunk"}' "unknown theme 'steampunk' (themes: fantasy, scifi)"
}

@test "ig-plan: an unknown variation names the theme's variations" {
	bad '{"variation":"cheerful"}' "unknown variation 'cheerful' of theme 'fantasy' (its variations: grim)"
}

@test "ig-plan: an unknown preset names the presets there are" {
	bad '{"preset":"oil"}' "unknown style preset 'oil' (presets: ink, map)"
}

@test "ig-plan: an unknown element names the elements there are" {
	bad '{"element":"gate"}' "unknown element 'gate' (elements: architecture/tower, clothing/tower, nature/oak)"
}

@test "ig-plan: an element name in two categories must say which" {
	bad '{"element":"tower"}' "element 'tower' is in more than one category: say category/name (elements: architecture/tower, clothing/tower, nature/oak)"
}

@test "ig-plan: an unfilled variable is named" {
	bad '{"prompt":"a {castle}"}' "prompt: variable {castle} is not filled"
}

@test "ig-plan: an unfilled variable in the output template is named" {
	bad '{"output":"out/{zone}/{n}.png"}' "output: variable {zone} is not filled"
}

@test "ig-plan: an empty prompt after composition" {
	{ echo '{"collection":"themes","id":"01950000-0000-7000-8000-000000000009","name":"bare","display_name":"B","config":{},"variables":{"x":" "},"prompts":[],"styles":[]}'; plan '{"theme":"bare","prompt":"{x}"}'; } >in
	run -1 --separate-stderr ig-plan in
	assert_equal "$stderr" "ig-plan: in:2: the composed prompt is empty"
}

@test "ig-plan: a bad size" {
	bad '{"size":"1024"}' "'size' must be WIDTHxHEIGHT, each 1 to 16384, like 1024x1024"
}

@test "ig-plan: count 0" {
	bad '{"count":0}' "'count' must be a whole number of 1 or more"
}

@test "ig-plan: a negative count" {
	bad '{"count":-3}' "'count' must be a whole number of 1 or more"
}

@test "ig-plan: an absolute output path" {
	bad '{"output":"/etc/{n}.png"}' "output '/etc/{n}.png' leaves the output root (absolute, or ..)"
}

@test "ig-plan: an output path that escapes with .." {
	bad '{"output":"maps/../../{n}.png"}' "output 'maps/../../{n}.png' leaves the output root (absolute, or ..)"
}

@test "ig-plan: a variable cannot smuggle .. into the path" {
	bad '{"output":"maps/{d}/{n}.png","vars":{"d":".."}}' "output 'maps/../{n}.png' leaves the output root (absolute, or ..)"
}

@test "ig-plan: an output template without {n} for many jobs" {
	bad '{"count":2,"output":"out/x.png"}' "output 'out/x.png' needs {n}, the job's number, so that no two jobs share a path"
}

@test "ig-plan: two plans with the same batch name but different content" {
	{ mini_library; plan; plan '{"prompt":"another keep"}'; } >in
	run -1 --separate-stderr ig-plan in
	assert_equal "$stderr" "ig-plan: in:10: batch 'b' is planned twice with different content"
	assert_equal "$(jq -r 'select(.collection == "generations") | .prompt' <<<"$output" | wc -l)" 1
}

@test "ig-plan: a changed plan under a stored batch name" {
	{ mini_library; plan; } | ig-plan | ig-record >/dev/null
	run -1 --separate-stderr ig-plan <<<"$(plan '{"count":2}')"
	assert_regex "$stderr" "^ig-plan: stdin:1: batch 'b' is stored with other content \(id [0-9a-f-]{36}\): give a changed plan a new batch name$"
}

@test "ig-plan: a line that is not a plan" {
	printf '%s\n' '[1]' 'nope' '{"batch":"b"}' '{"batch":"b","theme":"fantasy","prompt":"p","output":"o/{n}","colour":1}' >in
	run -1 --separate-stderr ig-plan in
	assert_equal "$stderr" "ig-plan: in:1: not a JSON object
ig-plan: in:2: invalid JSON at byte 1: unexpected character
ig-plan: in:3: 'prompt' must be a string (the subject)
ig-plan: in:4: unknown plan field 'colour'"
	assert_output ""
}

@test "ig-plan: good plans around a bad one still expand" {
	{ mini_library; plan '{"batch":"one"}'; plan '{"batch":"two","theme":"nope"}'; plan '{"batch":"three"}'; } >in
	run -1 --separate-stderr ig-plan in
	assert_equal "$(jq -r 'select(.collection == "batches") | .name' <<<"$output" | tr '\n' ' ')" "one three "
	assert_equal "$stderr" "ig-plan: in:10: unknown theme 'nope' (themes: fantasy, scifi)"
}

# The starter library

@test "ig-plan: the starter library passes ig-record's validation" {
	run -0 ig-record --strict "$LIB"
	assert_equal "$(jq -r .collection <<<"$output" | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" \
		"style_presets=5 theme_elements=15 theme_variations=6 themes=3 "
}

@test "ig-plan: the starter library has 3 themes of 2 variations or more, and elements in architecture, clothing and technology" {
	for t in fantasy sci-fi post-apocalyptic; do
		id=$(jq -r 'select(.collection == "themes" and .name == "'"$t"'") | .id' "$LIB")
		[ "$(jq -r 'select(.collection == "theme_variations" and .theme_id == "'"$id"'") | .name' "$LIB" | wc -l)" -ge 2 ]
	done
	for c in architecture clothing technology; do
		jq -e -s 'map(select(.collection == "theme_elements" and .category == "'"$c"'")) | length >= 3' "$LIB"
	done
}

@test "ig-plan: every theme, variation, preset and compatible element of the starter library composes" {
	jq -cr 'select(.collection == "themes") | .name' "$LIB" | while read -r t; do
		echo '{"batch":"all-'"$t"'","theme":"'"$t"'","preset":["battlemap","character-portrait","item-icon","scenery-vista"],"prompt":"test","output":"all/{n}.png"}'
	done >plans
	run -0 ig-plan "$LIB" plans
	assert_equal "$(jq -r 'select(.collection == "generations") | .id' <<<"$output" | wc -l)" 12
}

@test "ig-plan: a store that cannot be read stops the run (exit 3), it does not plan as if empty" {
	{ mini_library; plan '{}'; } >in
	mkdir -p "$IG_STORE"
	echo 'not an LMDB file' >"$IG_STORE/data.mdb"
	run -3 --separate-stderr ig-plan in
	assert_regex "$stderr" "^ig-plan: store $IG_STORE"
	assert_output ""
}

@test "ig-plan: a store a writer down the pipe is still making (its data.mdb not yet written) is read as none yet" {
	{ mini_library; plan '{}'; } >in
	mkdir -p "$IG_STORE"
	: >"$IG_STORE/data.mdb"
	run -0 --separate-stderr ig-plan in
	[ -z "$stderr" ]
	assert_equal "$(jq -r 'select(.collection == "generations") | .collection' <<<"$output" | wc -l)" 1
	rm "$IG_STORE/data.mdb"
	run -0 --separate-stderr ig-plan in
	[ -z "$stderr" ]
}

# Limits (issue 12.10)

vars_plan() { # variables values-each
	jq -cn --argjson n "$1" --argjson k "$2" \
		'{"batch":"big","theme":"fantasy","prompt":"a keep","output":"out/{n}.png",
		  "vars":([range($n)] | map({key: "v\(.)", value: [range($k)]}) | from_entries)}'
}

@test "ig-plan: a plan of a billion combinations is refused at once, naming the limit, and the next plan expands" {
	{ mini_library; vars_plan 9 10; plan; } >in
	run -1 --separate-stderr ig-plan in
	assert_equal "$stderr" "ig-plan: in:9: the plan has 1000000000 combinations, more than --max-combinations 100000"
	assert_equal "$(jq -r 'select(.collection == "generations") | .batch_id' <<<"$output" | sort -u | wc -l)" 1
}

@test "ig-plan: --max-combinations sets the limit" {
	{ mini_library; vars_plan 2 10; } >in
	run -1 --separate-stderr ig-plan --max-combinations 99 in
	assert_equal "$stderr" "ig-plan: in:9: the plan has 100 combinations, more than --max-combinations 99"
	run -0 ig-plan --max-combinations 100 in
	assert_equal "$(jq -r 'select(.collection == "generations") | .id' <<<"$output" | wc -l)" 100
}

@test "ig-plan: --max-combinations takes only a whole number of 1 or more" {
	run -2 --separate-stderr ig-plan --max-combinations 0 </dev/null
	assert_equal "$stderr" "ig-plan: --max-combinations is a whole number of 1 or more, not 0"
}

@test "ig-plan: a count past the most jobs a plan makes says so, not that it is not whole" {
	{ mini_library; plan '{"count":1000000000000000.0}'; } >in
	run -1 --separate-stderr ig-plan in
	assert_equal "$stderr" "ig-plan: in:9: 'count' 1000000000000000 is more than the most jobs a plan makes, 1099511627775"
}

@test "ig-plan --shard: the shards are disjoint, each prints the batch, and together they are the whole plan, job for job" {
	cat "$BATS_TEST_DIRNAME/../db/library.jsonl" "$BATS_TEST_DIRNAME/../pipelines/towers.plan" >in
	ig-plan in | jq -c 'select(.collection == "generations") | del(.created_at, .updated_at)' | sort >whole
	for k in 0 1 2; do
		ig-plan --shard $k/3 in >shard.$k
		assert_equal "$(jq -c 'select(.collection == "batches") | del(.created_at, .updated_at)' shard.$k)" \
			"$(ig-plan in | jq -c 'select(.collection == "batches") | del(.created_at, .updated_at)')"
	done
	cat shard.0 shard.1 shard.2 | jq -c 'select(.collection == "generations") | del(.created_at, .updated_at)' | sort >parts
	cmp whole parts
	assert_equal "$(jq -c 'select(.collection == "generations")' shard.1 | wc -l)" 3
	run -2 ig-plan --shard 3/3 in
	run -2 ig-plan --shard 1 in
}
