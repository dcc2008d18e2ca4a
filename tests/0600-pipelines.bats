#!/usr/bin/env bats
# pipelines/: the main job and the nightly check, as people run them

load helper

PIPES="$BATS_TEST_DIRNAME/../pipelines"

@test "pipelines/main: plans, generates, grids, records and round-trips its batch offline" {
	run -0 "$PIPES/main" work
	assert_regex "$output" "^main: batch [0-9a-f-]{36} is done: 16 images in work/maps, 8 of them gridded"
	assert_equal "$(find work/maps -name '*.grid.png' | wc -l)" 8
	assert_equal "$(find work/maps -name '*.grid.uvtt' | wc -l)" 8
	assert_equal "$(find work/maps -name '*.png' | wc -l)" 16
}

@test "pipelines/main: ends with the batch's gallery and contact sheet, and says where they are" {
	run -0 "$PIPES/main" work
	assert_line "main: see it in file://$PWD/work/gallery/index.html (keep or reject, then pipelines/review) and $PWD/work/sheet.png"
	assert_equal "$(ls work/gallery/thumbs | wc -l)" 16
	assert_equal "$(grep -c '"k":' work/gallery/index.html)" 16
	# 16 tiles of 256 px in six columns: three rows
	assert_equal "$(identify -format %wx%h work/sheet.png)" "$((8 + 6 * 264))x$((8 + 3 * (256 + 2 + 36 + 8)))"
}

@test "pipelines/review: a gallery's marks are recorded and each rejected image's job is made again once, with a new seed" {
	"$PIPES/main" work >/dev/null
	export IG_STORE=$PWD/work/store
	ig-query list --where '.origin != null' images | head -2 | jq -c '{collection, id}' >two
	{ sed -n 1p two | jq -c '. + {review: "reject"}'; sed -n 2p two | jq -c '. + {review: "keep"}'; } >marks.jsonl
	rejected=$(sed -n 1p two | jq -r .id)
	job=$(ig-query get "$rejected" | jq -r .generation_id)
	run -0 "$PIPES/review" marks.jsonl work
	assert_output --partial "review: 1 kept, 1 rejected, 1 jobs taken again"
	retake=$(ig-query list --where ".params.retake_of == \"$job\"" generations)
	assert_equal "$(jq -r .status <<<"$retake")" done
	assert_equal "$(jq -r .params.seed <<<"$retake")" $((($(ig-query get "$job" | jq -r .params.seed) + 1000003) % 2147483647))
	[ -s "work/$(jq -r .output_path <<<"$retake")" ]
	assert_equal "$(ig-query get "$(jq -r .batch_id <<<"$retake")" | jq -r .status)" done
	"$PIPES/review" marks.jsonl work >/dev/null
	assert_equal "$(ig-query list --where '.params.retake_of != null' generations | wc -l)" 1
	"$BATS_TEST_DIRNAME/check-store" "$IG_STORE"
}

@test "pipelines/main: a second run redoes nothing" {
	"$PIPES/main" work >/dev/null
	find work/maps -name '*.png' -exec touch -d 2001-01-01 {} +
	run -0 "$PIPES/main" work
	assert_equal "$(find work/maps -name '*.png' -newermt 2002-01-01 | wc -l)" 0
}

@test "pipelines/nightly: silent on a sound store, one line and exit 1 for a rotted file" {
	"$PIPES/main" work >/dev/null
	run -0 "$PIPES/nightly" work/store
	assert_output ""
	f=$(find work/maps -name '*.png' | head -1)
	printf 'x' | dd of="$f" bs=1 seek=200 conv=notrunc status=none
	run -1 --separate-stderr "$PIPES/nightly" work/store
	assert_regex "$stderr" "^ig-hash: work/store:[0-9a-f-]{36}: $PWD/$f: content changed"
	assert_equal "$(wc -l <<<"$stderr")" 1
}

@test "pipelines/nightly: run from / on the main job's store, as cron does, finds every image" {
	"$PIPES/main" work >/dev/null
	store=$PWD/work/store
	run -0 --separate-stderr bash -c "cd / && '$PIPES/nightly' '$store'"
	assert_equal "$stderr" ""
	assert_equal "$(IG_STORE=$store ig-query list images | jq -r '.path | startswith("/")' | sort -u)" true
}

@test "pipelines/main: the store tells the truth afterwards, and time runs forward" {
	"$PIPES/main" work >/dev/null
	IG_STORE=$PWD/work/store run -0 "$BATS_TEST_DIRNAME/check-store"
}

@test "pipelines/batch: submitted in the evening, collected from cron until every map is in, gridded and recorded" {
	env MOCK_KEY=batch-key-31 MOCK_BATCH_POLLS=1 MOCK_IMAGE_BYTES=100000 python3 "$BATS_TEST_DIRNAME/mock_image_api.py" port mock.log &
	mock=$!
	for _ in $(seq 200); do [ -s port ] && break; sleep 0.05; done
	export IG_ENDPOINT="http://127.0.0.1:$(cat port)" GEMINI_API_KEY=batch-key-31
	run -0 "$PIPES/batch" submit work
	assert_output "batch: 8 jobs held by 1 remote batches"
	run -0 "$PIPES/batch" collect work
	assert_output "batch: 0 done, 8 still held by remote batches, 0 queued"
	run -0 "$PIPES/batch" collect work
	kill $mock
	assert_output "batch: 8 done, 0 still held by remote batches, 0 queued"
	assert_equal "$(find work/maps -name '*.grid.uvtt' | wc -l)" 8
	assert_equal "$(ig-query list --where '.status == "running"' generations | wc -l)" 0
	IG_STORE=work/store "$BATS_TEST_DIRNAME/check-store"
}
