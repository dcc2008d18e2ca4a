#!/usr/bin/env bats
# ig-sql: the seeds' own databases, made from db/model and kept in step
# with the store: SQLite, and a PostgreSQL 15 each test starts; the schema,
# upserts, the round trip back into a store, bad lines

load helper

teardown() {
	pg_stop
}

columns() { # db table
	sqlite3 "$1" "select name from pragma_table_info('$2')" | tr '\n' ' '
}

@test "ig-sql --schema sqlite: seed 000's tables load into sqlite3 with every column of the seed" {
	ig-sql --schema sqlite | sqlite3 cat.db
	for c in id prompt placeholder_path output_path status params batch_id created_at finished_at; do
		[[ " $(columns cat.db generations)" == *" $c "* ]]
	done
	for c in id generation_id prompt model seed params timestamp gemini_response_id sha256 source_placeholder; do
		[[ " $(columns cat.db metadata)" == *" $c "* ]]
	done
	for c in id name jobs_json status started_at finished_at; do
		[[ " $(columns cat.db batches)" == *" $c "* ]]
	done
	# a table a collection, and ig_sync, ig-sql --changes' own
	assert_equal "$(sqlite3 cat.db "select count(*) from sqlite_master where type = 'table' and name != 'ig_sync'")" \
		"$(ls "$BATS_TEST_DIRNAME"/../db/model/*.json | grep -vc base.json)"
	assert_equal "$(columns cat.db ig_sync)" "store seq synced_at "
}

@test "ig-sql --schema postgres: loads into PostgreSQL 15 with seed 003's types, constraints and indexes" {
	pg_start
	ig-sql --schema postgres >schema.sql
	psql -q -v ON_ERROR_STOP=1 -f schema.sql
	run psql -At -c "select column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '') || ' ' || is_nullable
		from information_schema.columns where table_name = 'map_grids' order by column_name"
	assert_line "image_id uuid NO"
	assert_line "opacity double precision NO"
	assert_line "color character varying(50) NO"
	assert_line "created_at timestamp with time zone NO"
	assert_line "is_deleted boolean NO"
	assert_equal "$(psql -At -c "select column_default from information_schema.columns where table_name = 'map_grids' and column_name = 'size'")" 50
	assert_equal "$(psql -At -c "select indexdef from pg_indexes where indexname = 'map_grids_image_id_key'")" \
		"CREATE UNIQUE INDEX map_grids_image_id_key ON public.map_grids USING btree (image_id)"
	assert_equal "$(psql -At -c "select count(*) from pg_indexes where tablename = 'image_overlays' and indexdef like '%(image_id)'")" 1
	assert_equal "$(psql -At -c "select data_type from information_schema.columns where table_name = 'metadata' and column_name = 'seed'")" bigint
	assert_equal "$(psql -At -c "select count(*) from information_schema.table_constraints where constraint_type = 'FOREIGN KEY' and table_name = 'theme_variations'")" 1
}

@test "ig-sql: the main job's store synced into SQLite answers seed 000's columns, and reads back into a store identical to it" {
	main_store
	ig-sql sqlite:cat.db export.jsonl
	assert_equal "$(sqlite3 cat.db "select status from batches")" done
	assert_equal "$(sqlite3 cat.db "select count(*) from generations where status = 'done' and finished_at is not null")" 8
	assert_equal "$(sqlite3 cat.db "select json_extract(params, '\$.theme') from metadata limit 1")" \
		"$(jq -r 'select(.collection == "metadata") | .params.theme' export.jsonl | head -1)"
	ig-sql --dump sqlite:cat.db >dump.jsonl
	IG_STORE=$PWD/copy ig-record --strict dump.jsonl >/dev/null
	IG_STORE=$PWD/copy ig-query export | cmp - export.jsonl
}

@test "ig-sql: nulls and absent fields, 64-bit seeds, unicode and microseconds come back as they went" {
	{
		echo '{"collection":"generations","id":"01970000-0000-7000-8000-000000000001","prompt":"sé ✓ \"q\"","output_path":"o.png","placeholder_path":null,"created_at":"2026-01-02T03:04:05.123456Z","updated_at":"2026-01-02T03:04:05.123456Z"}'
		echo '{"collection":"metadata","id":"01970000-0000-7000-8000-0000000000a1","generation_id":"01970000-0000-7000-8000-000000000001","prompt":"p","model":"m","seed":1099511627776,"params":{"n":[1,2.5,null,true],"s":"x"},"timestamp":"2026-01-02T03:04:05Z","gemini_response_id":null}'
	} | ig-record --strict >/dev/null
	ig-query export >export.jsonl
	ig-sql sqlite:cat.db export.jsonl
	assert_equal "$(sqlite3 cat.db "select seed from metadata")" 1099511627776
	ig-sql --dump sqlite:cat.db >dump.jsonl
	IG_STORE=$PWD/copy ig-record --strict dump.jsonl >/dev/null
	IG_STORE=$PWD/copy ig-query export | cmp - export.jsonl
}

@test "ig-sql: syncing the same records again changes nothing" {
	main_store
	ig-sql sqlite:cat.db export.jsonl
	sqlite3 cat.db .dump >first.sql
	ig-sql sqlite:cat.db export.jsonl
	sqlite3 cat.db .dump | cmp - first.sql
}

@test "ig-sql: a child before its parent goes in; a bad line, an unknown collection and an orphan are refused by line, the rest kept" {
	gen='{"collection":"generations","id":"01970000-0000-7000-8000-000000000001","prompt":"p","output_path":"o.png","created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}'
	meta='{"collection":"metadata","id":"01970000-0000-7000-8000-0000000000a1","generation_id":"01970000-0000-7000-8000-000000000001","prompt":"p","model":"m","timestamp":"2026-01-02T03:04:05Z","created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}'
	orphan='{"collection":"metadata","id":"01970000-0000-7000-8000-0000000000a2","generation_id":"01970000-0000-7000-8000-00000000ffff","prompt":"p","model":"m","timestamp":"2026-01-02T03:04:05Z","created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}'
	printf '%s\n' "$meta" "$gen" >first.jsonl
	ig-sql sqlite:cat.db first.jsonl
	printf '%s\n' '{not json' '{"collection":"spells","id":"01970000-0000-7000-8000-000000000009"}' "$orphan" \
		"${gen/\"p\"/\"p2\"}" >second.jsonl
	run -1 --separate-stderr ig-sql sqlite:cat.db second.jsonl
	assert_equal "$(echo "$stderr" | cut -d: -f1-3 | tr '\n' ' ')" \
		"ig-sql: second.jsonl:1 ig-sql: second.jsonl:2 ig-sql: second.jsonl:3 "
	[[ "$stderr" == *"names a generations row that is nowhere"* ]]
	assert_equal "$(sqlite3 cat.db "select prompt from generations")" p2
	assert_equal "$(sqlite3 cat.db "select id from metadata")" 01970000-0000-7000-8000-0000000000a1
}

@test "ig-sql: the main job's store synced into PostgreSQL reads back into a store identical to it" {
	main_store
	pg_start
	ig-sql "dbname=postgres" export.jsonl
	assert_equal "$(psql -At -c "select status from batches")" done
	assert_equal "$(psql -At -c "select count(*) from images")" "$(grep -c '"collection":"images"' export.jsonl)"
	ig-sql --dump "dbname=postgres" >dump.jsonl
	IG_STORE=$PWD/copy ig-record --strict dump.jsonl >/dev/null
	IG_STORE=$PWD/copy ig-query export | cmp - export.jsonl
}

@test "ig-sql: in PostgreSQL too, nulls, 64-bit seeds, unicode, microseconds and JSON key order come back as they went" {
	pg_start
	{
		echo '{"collection":"generations","id":"01970000-0000-7000-8000-000000000001","prompt":"sé ✓ \"q\"","output_path":"o.png","placeholder_path":null,"params":{"zeta":1,"alpha":{"b":2,"a":1}},"created_at":"2026-01-02T03:04:05.123456Z","updated_at":"2026-01-02T03:04:05.123456Z"}'
		echo '{"collection":"metadata","id":"01970000-0000-7000-8000-0000000000a1","generation_id":"01970000-0000-7000-8000-000000000001","prompt":"p","model":"m","seed":1099511627776,"params":{"n":[1,2.5,null,true],"s":"x"},"timestamp":"2026-01-02T03:04:05Z","gemini_response_id":null}'
	} | ig-record --strict >/dev/null
	ig-query export >export.jsonl
	ig-sql "dbname=postgres" export.jsonl
	assert_equal "$(psql -At -c "select seed from metadata")" 1099511627776
	assert_equal "$(psql -At -c "select params->'alpha'->>'a' from generations")" 1
	ig-sql --dump "dbname=postgres" >dump.jsonl
	IG_STORE=$PWD/copy ig-record --strict dump.jsonl >/dev/null
	IG_STORE=$PWD/copy ig-query export | cmp - export.jsonl
}

@test "ig-sql: PostgreSQL refuses an orphan and a bad uuid by line, keeps the rest, and never shows a password" {
	pg_start
	gen='{"collection":"generations","id":"01970000-0000-7000-8000-000000000001","prompt":"p","output_path":"o.png","created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}'
	orphan='{"collection":"metadata","id":"01970000-0000-7000-8000-0000000000a2","generation_id":"01970000-0000-7000-8000-00000000ffff","prompt":"p","model":"m","timestamp":"2026-01-02T03:04:05Z","created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}'
	printf '%s\n' "$orphan" "$gen" >in.jsonl
	run -1 --separate-stderr ig-sql "dbname=postgres" in.jsonl
	[[ "$stderr" == "ig-sql: in.jsonl:1: metadata 01970000-0000-7000-8000-0000000000a2 names a generations row that is nowhere" ]]
	assert_equal "$(psql -At -c "select count(*) from generations")" 1
	assert_equal "$(psql -At -c "select count(*) from metadata")" 0
	run -3 ig-sql "dbname=nosuchdb password=hunter2-secret" in.jsonl
	[[ "$output" != *hunter2* ]]
	run -3 ig-sql "postgresql://ig:hunter2-secret@localhost:1/x" in.jsonl
	[[ "$output" != *hunter2* ]]
	assert_output --partial "postgresql://ig:***@localhost:1/x"
}

@test "ig-sql: a PostgreSQL connection lost in a transaction is made again once, and the transaction put again whole" {
	pg_start
	gen='{"collection":"generations","id":"01970000-0000-7000-8000-000000000001","prompt":"p","output_path":"o.png","created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}'
	meta='{"collection":"metadata","id":"01970000-0000-7000-8000-0000000000a1","generation_id":"01970000-0000-7000-8000-000000000001","prompt":"p","model":"m","timestamp":"2026-01-02T03:04:05Z","created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}'
	mkfifo in
	ig-sql "dbname=postgres application_name=ig-sql-test" in 2>err &
	sql=$!
	exec 7>in
	echo "$gen" >&7
	for _ in $(seq 100); do
		[ "$(psql -At -c "select count(*) from pg_stat_activity where application_name = 'ig-sql-test' and xact_start is not null")" = 1 ] && break
		sleep 0.05
	done
	psql -At -c "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'ig-sql-test'" >/dev/null
	echo "$meta" >&7
	exec 7>&-
	wait "$sql"
	grep -q 'connected again, the open transaction is put again' err
	assert_equal "$(psql -At -c "select (select count(*) from generations) || ' ' || (select count(*) from metadata)")" "1 1"
}
