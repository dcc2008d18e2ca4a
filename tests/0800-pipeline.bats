#!/usr/bin/env bats
# The composed pipeline under faults: ig-plan | ig-gen | ig-record against the
# loopback Gemini stand-in, run from a directory that holds neither the store
# nor the images. After every run and re-run, tests/check-store asserts the
# contract of ig(7): nothing left running, batches derived over all their
# jobs, time running forward, every done image on disk with its sha256.

load helper

KEY=mock-secret-8d2e
CHECK="$BATS_TEST_DIRNAME/check-store"

teardown() {
	for p in ${MOCKS:-}; do kill "$p" 2>/dev/null || true; done
}

# a fresh stand-in, its faults from the environment; its answered prompts in served.N
start_mock() { # n
	rm -f "port.$1"
	MOCK_KEY=$KEY MOCK_SERVED=$BATS_TEST_TMPDIR/served.$1 python3 "$BATS_TEST_DIRNAME/mock_image_api.py" "port.$1" "mock.$1.log" &
	MOCKS="${MOCKS:-} $!"
	for _ in $(seq 100); do [ -s "port.$1" ] && break; sleep 0.05; done
	ENDPOINT="http://127.0.0.1:$(cat "port.$1")"
	touch "$BATS_TEST_TMPDIR/served.$1"
}

# the store and the images live elsewhere: the pipeline runs from cwd/
setup_pipeline() { # jobs [prompt suffix] [output extension]
	export IG_STORE=$BATS_TEST_TMPDIR/store
	IMAGES=$BATS_TEST_TMPDIR/images
	ig-record <"$BATS_TEST_DIRNAME/../db/library.jsonl" >/dev/null
	vals=$(seq -s, 1 "$1")
	echo '{"batch":"b","theme":"fantasy","prompt":"room {i}'"${2:-}"'","vars":{"i":['"$vals"']},"seed":1,"size":"64x48","output":"maps/{n}.'"${3:-png}"'","type":"map"}' >plan
	mkdir -p cwd
	cd cwd || return 1
}

# only ever inside a pipeline: exec, so that no subshell keeps the pipe open
# after ig-gen has closed its end
gen() {
	GEMINI_API_KEY=$KEY exec ig-gen --backend gemini --endpoint "$ENDPOINT" --retry-delay 0.05 --out-dir "$IMAGES" "$@"
}

queued() {
	ig-query list --where '.status == "queued"' generations
}

count() { # status
	ig-query list --where ".status == \"$1\"" generations | wc -l
}

# prompts answered in the later run that were done already after the earlier one
paid_twice() { # served-file done-prompts-file
	sort -u "$2" | comm -12 - <(sort -u "$1")
}

done_prompts() {
	ig-query list --where '.status == "done"' generations | jq -r .prompt
}

# After a faulted run: the store tells the truth, and a re-run (through
# the plan, or the store's queued jobs) finishes every job without asking
# again for one that was done.
rerun_finishes() { # jobs plan|queued
	assert_equal "$(count running)" 0
	run -0 "$CHECK"
	done_prompts >done.1
	start_mock 2
	if [ "$2" = plan ]; then ig-plan ../plan; else queued; fi | gen --jobs 4 | ig-record --strict >/dev/null
	assert_equal "$(count done)" "$1"
	run -0 "$CHECK"
	assert_equal "$(paid_twice ../served.2 done.1)" ""
}

@test "pipeline: a clean run ends with every job done and the store telling the truth" {
	setup_pipeline 6
	start_mock 1
	ig-plan ../plan | gen --jobs 3 | ig-record --strict >rec
	assert_equal "$(count done)" 6
	run -0 "$CHECK" ../served.1
	assert_equal "$(wc -l <../served.1)" 6
	assert_equal "$(ig-query list batches | jq -r .status)" done
}

@test "pipeline: a per-day quota mid-batch leaves the rest queued, and a re-run finishes without paying twice" {
	setup_pipeline 10
	MOCK_QUOTA_AFTER=4 start_mock 1
	echo '{"note":"after the jobs"}' >trailer
	cat trailer | { ig-plan ../plan; cat; } | gen --jobs 1 2>err | ig-record --strict >rec
	grep -q "Quota exceeded for the day" err
	assert_equal "$(grep -c '^{"note":"after the jobs"}$' rec)" 1
	assert_equal "$(count done) $(count queued) $(count running)" "4 6 0"
	run -0 "$CHECK"
	assert_equal "$(ig-query list batches | jq -r .status)" running
	done_prompts >done.1
	start_mock 2
	queued | gen --jobs 3 | ig-record --strict >/dev/null
	assert_equal "$(count done)" 10
	run -0 "$CHECK"
	assert_equal "$(paid_twice ../served.2 done.1)" ""
	assert_equal "$(ig-query list batches | jq -r .status)" done
}

@test "pipeline: the quota stop's output, line by line, is what ig-record --strict takes" {
	setup_pipeline 5
	MOCK_QUOTA_AFTER=2 start_mock 1
	run -3 --separate-stderr bash -c "ig-plan ../plan | GEMINI_API_KEY=$KEY ig-gen --backend gemini --endpoint $ENDPOINT --retry-delay 0.05 --out-dir $IMAGES --jobs 1"
	ig-record --strict <<<"$output" >/dev/null
	assert_equal "$(jq -r 'select(.collection == "generations") | .status' <<<"$output" | sort | uniq -c | awk '{print $2 $1}' | tr '\n' ' ')" \
		"done2 queued3 running3 "
}

# ig-gen and ig-record joined by a fifo, so that either can be signalled
pipe_in_background() { # gen options...
	mkfifo fifo
	ig-plan ../plan >planned
	echo '{"note":"after the jobs"}' >>planned
	# a simple command, so that $! is ig-gen itself, not a subshell
	GEMINI_API_KEY=$KEY ig-gen --backend gemini --endpoint "$ENDPOINT" --retry-delay 0.05 --out-dir "$IMAGES" \
		"$@" <planned >fifo 2>gen.err &
	GEN_PID=$!
	ig-record --strict <fifo >rec 2>rec.err &
	REC_PID=$!
}

@test "pipeline: SIGTERM mid-batch gives back what was started, passes the rest on, and a re-run finishes" {
	setup_pipeline 12
	MOCK_LATENCY=0.3 start_mock 1
	pipe_in_background --jobs 2
	sleep 1
	kill -TERM "$GEN_PID"
	st=0; wait "$GEN_PID" || st=$?
	assert_equal "$st" 143
	wait "$REC_PID"
	assert_equal "$(grep -c '^{"note":"after the jobs"}$' rec)" 1
	assert_equal "$(( $(count done) + $(count queued) ))" 12
	rerun_finishes 12 queued
}

@test "pipeline: SIGKILL of ig-gen at a random moment leaves nothing running, and a re-run finishes" {
	setup_pipeline 12
	MOCK_LATENCY=0.2 start_mock 1
	pipe_in_background --jobs 3
	sleep "0.$(( RANDOM % 9 + 1 ))"
	kill -KILL "$GEN_PID"
	wait "$GEN_PID" || true
	wait "$REC_PID"
	# jobs it never read are in no store: the plan names them all
	rerun_finishes 12 plan
}

@test "pipeline: SIGKILL of ig-record at a random moment: ig-gen stops, puts the store right, and a re-run finishes" {
	setup_pipeline 12
	MOCK_LATENCY=0.2 start_mock 1
	pipe_in_background --jobs 3
	sleep "0.$(( RANDOM % 9 + 1 ))"
	kill -KILL "$REC_PID"
	wait "$REC_PID" || true
	st=0; wait "$GEN_PID" || st=$?
	assert_equal "$st" 3
	rerun_finishes 12 plan
}

@test "pipeline: a 429 storm is waited out and every job ends done" {
	setup_pipeline 6
	MOCK_429_FIRST=8 start_mock 1
	ig-plan ../plan | gen --jobs 2 --retries 6 | ig-record --strict >/dev/null
	assert_equal "$(count done)" 6
	run -0 "$CHECK" ../served.1
	assert_equal "$(ig-query list generation_tasks | jq -s 'map(.attempts) | add')" 14
}

@test "pipeline: retries spent on a storm leave the jobs queued (exit 3), not in error" {
	setup_pipeline 3
	MOCK_429_FIRST=100 start_mock 1
	run -3 bash -c "ig-plan ../plan | GEMINI_API_KEY=$KEY ig-gen --backend gemini --endpoint $ENDPOINT --retry-delay 0.01 --retries 1 --out-dir $IMAGES | ig-record --strict >/dev/null; exit \${PIPESTATUS[1]}"
	assert_equal "$(count queued) $(count error)" "3 0"
	run -0 "$CHECK"
}

@test "pipeline: a truncated answer is retried and the job ends done" {
	setup_pipeline 3 " [truncate-once]"
	start_mock 1
	ig-plan ../plan | gen --jobs 3 | ig-record --strict >/dev/null
	assert_equal "$(count done)" 3
	run -0 "$CHECK" ../served.1
}

@test "pipeline: a JPEG answer keeps its provenance, and a re-run asks nothing again" {
	"$IM" -size 16x8 xc:blue "$BATS_TEST_TMPDIR/answer.jpg"
	setup_pipeline 2 " [jpeg]" jpg
	MOCK_JPEG=$BATS_TEST_TMPDIR/answer.jpg start_mock 1
	ig-plan ../plan | gen | ig-record --strict >/dev/null
	f=$IMAGES/maps/1.jpg
	assert_equal "$(exiftool -s3 -XMP-iptcExt:DigitalSourceType "$f")" \
		http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia
	exiftool -s3 -Comment "$f" | grep -q "Size: 16x8, Model: gemini-2.5-flash-image"
	assert_equal "$(exiftool -s3 -XMP-ig:Metadata "$f" | jq -r .generation_id)" \
		"$(ig-query list generations | jq -r 'select(.output_path == "maps/1.jpg") | .id')"
	start_mock 2
	ig-plan ../plan | gen | ig-record --strict >/dev/null
	assert_equal "$(wc -l <../served.2)" 0
	run -0 "$CHECK"
}

@test "pipeline: two runs started together on the same queued jobs send each job once" {
	setup_pipeline 16
	MOCK_LATENCY=0.1 start_mock 1
	ig-plan ../plan | ig-record >/dev/null
	queued >list
	gen --jobs 4 <list | ig-record --strict >one 2>one.err &
	a=$!
	gen --jobs 4 <list | ig-record --strict >two 2>two.err &
	b=$!
	wait "$a"
	wait "$b"
	assert_equal "$(count done)" 16
	assert_equal "$(sort ../served.1 | uniq -d)" ""
	assert_equal "$(wc -l <../served.1)" 16
	run -0 "$CHECK"
}

@test "pipeline: a job refused before it starts ends in error, and so does its batch at its end" {
	setup_pipeline 2
	start_mock 1
	ig-plan ../plan | jq -c 'if .collection == "generations" and .output_path == "maps/2.png" then .output_path = "../escape.png" else . end' |
		gen 2>err | ig-record --strict >/dev/null
	assert_equal "$(count done) $(count error)" "1 1"
	assert_equal "$(ig-query list batches | jq -r .status)" error
	run -0 "$CHECK"
}

@test "pipeline: a write that fails (a full disk, here a file size limit) leaves the jobs queued and exits 3" {
	setup_pipeline 3
	ig-record </dev/null
	# SIGXFSZ ignored, so the write fails with EFBIG as a full disk's does with ENOSPC
	run -3 --separate-stderr bash -c "ig-plan ../plan | jq -c 'if .params then .params.size = \"1024x1024\" else . end' |
		(trap '' XFSZ; ulimit -f 4; exec ig-gen --out-dir '$IMAGES') | ig-record --strict >/dev/null; exit \${PIPESTATUS[2]}"
	assert_regex "$stderr" "File too large \(it stays queued\)"
	assert_equal "$(count queued) $(count error) $(count running)" "3 0 0"
	run -0 "$CHECK"
	ig-plan ../plan | jq -c 'if .params then .params.size = "1024x1024" else . end' | ig-gen --out-dir "$IMAGES" | ig-record --strict >/dev/null
	assert_equal "$(count done)" 3
}
