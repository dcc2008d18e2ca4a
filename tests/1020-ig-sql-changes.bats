#!/usr/bin/env bats
# ig-sql --changes: a catalogue kept in step with the store's change log,
# in time proportional to the change; soft deletes and purges carried over;
# a killed sync resumes; PostgreSQL's COPY staging refuses by line

load helper

teardown() {
	pg_stop
}

# a SQLite catalogue that counts every row written to it, by table
counting_catalogue() {
	ig-sql --schema sqlite | sqlite3 cat.db
	sqlite3 cat.db "create table writes (t text, id text)"
	for t in batches generations generation_tasks metadata images; do
		sqlite3 cat.db "create trigger ${t}_i after insert on $t begin insert into writes values ('$t', new.id); end;
			create trigger ${t}_u after update on $t begin insert into writes values ('$t', new.id); end;"
	done
}
# the same record lines, whatever their order: a dump goes by id within a
# collection, an export by created_at
same_records() {
	cmp <(sort "$1") <(sort "$2")
}
theme() { # id name [is_deleted]: a theme line as a store prints it
	echo '{"collection":"themes","id":"'"$1"'","created_at":"2026-01-02T03:04:05.000000Z","updated_at":"2026-01-02T03:04:05.000000Z","is_deleted":'"${3:-false}"',"name":"'"$2"'","display_name":"X","config":{},"variables":{},"prompts":["p"],"styles":[]}'
}

@test "ig-sql --changes: the first run takes the whole store, the next only what changed since, the third nothing" {
	main_store
	counting_catalogue
	run -0 ig-sql --changes sqlite:cat.db
	assert_output "{\"changes\":$(wc -l <export.jsonl),\"refused\":0}"
	same_records <(ig-sql --dump sqlite:cat.db) export.jsonl
	sqlite3 cat.db "delete from writes"
	ig-query list images | head -2 | jq -c '{collection, id, description: "kept"}' | ig-record >/dev/null
	run -0 ig-sql --changes sqlite:cat.db
	assert_output '{"changes":2,"refused":0}'
	assert_equal "$(sqlite3 cat.db "select count(*) from writes")" 2
	assert_equal "$(sqlite3 cat.db "select count(*) from images where description = 'kept'")" 2
	run -0 ig-sql --changes sqlite:cat.db
	assert_output '{"changes":0,"refused":0}'
	assert_equal "$(sqlite3 cat.db "select count(*) from writes")" 2
	same_records <(ig-sql --dump sqlite:cat.db) <(ig-query export)
}

@test "ig-sql --changes: a soft delete updates the row, a purge deletes it, and a row still referred to stays" {
	A=01970000-0000-7000-8000-0000000000a1 B=01970000-0000-7000-8000-0000000000b1
	V=01970000-0000-7000-8000-0000000000c1
	{ theme $A arcane; theme $B frost
	  echo '{"collection":"theme_variations","id":"'"$V"'","theme_id":"'"$B"'","name":"night","display_name":"Night","config_override":{},"variable_override":{}}'; } | ig-record >/dev/null
	ig-sql --changes sqlite:cat.db >/dev/null
	{ theme $A arcane true; theme $B frost true; } | ig-record >/dev/null
	ig-sql --changes sqlite:cat.db >/dev/null
	assert_equal "$(sqlite3 cat.db "select name || ':' || is_deleted || ':' || (deleted_at is not null) from themes order by name")" \
		"$(printf 'arcane:1:1\nfrost:1:1')"
	run -0 ig-record --purge
	assert_output '{"purged":1,"kept":1}'
	run -0 ig-sql --changes sqlite:cat.db
	assert_output '{"changes":1,"refused":0}'
	assert_equal "$(sqlite3 cat.db "select name from themes")" frost
	same_records <(ig-sql --dump sqlite:cat.db) <(ig-query export)
}

@test "ig-sql --changes: killed in the middle, the catalogue says how far it got and the next run finishes the rest" {
	"$BATS_TEST_DIRNAME/../bench/mkdata.sh" 40000 100 | ig-record >/dev/null
	ig-sql --changes sqlite:cat.db >out 2>err &
	sql=$!
	for _ in $(seq 400); do
		[ "$(sqlite3 cat.db "select coalesce(max(seq), 0) from ig_sync" 2>/dev/null || echo 0)" -gt 0 ] && break
		sleep 0.02
	done
	kill -9 $sql
	wait $sql || true
	mark=$(sqlite3 cat.db "select seq from ig_sync")
	[ "$mark" -gt 0 ] && [ "$mark" -lt 40100 ]
	# what the mark says is in, is in: no more, no less
	assert_equal "$(sqlite3 cat.db "select (select count(*) from generations) + (select count(*) from metadata)")" "$mark"
	run -0 ig-sql --changes sqlite:cat.db
	assert_output "{\"changes\":$((40100 - mark)),\"refused\":0}"
	same_records <(ig-sql --dump sqlite:cat.db) <(ig-query export)
}

@test "ig-sql --changes: a store from before the change log is refused by a reader, and logged whole by the first writer" {
	main_store
	# the store's records and indexes, without the log: a store as an
	# earlier ig made it
	# (in hex: Debian's mdb_load misreads some escapes of mdb_dump -p)
	mkdir old
	mdb_stat -a "$IG_STORE" | sed -n 's/^Status of //p' | grep -v -e '^ig/' -e '^Main DB$' | while read -r db; do
		mdb_dump -s "$db" "$IG_STORE" | mdb_load -s "$db" old 2>/dev/null
	done
	[ "$(mdb_stat -a old | grep -c '^Status of ig/')" -eq 0 ]
	run -3 ig-sql -s old --changes sqlite:cat.db
	assert_output --partial "has no change log yet"
	ig-record -s old </dev/null
	run -0 ig-sql -s old --changes sqlite:cat.db
	assert_output "{\"changes\":$(wc -l <export.jsonl),\"refused\":0}"
	same_records <(ig-sql --dump sqlite:cat.db) export.jsonl
}

@test "ig-sql --changes: two stores sync into one PostgreSQL, each with its own mark" {
	pg_start
	{ theme 01970000-0000-7000-8000-0000000000a1 arcane; } | IG_STORE=$PWD/one ig-record >/dev/null
	{ theme 01970000-0000-7000-8000-0000000000b1 frost; theme 01970000-0000-7000-8000-0000000000b2 ember; } |
		IG_STORE=$PWD/two ig-record >/dev/null
	run -0 ig-sql -s one --changes dbname=postgres
	assert_output '{"changes":1,"refused":0}'
	run -0 ig-sql -s two --changes dbname=postgres
	assert_output '{"changes":2,"refused":0}'
	theme 01970000-0000-7000-8000-0000000000b2 embers | IG_STORE=$PWD/two ig-record >/dev/null
	run -0 ig-sql -s two --changes dbname=postgres
	assert_output '{"changes":1,"refused":0}'
	run -0 ig-sql -s one --changes dbname=postgres
	assert_output '{"changes":0,"refused":0}'
	assert_equal "$(psql -At -c "select string_agg(name, ' ' order by name) from themes")" "arcane embers frost"
	assert_equal "$(psql -At -c "select string_agg(seq::text, ' ' order by seq) from ig_sync")" "1 3"
}

@test "ig-sql: PostgreSQL's staged rows: the last line of an id wins, and a unique name refused names its line" {
	pg_start
	{ theme 01970000-0000-7000-8000-0000000000a1 arcane; theme 01970000-0000-7000-8000-0000000000a1 arcana
	  theme 01970000-0000-7000-8000-0000000000b1 frost; } >first.jsonl
	ig-sql dbname=postgres first.jsonl
	assert_equal "$(psql -At -c "select string_agg(name, ' ' order by name) from themes")" "arcana frost"
	{ theme 01970000-0000-7000-8000-0000000000c1 ember; theme 01970000-0000-7000-8000-0000000000c2 frost
	  theme 01970000-0000-7000-8000-0000000000c3 tide; } >second.jsonl
	run -1 --separate-stderr ig-sql dbname=postgres second.jsonl
	[[ "$stderr" == "ig-sql: second.jsonl:2: themes refuses it: "*themes_name_key* ]]
	assert_equal "$(psql -At -c "select string_agg(name, ' ' order by name) from themes")" "arcana ember frost tide"
}

@test "ig-sql: PostgreSQL's binary COPY leaves a value with no binary form to the row by row path, which names its line" {
	pg_start
	{ theme 01970000-0000-7000-8000-0000000000a1 arcane
	  echo '{"collection":"generations","id":"01970000-0000-7000-8000-000000000001","created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z","prompt":"p","output_path":"o.png","cost_usd":0.25}'
	  echo '{"collection":"images","id":"01970000-0000-7000-8000-0000000000e1","created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z","path":"/m.png","name":"m.png","url":"file:///m.png","width":3000000000,"height":1,"size":1}'
	  theme 01970000-0000-7000-8000-0000000000a2 frost; } >in.jsonl
	run -1 --separate-stderr ig-sql dbname=postgres in.jsonl
	[[ "$stderr" == "ig-sql: in.jsonl:3: images refuses it: "*"out of range for type integer"* ]]
	assert_equal "$(psql -At -c "select string_agg(name, ' ' order by name) from themes")" "arcane frost"
	assert_equal "$(psql -At -c "select cost_usd from generations")" 0.25
	same_records <(ig-sql --dump dbname=postgres | grep -v '"images"') <(grep -v '"images"' in.jsonl | ig-record --strict -s copy >/dev/null; ig-query -s copy export)
}

@test "ig-sql: PostgreSQL keeps a JSON field's text aside only where jsonb would change it, and every one comes back as it went" {
	pg_start
	{ echo '{"collection":"generations","id":"01970000-0000-7000-8000-000000000001","prompt":"p","output_path":"o.png","params":{"n":1,"ab":[{"b":1,"a":2}]}}'
	  echo '{"collection":"generations","id":"01970000-0000-7000-8000-000000000002","prompt":"p","output_path":"o.png","params":{"n":-0,"s":"x"}}'
	  echo '{"collection":"generations","id":"01970000-0000-7000-8000-000000000003","prompt":"p","output_path":"o.png","params":{"s":"x","ab":{"a":1,"b":[1.5,null]}}}'; } |
		ig-record --strict >/dev/null
	ig-query export >export.jsonl
	ig-sql dbname=postgres export.jsonl
	# key order jsonb keeps, and no -0: no second copy
	assert_equal "$(psql -At -c "select id, ig_source is not null from generations order by id" | tr '\n' ' ')" \
		"01970000-0000-7000-8000-000000000001|t 01970000-0000-7000-8000-000000000002|$(grep -q '"n":-0' export.jsonl && echo t || echo f) 01970000-0000-7000-8000-000000000003|f "
	same_records <(ig-sql --dump dbname=postgres) export.jsonl
}
