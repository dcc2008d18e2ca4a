#!/usr/bin/env bats
# ig-record: validation by the model, storage, keys, transitions

load helper

# Argument checking

@test "ig-record: an unknown option is a usage error (exit 2)" {
	run -2 ig-record --bogus
	assert_output --partial "usage: ig-record"
}

@test "ig-record: --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr ig-record --help
	assert_output --partial "usage: ig-record"
}

@test "ig-record: a store path that cannot be a directory is a system failure (exit 3)" {
	touch notadir
	run -3 ig-record -s notadir/store </dev/null
	assert_output --partial "ig-record: store notadir/store"
}

@test "ig-record: a missing input file is reported and the others are stored" {
	gen_line "$GEN" >jobs.jsonl
	batch_line >batch.jsonl
	run -1 --separate-stderr ig-record batch.jsonl missing.jsonl jobs.jsonl
	assert_equal "$stderr" "ig-record: missing.jsonl: No such file or directory"
	assert_equal "$(jq -r .collection <<<"$output" | tr '\n' ' ')" "batches generations "
	assert_equal "$(field "$BATCH" name) $(field "$GEN" status)" "b queued"
}

# Behaviour: storing

@test "ig-record: a new record gets a UUIDv7 id and RFC 3339 microsecond timestamps" {
	run -0 ig-record <<<'{"collection":"themes","name":"t","display_name":"T","config":{},"variables":{},"prompts":[],"styles":[]}'
	id=$(jq -r .id <<<"$output")
	[[ $id =~ ^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	[[ $(jq -r .created_at <<<"$output") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$ ]]
	assert_equal "$(jq -r .updated_at <<<"$output")" "$(jq -r .created_at <<<"$output")"
}

@test "ig-record: ids made in one run increase in creation order" {
	for i in 1 2 3 4 5; do theme_line "t$i"; done | ig-record | jq -r .id >ids
	sort ids | diff - ids
}

@test "ig-record: a user's id is kept, written in lowercase" {
	run -0 ig-record <<<"$(theme_line t 01900000-0000-4000-8000-0000000000AB)"
	assert_equal "$(jq -r .id <<<"$output")" 01900000-0000-4000-8000-0000000000ab
}

@test "ig-record: timestamps with an offset are stored in UTC with microseconds" {
	batch_line | ig-record >/dev/null
	gen_line "$GEN" | ig-record >/dev/null
	run -0 ig-record <<<"$(meta_line | jq -c '.timestamp="2026-01-02T05:04:05.5+02:00"')"
	assert_equal "$(jq -r .timestamp <<<"$output")" "2026-01-02T03:04:05.500000Z"
}

@test "ig-record: the printed record is the stored one, byte for byte" {
	batch_line | ig-record >printed
	ig-query get "$BATCH" | cmp - printed
}

@test "ig-record: lines without a collection pass through unchanged" {
	printf '%s\n' '{"plan":"x",  "n": 1}' >in
	run -0 ig-record in
	assert_output '{"plan":"x",  "n": 1}'
}

@test "ig-record: blank lines are skipped and an empty file stores nothing" {
	: >empty
	run -0 ig-record empty
	assert_output ""
	run -0 ig-record <<<$'\n  \n'
	assert_output ""
	assert_equal "$(ig-query export | wc -l)" 0
}

@test "ig-record: the model's defaults fill a map grid (seed 003)" {
	echo x >map.png
	image_line | ig-record >/dev/null
	run -0 ig-record <<<'{"collection":"map_grids","image_id":"'"$IMG"'"}'
	assert_equal "$(jq -c '[.size,.color,.opacity,.enabled,.is_deleted,.deleted_at]' <<<"$output")" '[50,"#000000",0.5,true,false,null]'
}

@test "ig-record: the model's defaults fill a generation task (seed 003)" {
	run -0 ig-record <<<'{"collection":"generation_tasks","type":"image","params":{}}'
	assert_equal "$(jq -c '[.status,.priority,.attempts,.retry_count,.max_retries,.retry_delay]' <<<"$output")" '["pending",0,0,0,3,5]'
}

@test "ig-record: every collection of both seeds is stored and read back unchanged" {
	echo x >map.png
	{
		batch_line
		gen_line "$GEN"
		meta_line '"seed":7,"params":{"size":"1024x1024"},"gemini_response_id":"r1","sha256":"'"$(printf a%.0s {1..64})"'","source_placeholder":"p.png"'
		image_line '"subtype":"dungeon","origin":"generated","generation_id":"'"$GEN"'","theme":"fantasy"'
		echo '{"collection":"image_overlays","image_id":"'"$IMG"'","type":"grid","name":"g","data":{"cells":3},"style":{"color":"#fff"}}'
		echo '{"collection":"map_grids","image_id":"'"$IMG"'","size":70}'
		echo '{"collection":"generation_tasks","type":"image","params":{"job":1},"priority":5}'
		theme_line fantasy "$THEME"
		echo '{"collection":"theme_variations","theme_id":"'"$THEME"'","name":"grim","display_name":"Grim","config_override":{},"variable_override":{"mood":"grim"}}'
		echo '{"collection":"style_presets","name":"ink","display_name":"Ink","category":"line","config":{},"prompts":["ink"],"compatibility":["fantasy"]}'
		echo '{"collection":"theme_elements","category":"architecture","name":"tower","display_name":"Tower","config":{},"prompts":["tower"],"compatibility":[]}'
	} >all.jsonl
	ig-record all.jsonl >stored
	assert_equal "$(jq -r .collection stored | sort -u | wc -l)" 11
	while read -r line; do
		assert_equal "$(ig-query get "$(jq -r .id <<<"$line")")" "$line"
	done <stored
}

# Behaviour: validation, one rule per test, with its line number

reject() { # expected-message line...
	local want=$1
	shift
	printf '%s\n' "$@" >in.jsonl
	run -1 --separate-stderr ig-record in.jsonl
	assert_equal "$stderr" "ig-record: in.jsonl:$#: $want"
}

@test "ig-record: rejects an empty prompt" {
	batch_line | ig-record >/dev/null
	reject "'prompt' must not be empty" '{"plan":1}' "$(gen_line "$GEN" | jq -c '.prompt=" "')"
}

@test "ig-record: rejects an invalid output path" {
	reject "'output_path' must be a valid path (not empty, at most 4096 bytes, no control characters, not ending in /)" \
		'{"collection":"generations","prompt":"p","output_path":"maps/"}'
}

@test "ig-record: rejects a status outside the allowed values" {
	reject "'status' must be one of queued, running, done, error" \
		'{"collection":"generations","prompt":"p","output_path":"a.png","status":"finished"}'
}

@test "ig-record: rejects a width of 0" {
	echo x >map.png
	reject "'width' must be at least 1, not 0" "$(image_line | jq -c '.width=0')"
}

@test "ig-record: rejects a negative height" {
	echo x >map.png
	reject "'height' must be at least 1, not -5" "$(image_line | jq -c '.height=-5')"
}

@test "ig-record: rejects a format outside the allowed list" {
	echo x >map.png
	reject "'format' must be one of png, jpeg, jpg, webp, gif" "$(image_line | jq -c '.format="bmp"')"
}

@test "ig-record: rejects an image whose path does not exist (seed 000)" {
	reject "'path': no such file: $PWD/map.png" "$(image_line)"
}

@test "ig-record: rejects an empty model" {
	batch_line | ig-record >/dev/null
	gen_line "$GEN" | ig-record >/dev/null
	reject "'model' must not be empty" "$(meta_line | jq -c '.model=""')"
}

@test "ig-record: rejects a metadata timestamp in the future" {
	batch_line | ig-record >/dev/null
	gen_line "$GEN" | ig-record >/dev/null
	reject "'timestamp' is in the future (2999-01-01T00:00:00.000000Z)" "$(meta_line | jq -c '.timestamp="2999-01-01T00:00:00Z"')"
}

@test "ig-record: rejects a timestamp that is not RFC 3339" {
	reject "'finished_at' must be an RFC 3339 timestamp, not \"yesterday\"" \
		'{"collection":"generations","prompt":"p","output_path":"a.png","finished_at":"yesterday"}'
}

@test "ig-record: rejects an empty batch name" {
	reject "'name' must not be empty" "$(batch_line | jq -c '.name=""')"
}

@test "ig-record: rejects jobs_json that is not a list" {
	reject "'jobs_json' must be an array" "$(batch_line | jq -c '.jobs_json={}')"
}

@test "ig-record: rejects a job spec without a prompt" {
	reject "missing required field 'jobs_json[1].prompt'" \
		"$(batch_line | jq -c '.jobs_json+=[{"output_path":"b.png"}]')"
}

@test "ig-record: rejects metadata whose generation does not exist" {
	reject "'generation_id' refers to no generations record $GEN" "$(meta_line)"
}

@test "ig-record: rejects a missing required field" {
	reject "missing required field 'output_path'" '{"collection":"generations","prompt":"p"}'
}

@test "ig-record: rejects a field the model does not have" {
	reject "unknown field 'promt'" '{"collection":"generations","promt":"p","output_path":"a.png"}'
}

@test "ig-record: rejects an unknown collection and names the known ones" {
	printf '%s\n' '{"collection":"pictures"}' >in.jsonl
	run -1 --separate-stderr ig-record in.jsonl
	assert_equal "$stderr" "ig-record: in.jsonl:1: unknown collection \"pictures\" (known: batches, generation_tasks, generations, image_overlays, images, map_grids, metadata, style_presets, theme_elements, theme_variations, themes)"
}

@test "ig-record: rejects a bad id" {
	reject "'id' must be a UUID" "$(theme_line t | jq -c '.id="42"')"
}

@test "ig-record: rejects a name longer than the seed's VARCHAR(50)" {
	reject "'name' is longer than 50 characters" "$(theme_line "$(printf 'é%.0s' {1..51})")"
}

@test "ig-record: counts characters, not bytes, against a length limit" {
	run -0 ig-record <<<"$(theme_line "$(printf 'é%.0s' {1..50})")"
}

@test "ig-record: rejects a bad grid color and an opacity above 1" {
	echo x >map.png
	image_line | ig-record >/dev/null
	reject "'color' must be a color #rgb, #rgba, #rrggbb or #rrggbbaa" '{"collection":"map_grids","image_id":"'"$IMG"'","color":"black"}'
	reject "'opacity' must be at most 1, not 1.5" '{"collection":"map_grids","image_id":"'"$IMG"'","opacity":1.5}'
}

@test "ig-record: rejects an integer beyond 2^53" {
	batch_line | ig-record >/dev/null
	gen_line "$GEN" | ig-record >/dev/null
	reject "invalid JSON at byte 173: integer beyond 2^53, which a double cannot hold exactly" "$(meta_line '"seed":13911860366432393')"
}

# Behaviour: bad input lines, the good ones around them still stored

@test "ig-record: malformed JSON is rejected with its line and position" {
	reject "invalid JSON at byte 15: expected ':'" '{"collection" "x"}'
	reject "invalid JSON at byte 13: unterminated string" '{"prompt":"a'
	reject "invalid JSON at byte 2: expected a string key" '{,}'
}

@test "ig-record: a line that is not an object is rejected" {
	reject "not a JSON object" '[1,2]'
}

@test "ig-record: two values on one line are rejected" {
	reject "invalid JSON at byte 4: more than one value on the line" '{} {}'
}

@test "ig-record: invalid UTF-8 is rejected, not replaced" {
	printf '{"collection":"themes","name":"\xff"}\n' >in.jsonl
	run -1 --separate-stderr ig-record in.jsonl
	assert_equal "$stderr" "ig-record: in.jsonl:1: invalid JSON at byte 32: invalid UTF-8 in string"
}

@test "ig-record: good lines around bad ones are stored, and the exit status is 1" {
	{ theme_line a; echo 'nope'; theme_line b; echo '[]'; theme_line c; } >in.jsonl
	run -1 --separate-stderr ig-record in.jsonl
	assert_equal "$(jq -r .name <<<"$output" | tr '\n' ' ')" "a b c "
	assert_equal "$(ig-query list themes | wc -l)" 3
	assert_equal "$(wc -l <<<"$stderr")" 2
}

@test "ig-record: a 50 MB line is stored whole" {
	batch_line | ig-record >/dev/null
	head -c 50000000 /dev/zero | tr '\0' a >big
	{ printf '{"collection":"generations","id":"%s","output_path":"a.png","prompt":"' "$GEN"; cat big; printf '"}\n'; } >in.jsonl
	ig-record in.jsonl | jq -r .prompt | cmp - <(cat big; echo)
	assert_equal "$(field "$GEN" prompt | wc -c)" 50000001
}

@test "ig-record: a write error on stdout is a system failure (exit 3)" {
	theme_line t >in.jsonl
	run -3 sh -c 'ig-record in.jsonl >/dev/full'
	assert_output --partial "ig-record: writing output failed: No space left on device"
}

# Behaviour: updates and transitions

@test "ig-record: a line with a stored id updates only the fields it carries" {
	batch_line | ig-record >/dev/null
	gen_line "$GEN" '"params":{"seed":1}' | ig-record >/dev/null
	ig-record <<<'{"collection":"generations","id":"'"$GEN"'","prompt":"a new map"}' >/dev/null
	assert_equal "$(ig-query get "$GEN" | jq -c '[.prompt,.params.seed,.output_path]')" '["a new map",1,"maps/1.png"]'
}

@test "ig-record: an update changes updated_at and keeps created_at" {
	theme_line t "$THEME" | ig-record >first
	sleep 0.01
	ig-record <<<'{"collection":"themes","id":"'"$THEME"'","display_name":"New"}' >second
	assert_equal "$(jq -r .created_at second)" "$(jq -r .created_at first)"
	[[ "$(jq -r .updated_at second)" > "$(jq -r .updated_at first)" ]]
}

@test "ig-record: an update that changes nothing keeps updated_at" {
	theme_line t "$THEME" | ig-record >first
	theme_line t "$THEME" | ig-record >second
	cmp first second
}

@test "ig-record: a job goes queued, running, done and gets finished_at" {
	batch_line | ig-record >/dev/null
	gen_line "$GEN" | ig-record >/dev/null
	assert_equal "$(field "$GEN" status)" queued
	for s in running done; do
		ig-record <<<'{"collection":"generations","id":"'"$GEN"'","status":"'$s'"}' >/dev/null
	done
	assert_equal "$(field "$GEN" status)" done
	[[ $(field "$GEN" finished_at) =~ Z$ ]]
}

@test "ig-record: a job cannot skip running, nor leave done" {
	batch_line | ig-record >/dev/null
	gen_line "$GEN" | ig-record >/dev/null
	reject "'status' cannot change from \"queued\" to \"done\"" '{"collection":"generations","id":"'"$GEN"'","status":"done"}'
	ig-record <<<'{"collection":"generations","id":"'"$GEN"'","status":"running"}' >/dev/null
	ig-record <<<'{"collection":"generations","id":"'"$GEN"'","status":"error"}' >/dev/null
	reject "'status' cannot change from \"error\" to \"running\"" '{"collection":"generations","id":"'"$GEN"'","status":"running"}'
}

@test "ig-record: a batch cannot be set from pending to done by hand" {
	batch_line | ig-record >/dev/null
	reject "'status' cannot change from \"pending\" to \"done\"" '{"collection":"batches","id":"'"$BATCH"'","status":"done"}'
}

@test "ig-record: a batch runs when its first job runs, and is done when all are" {
	{ batch_line; gen_line "$GEN"; gen_line "$GEN2"; } | ig-record >/dev/null
	ig-record <<<'{"collection":"generations","id":"'"$GEN"'","status":"running"}' >/dev/null
	assert_equal "$(field "$BATCH" status)" running
	[[ $(field "$BATCH" started_at) =~ Z$ ]]
	printf '%s\n' '{"collection":"generations","id":"'"$GEN"'","status":"done"}' \
		'{"collection":"generations","id":"'"$GEN2"'","status":"running"}' | ig-record >/dev/null
	assert_equal "$(field "$BATCH" status)" running
	ig-record <<<'{"collection":"generations","id":"'"$GEN2"'","status":"done"}' >/dev/null
	assert_equal "$(field "$BATCH" status)" done
	[[ $(field "$BATCH" finished_at) =~ Z$ ]]
}

@test "ig-record: a batch ends in error when its last job ends and one failed" {
	{ batch_line; gen_line "$GEN"; gen_line "$GEN2"; } | ig-record >/dev/null
	printf '%s\n' '{"collection":"generations","id":"'"$GEN"'","status":"running"}' \
		'{"collection":"generations","id":"'"$GEN"'","status":"error"}' | ig-record >/dev/null
	assert_equal "$(field "$BATCH" status)" running
	printf '%s\n' '{"collection":"generations","id":"'"$GEN2"'","status":"running"}' \
		'{"collection":"generations","id":"'"$GEN2"'","status":"done","finished_at":"2030-01-01T00:00:00Z"}' |
		ig-record >/dev/null
	assert_equal "$(field "$BATCH" status)" error
	assert_equal "$(field "$BATCH" finished_at)" 2030-01-01T00:00:00.000000Z
}

@test "ig-record: a batch is not done while jobs its jobs_json lists are unknown" {
	echo '{"collection":"batches","id":"'"$BATCH"'","name":"b","jobs_json":[{"prompt":"a","output_path":"1.png"},{"prompt":"b","output_path":"2.png"}]}' | ig-record >/dev/null
	gen_line "$GEN" | ig-record >/dev/null
	printf '%s\n' '{"collection":"generations","id":"'"$GEN"'","status":"running"}' \
		'{"collection":"generations","id":"'"$GEN"'","status":"done"}' | ig-record >/dev/null
	assert_equal "$(field "$BATCH" status)" running
}

@test "ig-record: an older version of a record than the stored one changes nothing" {
	{ batch_line; gen_line "$GEN" '"status":"queued","updated_at":"2026-01-01T00:00:00Z"'; } | ig-record >/dev/null
	gen_line "$GEN" '"status":"running","updated_at":"2026-01-03T00:00:00Z"' | ig-record >/dev/null
	run -0 ig-record --strict <<<"$(gen_line "$GEN" '"status":"queued","updated_at":"2026-01-02T00:00:00Z"')"
	assert_equal "$(field "$GEN" status)" running
	assert_equal "$(jq -r .status <<<"$output")" running
}

@test "ig-record: an update keeps when the record was created" {
	{ batch_line; gen_line "$GEN" '"created_at":"2026-01-01T00:00:00Z"'; } | ig-record >/dev/null
	gen_line "$GEN" '"created_at":"2027-01-01T00:00:00Z","prompt":"b"' | ig-record >/dev/null
	assert_equal "$(field "$GEN" created_at) $(field "$GEN" prompt)" "2026-01-01T00:00:00.000000Z b"
}

@test "ig-record: a batch whose jobs come in already done (a merge of stores) is done" {
	batch_line | ig-record >/dev/null
	gen_line "$GEN" '"status":"done","started_at":"2026-01-01T00:00:00Z","finished_at":"2026-01-01T00:01:00Z"' |
		ig-record >/dev/null
	assert_equal "$(field "$BATCH" status) $(field "$BATCH" finished_at)" "done 2026-01-01T00:01:00.000000Z"
}

@test "ig-record: a batch recorded after its jobs are done is what its jobs say" {
	gen_line "$GEN" '"status":"done","batch_id":null' | ig-record >/dev/null
	gen_line "$GEN" '"status":"done"' >jobs
	{ batch_line; cat jobs; } | ig-record >/dev/null
	assert_equal "$(field "$BATCH" status)" done
}

@test "ig-record: a job left running by a process that ended goes back to queued" {
	{ batch_line; gen_line "$GEN" '"status":"queued"'; } | ig-record >/dev/null
	gen_line "$GEN" '"status":"running","claimed_by":"gone:1"' | ig-record 2>err >/dev/null
	assert_equal "$(field "$GEN" status) $(field "$GEN" claimed_by)" "queued null"
	grep -q "1 record abandoned by a process that ended given back" err
}

@test "ig-record: a job set running by hand, naming no holder, stays running" {
	{ batch_line; gen_line "$GEN" '"status":"queued"'; } | ig-record >/dev/null
	gen_line "$GEN" '"status":"running"' | ig-record >/dev/null
	assert_equal "$(field "$GEN" status)" running
}

@test "ig-record: an image's path is stored absolute, its name is the base name, its url a file URI" {
	mkdir -p "d ir" && cp "$PNGSUITE/basn2c08.png" "d ir/m#1.png"
	echo '{"collection":"images","path":"d ir/./m#1.png","width":32,"height":32,"size":1}' | ig-record >out
	assert_equal "$(jq -r '[.path, .name, .url] | join(" ")' out)" "$PWD/d ir/m#1.png m#1.png file://$(pwd | sed 's/ /%20/g')/d%20ir/m%231.png"
}

@test "ig-record: a record may refer to one stored earlier in the same input" {
	{ batch_line; gen_line "$GEN"; meta_line; } >in.jsonl
	run -0 ig-record in.jsonl
	assert_equal "${#lines[@]}" 3
}

# Behaviour: unique keys

@test "ig-record: theme names are unique" {
	theme_line fantasy | ig-record >/dev/null
	run -1 --separate-stderr ig-record <<<"$(theme_line fantasy)"
	assert_regex "$stderr" "^ig-record: stdin:1: themes with name=\"fantasy\" exists already \(id [0-9a-f-]{36}\)$"
}

@test "ig-record: style preset names are unique" {
	line='{"collection":"style_presets","name":"ink","display_name":"Ink","category":"line","config":{},"prompts":[],"compatibility":[]}'
	ig-record <<<"$line" >/dev/null
	run -1 --separate-stderr ig-record <<<"$line"
	assert_regex "$stderr" "style_presets with name=\"ink\" exists already"
}

@test "ig-record: theme elements are unique by category and name together" {
	el() { echo '{"collection":"theme_elements","category":"'"$1"'","name":"'"$2"'","display_name":"D","config":{},"prompts":[],"compatibility":[]}'; }
	{ el architecture tower; el clothing tower; } | ig-record >/dev/null
	run -1 --separate-stderr ig-record <<<"$(el clothing tower)"
	assert_regex "$stderr" "theme_elements with category=\"clothing\", name=\"tower\" exists already"
}

@test "ig-record: an image has one map grid" {
	echo x >map.png
	{ image_line; echo '{"collection":"map_grids","image_id":"'"$IMG"'"}'; } | ig-record >/dev/null
	run -1 --separate-stderr ig-record <<<'{"collection":"map_grids","image_id":"'"$IMG"'"}'
	assert_regex "$stderr" "map_grids with image_id=\"$IMG\" exists already"
}

@test "ig-record: renaming a theme frees its old name" {
	theme_line old "$THEME" | ig-record >/dev/null
	ig-record <<<'{"collection":"themes","id":"'"$THEME"'","name":"new"}' >/dev/null
	run -0 ig-record <<<"$(theme_line old)"
}

# Behaviour: soft delete and purge

@test "ig-record: is_deleted sets deleted_at, and readers hide the record" {
	theme_line t "$THEME" | ig-record >/dev/null
	run -0 ig-record <<<'{"collection":"themes","id":"'"$THEME"'","is_deleted":true}'
	[[ $(jq -r .deleted_at <<<"$output") =~ Z$ ]]
	assert_equal "$(ig-query list themes)" ""
	run -1 ig-query get "$THEME"
	assert_equal "$(ig-query list --deleted themes | jq -r .is_deleted)" true
}

@test "ig-record: is_deleted false restores a record" {
	theme_line t "$THEME" | ig-record >/dev/null
	ig-record <<<'{"collection":"themes","id":"'"$THEME"'","deleted_at":"2026-01-01T00:00:00Z"}' >/dev/null
	assert_equal "$(ig-query get --deleted "$THEME" | jq -r .is_deleted)" true
	ig-record <<<'{"collection":"themes","id":"'"$THEME"'","is_deleted":false}' >/dev/null
	assert_equal "$(ig-query get "$THEME" | jq -c '[.is_deleted,.deleted_at]')" '[false,null]'
}

@test "ig-record: --purge removes deleted records for good, with their keys" {
	theme_line t "$THEME" | ig-record >/dev/null
	ig-record <<<'{"collection":"themes","id":"'"$THEME"'","is_deleted":true}' >/dev/null
	run -0 ig-record --purge
	assert_output '{"purged":1,"kept":0}'
	assert_equal "$(ig-query list --deleted themes)" ""
	run -0 ig-record <<<"$(theme_line t)"
	assert_equal "$(mdb_dump -p -s 'themes:unique:name' "$IG_STORE" | grep -c '^ t$')" 1
}

@test "ig-record: --purge keeps a deleted record that a live one refers to" {
	{ batch_line; gen_line "$GEN"; } | ig-record >/dev/null
	ig-record <<<'{"collection":"batches","id":"'"$BATCH"'","is_deleted":true}' >/dev/null
	run -0 ig-record --purge
	assert_output '{"purged":0,"kept":1}'
	ig-record <<<'{"collection":"generations","id":"'"$GEN"'","is_deleted":true}' >/dev/null
	run -0 ig-record --purge
	assert_output '{"purged":2,"kept":0}'
}

# Behaviour: transactions, concurrency, growth

# n theme lines named t1..tn, without ids: a large input is prepared on threads
themes() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"collection\":\"themes\",\"name\":\"t%d\",\"display_name\":\"X\",\"config\":{},\"variables\":{},\"prompts\":[\"p\"],\"styles\":[]}\n", i }'
}

@test "ig-record: a large input comes out in input order, its new ids in that order too" {
	themes 20000 >in.jsonl
	ig-record in.jsonl >out.jsonl
	diff <(jq -r .name out.jsonl) <(seq -f 't%g' 20000)
	jq -r .id out.jsonl >ids
	sort -c ids
	assert_equal "$(sort -u ids | wc -l)" 20000
	diff <(ig-query list themes | jq -r .name) <(seq -f 't%g' 20000)
}

@test "ig-record: in a large input, bad lines are reported at their line numbers and the rest is stored" {
	themes 20000 | awk 'NR == 3 { print "{\"collection\":"; next }
		NR == 9000 { print "{\"collection\":\"themes\",\"display_name\":\"X\"}"; next }
		NR == 19999 { print "{\"collection\":\"nope\"}"; next } { print }' >in.jsonl
	run -1 --separate-stderr ig-record in.jsonl
	assert_equal "${#lines[@]}" 19997
	assert_equal "${#stderr_lines[@]}" 3
	assert_regex "${stderr_lines[0]}" '^ig-record: in.jsonl:3: '
	assert_equal "${stderr_lines[1]}" "ig-record: in.jsonl:9000: missing required field 'name'"
	assert_regex "${stderr_lines[2]}" '^ig-record: in.jsonl:19999: unknown collection "nope"'
	assert_equal "$(ig-query list themes | wc -l)" 19997
	assert_equal "$(jq -r .name <<<"${lines[8998]}")" t9001
}

@test "ig-record: a large input updates and refers to records stored earlier in it" {
	{
		batch_line
		gen_line "$GEN"
		themes 10000
		meta_line
		gen_line "$GEN" '"status":"running"'
	} >in.jsonl
	run -0 ig-record in.jsonl
	assert_equal "$(jq -r .collection <<<"${lines[10002]}")" metadata
	assert_equal "$(jq -r .status <<<"${lines[10003]}")" running
	assert_equal "$(field "$GEN" status)" running
	assert_equal "$(field "$BATCH" status)" running
	assert_equal "$(ig-query list metadata | jq -r .generation_id)" "$GEN"
}

@test "ig-record: a unique key taken earlier in a large input is refused later" {
	{ themes 15000; theme_line t1; } >in.jsonl
	run -1 --separate-stderr ig-record in.jsonl
	assert_regex "$stderr" '^ig-record: in.jsonl:15001: themes with name="t1" exists already \(id [0-9a-f-]{36}\)$'
	assert_equal "$(ig-query list themes | wc -l)" 15000
}

@test "ig-record: --strict stores nothing when one line is bad" {
	{ theme_line a; theme_line b; echo '{"collection":"themes"}'; } >in.jsonl
	run -1 --separate-stderr ig-record --strict in.jsonl
	assert_output ""
	assert_regex "$stderr" "in.jsonl:3: missing required field 'name'"
	assert_regex "$stderr" "--strict: 1 line rejected, nothing stored"
	assert_equal "$(ig-query list themes | wc -l)" 0
}

@test "ig-record: --strict stores everything when all lines are good" {
	for i in $(seq 100); do theme_line "t$i"; done >in.jsonl
	run -0 ig-record --strict in.jsonl
	assert_equal "$(ig-query list themes | wc -l)" 100
}

@test "ig-record: two writers on one store both finish with every record stored" {
	for i in $(seq 3000); do theme_line "a$i"; done >a.jsonl
	for i in $(seq 3000); do theme_line "b$i"; done >b.jsonl
	ig-record a.jsonl >/dev/null &
	ig-record b.jsonl >/dev/null &
	wait %1
	wait %2
	assert_equal "$(ig-query list themes | wc -l)" 6000
}

@test "ig-record: the map grows by itself from a tiny one" {
	export IG_MAPSIZE=65536
	themes 12000 >in.jsonl
	run -0 ig-record in.jsonl
	assert_equal "${#lines[@]}" 12000
	assert_equal "$(ig-query list themes | wc -l)" 12000
	size=$(mdb_stat -e "$IG_STORE" | awk '/Map size/ {print $3}')
	[ "$size" -gt 65536 ]
}

@test "ig-record: a trickling input is committed before it ends" {
	mkfifo fifo
	ig-record <fifo >out &
	exec 5>fifo
	theme_line early >&5
	sleep 1.5
	run -0 ig-query list themes
	assert_equal "$(jq -r .name <<<"$output")" early
	assert_equal "$(jq -r .name out)" early
	exec 5>&-
	wait
}

@test "ig-record: a large input that pauses is committed in full before it ends" {
	mkfifo fifo
	ig-record <fifo >out &
	exec 5>fifo
	themes 150000 >&5
	sleep 3
	assert_equal "$(ig-query list themes | wc -l)" 150000
	assert_equal "$(wc -l <out)" 150000
	exec 5>&-
	wait
}

@test "ig-record: an export imported into an empty store reproduces it exactly" {
	echo x >map.png
	{ batch_line; gen_line "$GEN"; gen_line "$GEN2"; meta_line; image_line; theme_line t "$THEME"
	  echo '{"collection":"map_grids","image_id":"'"$IMG"'"}'; } | ig-record >/dev/null
	ig-record <<<'{"collection":"generations","id":"'"$GEN"'","status":"running"}' >/dev/null
	ig-record <<<'{"collection":"themes","id":"'"$THEME"'","is_deleted":true}' >/dev/null
	ig-query export >export.jsonl
	IG_STORE=copy ig-record export.jsonl >/dev/null
	IG_STORE=copy ig-query export | cmp - export.jsonl
	diff <(dump_records "$IG_STORE") <(dump_records copy)
	# all but the main database and the three of the change log
	[ "$(dump_records copy | grep -c '^database=')" -eq $(($(mdb_stat -a copy | grep -c '^Status of ') - 4)) ]
}

# Numbers hold what they say, or the line is refused (issue 12.9)

task_with_priority() { # number
	echo '{"collection":"generation_tasks","id":"01900000-0000-7000-8000-0000000000f1","type":"image","params":{},"priority":'"$1"'}'
}

@test "ig-record: an integer a double cannot hold exactly is refused, and the lines around it stored" {
	{ theme_line a; task_with_priority 9007199254740993; theme_line b; } >in
	run -1 --separate-stderr ig-record in
	assert_equal "$stderr" "ig-record: in:2: invalid JSON at byte 116: integer beyond 2^53, which a double cannot hold exactly"
	assert_equal "$(ig-query list themes | jq -r .name | sort | tr '\n' ' ')" "a b "
}

@test "ig-record: 2^53 itself is held exactly, and an exact integer past it is refused as beyond 2^53" {
	run -0 ig-record <<<"$(task_with_priority 9007199254740992)"
	assert_equal "$(ig-query get 01900000-0000-7000-8000-0000000000f1 | jq -r .priority)" 9007199254740992
	run -1 --separate-stderr ig-record <<<"$(task_with_priority 1152921504606846976)"
	assert_equal "$stderr" "ig-record: stdin:1: 'priority' is beyond 2^53, which JSON numbers cannot hold exactly"
}

@test "ig-record: a number too small for a double is refused, not stored as zero" {
	run -1 --separate-stderr ig-record <<<"$(task_with_priority -1e-400)"
	assert_equal "$stderr" "ig-record: stdin:1: invalid JSON at byte 116: number out of range of a double"
	run -0 ig-query list generation_tasks
	assert_output ""
}

@test "ig-record: an integer field given -0 stores 0" {
	ig-record <<<"$(task_with_priority -0)" >out
	grep -q '"priority":0[,}]' out
	ig-query get 01900000-0000-7000-8000-0000000000f1 | grep -q '"priority":0[,}]'
}

@test "ig-record: a line past the longest line (64 MiB) is refused without being held, and the next line stored (issue 12)" {
	{ theme_line a; head -c 70000000 /dev/zero | tr '\0' x; echo; theme_line b; } >in
	run -1 --separate-stderr ig-record in
	assert_equal "$stderr" "ig-record: in:2: line longer than 64 MiB, the longest line (see ig(7), RESOURCE LIMITS)"
	assert_equal "$(ig-query list themes | jq -r .name | sort | tr '\n' ' ')" "a b "
}
