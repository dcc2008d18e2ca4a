#!/usr/bin/env bats
# ig-gen and the Gemini Batch API: --batch submits, --collect settles from
# cron, --cancel; against tests/mock_batch.py, with the store checked after

load helper

KEY=mock-secret-5b1e
RUNNING='.status == "running" and ((.claimed_by // "") | startswith("remote:"))'

teardown() {
	[ -z "${MOCK_PID:-}" ] || kill "$MOCK_PID" 2>/dev/null || true
}

start_mock() { # [VAR=value ...]: a batch ends at its first poll unless MOCK_BATCH_POLLS says
	env MOCK_KEY=$KEY MOCK_BATCH_POLLS=0 "$@" python3 "$BATS_TEST_DIRNAME/mock_image_api.py" port mock.log &
	MOCK_PID=$!
	for _ in $(seq 200); do [ -s port ] && break; sleep 0.05; done
	ENDPOINT="http://127.0.0.1:$(cat port)"
}

id_of() { printf '01970000-0000-7000-8000-%012d' "$1"; }
bjob() { # n prompt [config]
	printf '{"collection":"generations","id":"%s","status":"queued","prompt":"%s","output_path":"out/%s.png","params":{"seed":%s,"config":%s}}\n' \
		"$(id_of "$1")" "$2" "$1" "$1" "${3:-{\}}"
}
gemini() {
	GEMINI_API_KEY=$KEY ig-gen --endpoint "$ENDPOINT" --retry-delay 0.05 "$@"
}
# queued jobs recorded, then submitted, the submission recorded
submit() { # jobs file
	ig-record --strict <"$1" >/dev/null
	gemini --batch "$1" >submitted
	ig-record --strict <submitted >/dev/null
}
# what cron runs: the jobs a remote batch holds, collected, recorded
collect() {
	ig-query list --where "$RUNNING" generations | gemini --collect "$@" >collected
	ig-record --strict <collected >/dev/null
}
stored() { # n jq: a stored job's field
	ig-query get "$(id_of "$1")" | jq -r "$2"
}
task_of() { # n jq: its task's field
	ig-query list --of "$(id_of "$1")" generation_tasks | jq -r "$2"
}
creates() { jq -c 'select(.create)' mock.log; }

@test "ig-gen --batch: the jobs run in one inline batch, each keyed by its id with the online request, and the store says the batch holds them" {
	start_mock
	for i in 1 2 3; do bjob $i "tower $i" '{"aspect_ratio":"16:9"}'; done >jobs
	submit jobs
	assert_equal "$(creates | jq -r '.mode')" inline
	assert_equal "$(creates | jq -r '.lines[].key' | tr '\n' ' ')" "$(id_of 1) $(id_of 2) $(id_of 3) "
	assert_equal "$(creates | jq -c '.lines[1].request')" \
		'{"contents":[{"role":"user","parts":[{"text":"tower 2"}]}],"generationConfig":{"responseModalities":["TEXT","IMAGE"],"imageConfig":{"aspectRatio":"16:9"},"seed":2}}'
	for i in 1 2 3; do
		assert_equal "$(stored $i '[.status, .claimed_by, .params.remote_batch] | join(" ")')" \
			"running remote:gemini:batches/b-1 batches/b-1"
		assert_equal "$(task_of $i '[.status, .params.remote_batch, .attempts] | join(" ")')" "running batches/b-1 1"
	done
	"$BATS_TEST_DIRNAME/check-store"
}

@test "ig-gen --batch: requests past 20 MB go as a JSONL file through the Files API's resumable upload" {
	start_mock
	# a 16 MB reference sent with each of two jobs: 43 MB of base64 in all
	head -c 12000000 /dev/urandom | $IM -size 2000x2000 -depth 8 rgb:- big.png
	for i in 1 2; do bjob $i "hero $i" '{"references":[{"path":"'"$PWD"'/big.png","role":"character"}]}'; done >jobs
	submit jobs
	run jq -c 'select(.upload)' mock.log
	assert_equal "$(echo "$output" | jq -r .upload | tr '\n' ' ')" "start finalize "
	assert_equal "$(echo "$output" | head -1 | jq -r .mime)" application/jsonl
	assert_equal "$(echo "$output" | head -1 | jq -r .size)" "$(echo "$output" | tail -1 | jq -r .bytes)"
	assert_equal "$(creates | jq -r '.mode')" file
	assert_equal "$(creates | jq -r '.lines[].key' | tr '\n' ' ')" "$(id_of 1) $(id_of 2) "
	assert_equal "$(creates | jq -r '.lines[0].request.contents[0].parts[1].inlineData.data.sha256')" \
		"$(sha256sum big.png | cut -d' ' -f1)"
	assert_equal "$(stored 2 .status)" running
}

@test "ig-gen --batch: a job's uploaded request is the very body the online path sends for it" {
	start_mock
	bjob 1 "keep [fixed]" '{"aspect_ratio":"3:2","request":{"generationConfig":{"temperature":0.5}}}' >jobs
	IG_STORE=online-store gemini --backend gemini jobs >/dev/null
	ig-record --strict <jobs >/dev/null
	gemini --batch --inline-max 0 jobs | ig-record --strict >/dev/null
	online=$(jq -c 'select(.path | endswith(":generateContent")) | .body' mock.log)
	[ -n "$online" ]
	assert_equal "$(creates | jq -c '.lines[0].request')" "$online"
	assert_equal "$(creates | jq -r .mode)" file
}

@test "ig-gen: a job a remote batch holds is not run online, nor given back by recovery" {
	start_mock
	bjob 1 "tower" >jobs
	submit jobs
	ig-query list generations | gemini >online
	ig-record --strict <online >/dev/null
	assert_equal "$(grep -c generateContent mock.log)" 0
	assert_equal "$(stored 1 .status)" running
	assert_equal "$(stored 1 .claimed_by)" remote:gemini:batches/b-1
}

@test "ig-gen --collect: while the batch runs its lines pass on unchanged" {
	start_mock MOCK_BATCH_POLLS=5
	bjob 1 a >jobs
	bjob 2 b >>jobs
	submit jobs
	ig-query list --where "$RUNNING" generations >lines
	gemini --collect lines >out
	cmp lines out
	assert_equal "$(jq -r 'select(.poll) | .state' mock.log)" RUNNING
}

@test "ig-gen --collect: a succeeded batch's images are written with their records, at the batch price" {
	start_mock
	for i in 1 2 3; do bjob $i "tower $i"; done >jobs
	submit jobs
	collect
	for i in 1 2 3; do
		assert_equal "$(stored $i '[.status, .claimed_by] | join(" ")')" "done "
		assert_equal "$(stored $i .cost_usd)" 0.01935
		assert_equal "$(task_of $i .status)" done
		run ig-query list --of "$(id_of $i)" metadata
		assert_equal "$(echo "$output" | jq -r .cost_usd)" 0.01935
		assert_equal "$(echo "$output" | jq -r .params.wire.batch)" batches/b-1
		assert_equal "$(ig-query list images | jq -r "select(.path == \"$PWD/out/$i.png\") | .sha256")" \
			"$(sha256sum out/$i.png | cut -d' ' -f1)"
	done
	exiftool -s3 -Parameters out/2.png | grep -q 'tower 2'
	"$BATS_TEST_DIRNAME/check-store"
}

@test "ig-gen --collect: collecting the same batch again changes nothing" {
	start_mock
	for i in 1 2; do bjob $i "tower $i"; done >jobs
	submit jobs
	ig-query list --where "$RUNNING" generations >lines
	gemini --collect lines >first
	ig-record --strict <first >/dev/null
	ig-query export >before
	sha256sum out/*.png >sums
	gemini --collect lines >second
	ig-record --strict <second >/dev/null
	ig-query export >after
	cmp before after
	sha256sum -c sums
	assert_equal "$(jq -r 'select(.collection == "images")' second)" ""
}

@test "ig-gen --collect: a per-line error ends its job in error, a transient one queues it again, a missing answer is an error" {
	start_mock
	bjob 1 "fine" >jobs
	bjob 2 "bad [line-error]" >>jobs
	bjob 3 "busy [line-retry]" >>jobs
	bjob 4 "rude [blocked]" >>jobs
	bjob 5 "lost [no-answer]" >>jobs
	submit jobs
	ig-query list --where "$RUNNING" generations >lines
	run -1 gemini --collect lines
	echo "$output" | grep '^{' | ig-record --strict >/dev/null
	assert_equal "$(stored 1 .status) $(stored 2 .status) $(stored 3 .status) $(stored 4 .status) $(stored 5 .status)" \
		"done error queued error error"
	assert_equal "$(task_of 2 .last_error)" "the batch's answer: error 3: INVALID_ARGUMENT: bad request"
	assert_equal "$(task_of 3 '[.status, .last_error] | join(": ")')" "pending: the batch's answer: error 13: INTERNAL: try later"
	assert_equal "$(stored 3 '.params.remote_batch // "none"')" none
	assert_equal "$(task_of 4 .last_error)" "prompt blocked: PROHIBITED_CONTENT"
	assert_equal "$(task_of 5 .last_error)" "the batch's results hold no answer for it"
	"$BATS_TEST_DIRNAME/check-store"
}

@test "ig-gen --collect: an expired batch's jobs are queued again with the state as the reason, and an online run finishes them" {
	start_mock
	bjob 1 "tower [expire]" >jobs
	bjob 2 "keep" >>jobs
	submit jobs
	collect
	for i in 1 2; do
		assert_equal "$(stored $i '[.status, .claimed_by // "", .params.remote_batch // ""] | join(" ")')" "queued  "
		assert_equal "$(task_of $i '[.status, .last_error] | join(": ")')" \
			"pending: the remote batch batches/b-1 ended EXPIRED"
	done
	ig-query list --where '.status == "queued"' generations | gemini --backend gemini >online
	ig-record --strict <online >/dev/null
	assert_equal "$(stored 1 .status) $(stored 2 .status)" "done done"
	"$BATS_TEST_DIRNAME/check-store"
}

@test "ig-gen --cancel: the remote batch is cancelled and its jobs are queued again" {
	start_mock MOCK_BATCH_POLLS=100
	bjob 1 a >jobs
	submit jobs
	ig-query list --where "$RUNNING" generations | gemini --cancel >cancelled
	ig-record --strict <cancelled >/dev/null
	assert_equal "$(jq -r 'select(.cancel) | .cancel' mock.log)" batches/b-1
	assert_equal "$(stored 1 .status)" queued
	assert_equal "$(task_of 1 .last_error)" "the remote batch batches/b-1 ended CANCELLED"
}

@test "ig-gen --collect: a collect killed half-way leaves the rest held, and the next one writes only what was not written" {
	start_mock MOCK_BATCH_LINE_DELAY=0.4
	for i in 1 2 3 4 5 6; do bjob $i "tower $i"; done >jobs
	ig-record --strict <jobs >/dev/null
	gemini --batch --inline-max 0 jobs | ig-record --strict >/dev/null
	assert_equal "$(creates | jq -r .mode)" file
	ig-query list --where "$RUNNING" generations >lines
	(gemini --collect lines | tee collected.part | ig-record --strict >/dev/null) &
	pipeline=$!
	# killed once a job's record is out: its file is synced before it, so
	# files on disk alone do not say a record has left
	for _ in $(seq 200); do
		grep -q '^{"collection":"generations",.*"status":"done"' collected.part 2>/dev/null && break
		sleep 0.05
	done
	pkill -KILL -f 'ig-gen --endpoint .* --collect'
	wait "$pipeline" || true
	done_first=$(ig-query list --where '.status == "done"' generations | jq -r .output_path | sort)
	[ -n "$done_first" ]
	[ "$(echo "$done_first" | wc -l)" -lt 6 ]
	for p in $done_first; do stat -c '%n %Y %i' "$p"; done >first.stat
	assert_equal "$(stored 6 .status)" running
	collect
	assert_equal "$(ig-query list --where '.status == "done"' generations | wc -l)" 6
	for p in $done_first; do stat -c '%n %Y %i' "$p"; done | cmp - first.stat
	ls -A out | grep -v '\.png$' && false
	"$BATS_TEST_DIRNAME/check-store"
}

@test "ig-gen --batch: a 429 on create is tried again after its RetryInfo" {
	start_mock
	bjob 1 "tower [batch-429-once]" >jobs
	submit jobs
	assert_equal "$(jq -r 'select(.create) | .create' mock.log | tr '\n' ' ')" "429 batches/b-1 "
	assert_equal "$(stored 1 .status)" running
}

@test "ig-gen --batch: the day's quota on create stops cleanly, the jobs queued with the reason" {
	start_mock
	bjob 1 "tower [batch-per-day]" >jobs
	ig-record --strict <jobs >/dev/null
	run -3 gemini --batch jobs
	echo "$output" | grep -v '^{' | grep -q 'Quota exceeded for the day'
	echo "$output" | grep '^{' | ig-record --strict >/dev/null
	assert_equal "$(stored 1 .status)" queued
	assert_equal "$(task_of 1 .last_error)" "HTTP 429: Quota exceeded for the day."
}

@test "ig-gen --batch: a wrong key is not tried again and never shows" {
	start_mock
	bjob 1 tower >jobs
	ig-record --strict <jobs >/dev/null
	run -3 env GEMINI_API_KEY=wrong-key-9f3c ig-gen --endpoint "$ENDPOINT" --retry-delay 0.05 --batch jobs
	assert_equal "$(grep -c batchGenerateContent mock.log)" 1
	echo "$output" | grep -q 'HTTP 403: Permission denied'
	echo "$output" | grep '^{' | ig-record --strict >/dev/null
	assert_equal "$(stored 1 .status)" queued
	run grep -r wrong-key-9f3c "$IG_STORE" mock.log
	assert_failure
	[[ "$output" != *wrong-key* ]]
}
