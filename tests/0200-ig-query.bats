#!/usr/bin/env bats
# ig-query: reading records, following relations, export

load helper

store_family() {
	echo x >map.png
	{
		batch_line
		gen_line "$GEN"
		gen_line "$GEN2"
		meta_line '"seed":1'
		meta_line '"seed":2'
		image_line
		echo '{"collection":"image_overlays","image_id":"'"$IMG"'","type":"grid","name":"g","data":{},"style":{}}'
		echo '{"collection":"map_grids","image_id":"'"$IMG"'"}'
		theme_line fantasy "$THEME"
		echo '{"collection":"theme_variations","theme_id":"'"$THEME"'","name":"grim","display_name":"G","config_override":{},"variable_override":{}}'
		echo '{"collection":"theme_variations","theme_id":"'"$THEME"'","name":"bright","display_name":"B","config_override":{},"variable_override":{}}'
	} | ig-record >/dev/null
}

# Argument checking

@test "ig-query: no command is a usage error (exit 2)" {
	run -2 ig-query
	assert_output --partial "usage: ig-query"
}

@test "ig-query: an unknown collection is a usage error" {
	theme_line t | ig-record >/dev/null
	run -2 ig-query list pictures
	assert_output "ig-query: unknown collection: pictures"
}

@test "ig-query: a --where that does not compile is a usage error" {
	theme_line t | ig-record >/dev/null
	run -2 ig-query list --where '.name ==' themes
	assert_output --partial "ig-query: --where: jq: error: syntax error"
}

@test "ig-query: a store that does not exist is a system failure (exit 3)" {
	run -3 ig-query -s nowhere list themes
	assert_output "ig-query: store nowhere: No such file or directory"
}

@test "ig-query: -s overrides IG_STORE" {
	theme_line here | ig-record -s other >/dev/null
	run -0 ig-query -s other list themes
	assert_equal "$(jq -r .name <<<"$output")" here
}

# Behaviour

@test "ig-query: get prints records of any collection, in the order asked" {
	store_family
	run -0 ig-query get "$THEME" "$GEN" "$IMG"
	assert_equal "$(jq -r .collection <<<"$output" | tr '\n' ' ')" "themes generations images "
}

@test "ig-query: get of an unknown id says so and exits 1" {
	theme_line t | ig-record >/dev/null
	run -1 --separate-stderr ig-query get "$GEN"
	assert_equal "$stderr" "ig-query: no record $GEN"
}

@test "ig-query: list prints a collection oldest first" {
	# ids in reverse: the order must come from created_at, not the key
	for i in 1 2 3; do theme_line "t$i" 0190000$((4 - i))-0000-4000-8000-000000000000 | ig-record >/dev/null; done
	assert_equal "$(ig-query list themes | jq -r .name | tr '\n' ' ')" "t1 t2 t3 "
}

@test "ig-query: list --where keeps the records a jq expression accepts" {
	for i in 1 2 3 4; do theme_line "t$i"; done | ig-record >/dev/null
	run -0 ig-query list --where '.name | test("[24]")' themes
	assert_equal "$(jq -r .name <<<"$output" | tr '\n' ' ')" "t2 t4 "
}

@test "ig-query: the metadata of a generation" {
	store_family
	assert_equal "$(ig-query list --of "$GEN" metadata | jq -r .seed | tr '\n' ' ')" "1 2 "
}

@test "ig-query: the jobs of a batch" {
	store_family
	assert_equal "$(ig-query list --of "$BATCH" generations | jq -r .id | tr '\n' ' ')" "$GEN $GEN2 "
}

@test "ig-query: the grid and overlays of an image" {
	store_family
	assert_equal "$(ig-query list --of "$IMG" map_grids | jq -r .size)" 50
	assert_equal "$(ig-query list --of "$IMG" image_overlays | jq -r .type)" grid
}

@test "ig-query: the variations of a theme" {
	store_family
	assert_equal "$(ig-query list --of "$THEME" theme_variations | jq -r .name | sort | tr '\n' ' ')" "bright grim "
}

@test "ig-query: --of on a collection without foreign keys is a usage error" {
	store_family
	run -2 ig-query list --of "$THEME" themes
	assert_output "ig-query: themes refers to no other collection"
}

@test "ig-query: export lists parents before children, deleted records included" {
	store_family
	ig-record <<<'{"collection":"themes","id":"'"$THEME"'","is_deleted":true}' >/dev/null
	ig-query export >all
	assert_equal "$(wc -l <all)" 11
	first() { grep -n "\"collection\":\"$1\"" all | head -1 | cut -d: -f1; }
	last() { grep -n "\"collection\":\"$1\"" all | tail -1 | cut -d: -f1; }
	[ "$(last batches)" -lt "$(first generations)" ]
	[ "$(last generations)" -lt "$(first metadata)" ]
	[ "$(last images)" -lt "$(first map_grids)" ]
	[ "$(last themes)" -lt "$(first theme_variations)" ]
	grep -q '"is_deleted":true' all
}

@test "ig-query: a closed pipe ends it cleanly, leaving no reader slot" {
	for i in $(seq 2000); do theme_line "t$i"; done | ig-record >/dev/null
	run -0 --separate-stderr sh -c 'ig-query list themes | head -1'
	assert_equal "$stderr" ""
	run mdb_stat -r "$IG_STORE"
	assert_output --partial "(no active readers)"
}

@test "ig-query: a --where that fails on every record says so once, naming the first record, with the count, and exits 1 (issue 12.11)" {
	for i in 1 2 3 4 5; do theme_line "t$i"; done | ig-record >/dev/null
	first=$(ig-query list themes | head -1 | jq -r .id)
	run -1 --separate-stderr ig-query list --where 'error("boom")' themes
	assert_equal "$output" ""
	assert_equal "$stderr" "$(printf 'ig-query: --where: record %s: boom\nig-query: --where: failed on 5 records in all, each left out' "$first")"
}
