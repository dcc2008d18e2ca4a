#!/usr/bin/env bats
# ig-query list: counts, limits, order, the change cursor; summary BATCH

load helper

# n themes, made one ig-record run each, so their times differ
themes() { # n
	for i in $(seq 1 "$1"); do theme_line "t$i" | ig-record >/dev/null; done
}

@test "ig-query list --count: how many records pass, not the records" {
	themes 5
	run -0 ig-query list --count themes
	assert_output 5
	run -0 ig-query list --count --where '.name > "t2"' themes
	assert_output 3
	run -0 ig-query list --count --where '.name == "t9"' themes
	assert_output 0
}

# the records of themes named so, soft-deleted (or back, with false)
soft_delete() { # true|false name...
	local flag=$1
	shift
	for n; do
		ig-query list --deleted --where ".name == \"$n\"" themes | jq -c "{collection, id, is_deleted: $flag}"
	done | ig-record >/dev/null
}

@test "ig-query list --count of a collection: its entries less the soft-deleted, from deleted_at's index, no record read" {
	themes 5
	soft_delete true t2 t4
	run -0 --separate-stderr ig-query list --explain --count themes
	assert_output 3
	[[ "$stderr" == "ig-query: plan: count themes: its entries, less themes:deleted_at's; predicate: none; 0 read, 3 shown" ]]
	assert_equal "$(ig-query list --scan --count themes)" 3
	assert_equal "$(ig-query list --deleted --count themes)" 5
	assert_equal "$(ig-query list --count --limit 2 themes)" 2
	soft_delete false t4
	assert_equal "$(ig-query list --count themes)" 4
	# a purge takes the deleted record out of the collection and the index
	run -0 ig-record --purge
	assert_equal "$(ig-query list --count themes) $(ig-query list --deleted --count themes)" "4 4"
	[ "$(mdb_dump -s themes:deleted_at store | grep -c '^ ')" = 0 ]
}

@test "ig-query list --count on a store from before deleted_at's index: every record read, the same count; its next writer builds the index" {
	themes 4
	soft_delete true t1
	mkdir old
	for db in $(mdb_dump -l store | grep -v ':deleted_at$'); do
		mdb_dump -s "$db" store | mdb_load -s "$db" old
	done
	[ "$(mdb_dump -l old | grep -c ':deleted_at$')" = 0 ]
	run -0 --separate-stderr ig-query -s old list --explain --count themes
	assert_output 3
	[[ "$stderr" == "ig-query: plan: scan themes by id; predicate: none; 4 read, 3 shown" ]]
	ig-record -s old </dev/null
	[ "$(mdb_dump -s themes:deleted_at old | grep -c '^ ')" = 2 ]
	run -0 --separate-stderr ig-query -s old list --explain --count themes
	assert_output 3
	[[ "$stderr" == "ig-query: plan: count themes: "* ]]
}

@test "ig-query list --limit N stops after N records, --reverse gives the newest first" {
	themes 5
	assert_equal "$(ig-query list --limit 2 themes | jq -r .name | tr '\n' ' ')" "t1 t2 "
	assert_equal "$(ig-query list --reverse themes | jq -r .name | tr '\n' ' ')" "t5 t4 t3 t2 t1 "
	assert_equal "$(ig-query list --reverse --limit 2 themes | jq -r .name | tr '\n' ' ')" "t5 t4 "
	assert_equal "$(ig-query list --limit 0 themes | wc -l)" 0
	assert_equal "$(ig-query list --limit 1 --where '.name != "t1"' themes | jq -r .name)" t2
	assert_equal "$(ig-query list --count --limit 3 themes)" 3
	run -2 ig-query list --limit -1 themes
}

@test "ig-query list --changed-since TIME: the records changed at or after it, oldest change first, through updated_at's index" {
	themes 3
	t=$(ig-query list themes | jq -r 'select(.name == "t2") | .updated_at')
	# t1 changes now: it comes last
	ig-query list --where '.name == "t1"' themes | jq -c '.display_name = "changed" | del(.updated_at)' | ig-record >/dev/null
	run -0 --separate-stderr ig-query list --explain --changed-since "$t" themes
	assert_equal "$(echo "$output" | jq -r .name | tr '\n' ' ')" "t2 t3 t1 "
	[[ "$stderr" == "ig-query: plan: index themes:updated_at from $t; "* ]]
	assert_equal "$(ig-query list --reverse --changed-since "$t" themes | jq -r .name | tr '\n' ' ')" "t1 t3 t2 "
	# a time as people write it: the store's form is not needed
	assert_equal "$(ig-query list --count --changed-since 2000-01-01T00:00:00Z themes)" 3
	assert_equal "$(ig-query list --count --changed-since 2999-01-01T00:00:00Z themes)" 0
	run -2 ig-query list --changed-since yesterday themes
	assert_output "ig-query: --changed-since: not a time: yesterday"
}

@test "ig-query --changed-since on a store from before the updated_at index: read whole, the same records; its next writer builds the index" {
	themes 3
	t=$(ig-query list themes | jq -r 'select(.name == "t2") | .updated_at')
	want=$(ig-query list --changed-since "$t" themes | jq -r .name | sort | tr '\n' ' ')
	# the store without the index: every database but it, through mdb_dump and mdb_load
	mkdir old
	for db in $(mdb_dump -l store | grep -v ':updated_at$'); do
		mdb_dump -s "$db" store | mdb_load -s "$db" old
	done
	[ "$(mdb_dump -l old | grep -c ':updated_at$')" = 0 ]
	run -0 --separate-stderr ig-query -s old list --explain --changed-since "$t" themes
	assert_equal "$(echo "$output" | jq -r .name | sort | tr '\n' ' ')" "$want"
	[[ "$stderr" == *"no updated_at index yet"* ]]
	theme_line t4 | ig-record -s old >/dev/null
	[ "$(mdb_dump -s themes:updated_at old | grep -c '^ ')" -ge 8 ]
	run -0 --separate-stderr ig-query -s old list --explain --changed-since "$t" themes
	[[ "$stderr" == "ig-query: plan: index themes:updated_at from $t; "* ]]
	assert_equal "$(echo "$output" | jq -r .name | sort | tr '\n' ' ')" "${want}t4 "
}

@test "ig-query summary BATCH: the batch's progress in one line: jobs by status, images, gridded maps, errors by reason, cost" {
	echo x >map.png
	{
		batch_line
		gen_line "$GEN" '"status":"done","cost_usd":0.039'
		gen_line "$GEN2" '"status":"error"'
		gen_line 01900000-0000-7000-8000-000000000003 '"status":"queued"'
		image_line '"generation_id":"'"$GEN"'"'
		echo '{"collection":"map_grids","image_id":"'"$IMG"'"}'
		echo '{"collection":"generation_tasks","generation_id":"'"$GEN2"'","type":"generate","params":{},"status":"error","last_error":"blocked: SAFETY"}'
	} | ig-record >/dev/null
	run -0 ig-query summary "$BATCH"
	[ "${#lines[@]}" = 1 ]
	assert_equal "$(echo "$output" | jq -c '{jobs, by_status, images, gridded, errors, cost_usd, batch, name}')" \
		'{"jobs":3,"by_status":{"done":1,"error":1,"queued":1},"images":1,"gridded":1,"errors":{"blocked: SAFETY":1},"cost_usd":0.039,"batch":"'"$BATCH"'","name":"b"}'
	run -1 ig-query summary 01900000-0000-7000-8000-0000000000ff
	assert_output "ig-query: no batch 01900000-0000-7000-8000-0000000000ff"
}
