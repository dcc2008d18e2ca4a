#!/usr/bin/env bats
# ig-gen: queued jobs into images, with every record of their story

load helper

KEY=mock-secret-4f1c

teardown() {
	[ -z "${MOCK_PID:-}" ] || kill "$MOCK_PID" 2>/dev/null || true
}

start_mock() {
	MOCK_KEY=$KEY python3 "$BATS_TEST_DIRNAME/mock_image_api.py" port mock.log &
	MOCK_PID=$!
	for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
	ENDPOINT="http://127.0.0.1:$(cat port)"
}

job() { # n prompt [extra fields]
	printf '{"collection":"generations","id":"01960000-0000-7000-8000-%012d","status":"queued","prompt":"%s","output_path":"out/%s.png","params":{"seed":%s,"size":"64x48","type":"map"%s}%s}\n' \
		"$1" "$2" "$1" "$1" "${4:-}" "${3:+,$3}"
}

gemini() {
	GEMINI_API_KEY=$KEY ig-gen --backend gemini --endpoint "$ENDPOINT" --retry-delay 0.05 "$@"
}

last_of() { # id collection: the last line of that record
	jq -c "select(.collection == \"$2\" and (.id == \"$1\" or .generation_id == \"$1\"))" | tail -1
}

ID1=01960000-0000-7000-8000-000000000001
ID2=01960000-0000-7000-8000-000000000002

# Argument checking

@test "ig-gen: an unknown backend is a usage error" {
	run -2 ig-gen --backend dalle </dev/null
	assert_output "ig-gen: --backend is placeholder, gemini or openai, not dalle"
}

@test "ig-gen: gemini against Google needs a key, from the environment or a file" {
	run -2 env -u GEMINI_API_KEY ig-gen --backend gemini </dev/null
	assert_output "ig-gen: gemini needs a key: GEMINI_API_KEY, or --key-file"
}

# The placeholder backend (the default, offline)

@test "ig-gen: the default backend writes a real PNG of the job's size, offline" {
	job 1 "a keep" >in
	run -0 ig-gen in
	assert_equal "$(identify -format '%m %wx%h' out/1.png)" "PNG 64x48"
}

@test "ig-gen: a job prints running, then done with finished_at" {
	job 1 "a keep" >in
	ig-gen in >lines
	assert_equal "$(jq -r 'select(.collection == "generations") | .status' lines | tr '\n' ' ')" "running done "
	[[ $(last_of "$ID1" generations <lines | jq -r .finished_at) =~ Z$ ]]
}

@test "ig-gen: placeholders are the same for the same prompt and seed, and differ otherwise" {
	pixels() { identify -format '%#' "$1"; }
	{ job 1 "a keep"; job 2 "a keep"; } >in
	ig-gen in >/dev/null
	first=$(pixels out/1.png)
	rm -r out
	ig-gen in >/dev/null
	assert_equal "$(pixels out/1.png)" "$first"
	[ "$(pixels out/2.png)" != "$first" ]
	job 3 "a tower" | sed 's/"seed":3/"seed":1/' | ig-gen >/dev/null
	[ "$(pixels out/3.png)" != "$first" ]
}

@test "ig-gen: a placeholder of 1024 x 1024" {
	job 1 "big" | sed 's/64x48/1024x1024/' | ig-gen >/dev/null
	assert_equal "$(identify -format '%wx%h' out/1.png)" 1024x1024
}

@test "ig-gen: a placeholder says what it stands for, legibly from 64 to 4096 pixels: OCR reads its element, size and batch number" {
	for size in 64x64 1024x1024 4096x4096; do
		job 7 "a ruined keep" "" ',"theme":"fantasy","variation":"feywild","elements":["watchtower"],"batch":"towers","n":7' |
			sed "s/64x48/$size/" | ig-gen >/dev/null
		$IM out/7.png -filter point -resize 1024x1024 ocr.png
		run -0 tesseract ocr.png - 2>/dev/null
		assert_output --partial WATCHTOWER
		assert_output --partial "TOWERS #7"
		rm -r out "$IG_STORE"
	done
	# the size, read at the size where its digits are largest
	assert_output --partial 4096x4096
}

@test "ig-gen: with SOURCE_DATE_EPOCH set, the same job makes the same bytes, in another store and another second" {
	job 1 "a keep" >in
	SOURCE_DATE_EPOCH=1700000000 IG_STORE=one ig-gen --out-dir a in >/dev/null
	sleep 1
	SOURCE_DATE_EPOCH=1700000000 IG_STORE=two ig-gen --out-dir b in >/dev/null
	cmp a/out/1.png b/out/1.png
	assert_equal "$(IG_STORE=one ig-gen --out-dir c in | jq -r 'select(.collection == "metadata") | .timestamp' | cut -c1-4)" "$(date -u +%Y)"
	[[ "$(strings a/out/1.png | grep -o '"timestamp":"[^"]*"')" == '"timestamp":"2023-11-14T22:13:20.000000Z"' ]]
}

@test "ig-gen: metadata, images and task records carry the job's story, and ig-record takes them" {
	job 1 "a keep" >in
	ig-gen in >lines
	meta=$(last_of "$ID1" metadata <lines)
	img=$(last_of "$ID1" images <lines)
	task=$(last_of "$ID1" generation_tasks <lines)
	assert_equal "$(jq -r .sha256 <<<"$meta")" "$(sha256sum out/1.png | cut -d' ' -f1)"
	assert_equal "$(jq -c '[.path,.format,.width,.height,.origin,.type]' <<<"$img")" '["'"$PWD"'/out/1.png","png",64,48,"placeholder","map"]'
	assert_equal "$(jq -r .sha256 <<<"$img")" "$(jq -r .sha256 <<<"$meta")"
	assert_equal "$(jq -c '[.status,.attempts,.max_retries,.retry_delay]' <<<"$task")" '["done",1,3,5]'
	run -0 ig-record lines
}

@test "ig-gen: an image's record has the hashes and size of the file written" {
	job 1 "a keep" | ig-gen >lines
	img=$(last_of "$ID1" images <lines)
	assert_equal "$(jq -r '"\(.sha256) \(.xxh128) \(.size)"' <<<"$img")" \
		"$(sha256sum out/1.png | cut -d' ' -f1) $(xxhsum -H2 out/1.png | cut -d' ' -f1) $(stat -c %s out/1.png)"
}

@test "ig-gen: the PNG carries an AUTOMATIC1111 parameters chunk and the metadata record" {
	job 1 "a keep" >in
	ig-gen in >lines
	identify -verbose out/1.png >info
	grep -q "parameters: a keep" info
	grep -q "Seed: 1, Size: 64x48, Model: placeholder, Version: ig" info
	chunk=$(sed -n 's/^ *ig_metadata: //p' info)
	assert_equal "$(jq -r .generation_id <<<"$chunk")" "$ID1"
	assert_equal "$(jq -c 'del(.sha256)' <<<"$(last_of "$ID1" metadata <lines)")" "$chunk"
}

@test "ig-gen: the PNG says how it was made, in IPTC's XMP DigitalSourceType" {
	xmp() { # the iTXt XML:com.adobe.xmp text of a PNG
		python3 -c "
import struct, sys
d = open(sys.argv[1], 'rb').read(); p = 8
while p < len(d):
    n = struct.unpack('>I', d[p:p+4])[0]; t = d[p+4:p+8]; data = d[p+8:p+8+n]
    if t == b'iTXt' and data.startswith(b'XML:com.adobe.xmp\\0'):
        print(data.split(b'\\0', 5)[-1].decode())
    p += 12 + n" "$1"
	}
	start_mock
	job 1 a >in
	ig-gen in >/dev/null
	pngfix out/1.png
	xmp out/1.png | grep -q "<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia<"
	rm -r out
	gemini in >/dev/null
	pngfix out/1.png
	xmp out/1.png | grep -q "digitalsourcetype/trainedAlgorithmicMedia<"
}

@test "ig-gen: a prompt in another script is escaped to ASCII in the metadata chunk" {
	job 1 "城の地図 ✓" >in
	ig-gen in >/dev/null
	python3 -c "
import struct
d = open('out/1.png', 'rb').read(); p = 8
while p < len(d):
    n = struct.unpack('>I', d[p:p+4])[0]; t = d[p+4:p+8]; data = d[p+8:p+8+n]
    if data.startswith(b'ig_metadata\0'):
        assert t == b'tEXt' and max(data) < 128, (t, max(data))
        print('ok')
    p += 12 + n" | grep -q ok
	assert_equal "$(exiftool -s3 -XMP-iptcExt:DigitalSourceType out/1.png)" \
		http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia
}

@test "ig-gen: other lines pass through, and no job line is lost" {
	{ echo '{"collection":"batches","name":"x"}'; job 1 a; echo '{"collection":"generations","id":"x","status":"done"}'; job 2 b; } >in
	ig-gen in >lines
	grep -qx '{"collection":"batches","name":"x"}' lines
	grep -qx '{"collection":"generations","id":"x","status":"done"}' lines
	assert_equal "$(jq -r 'select(.collection == "generations" and .status == "done") | .id' lines | sort -u | wc -l)" 3
}

@test "ig-gen: --placeholders writes placeholder_path images and leaves the jobs queued" {
	job 1 a '"placeholder_path":"ph/1.png"' >in
	run -0 ig-gen --placeholders in
	assert_equal "$(identify -format '%wx%h' ph/1.png)" 64x48
	assert_equal "$(jq -r 'select(.collection == "images") | .origin' <<<"$output")" placeholder
	assert_equal "$(jq -r 'select(.collection == "generations") | .status' <<<"$output")" queued
	[ ! -e out/1.png ]
}

@test "ig-gen: --placeholders ends a job whose placeholder_path leaves the root in error, writing nothing" {
	job 1 a '"placeholder_path":"../ph.png"' >in
	run -1 --separate-stderr ig-gen --out-dir root --placeholders in
	assert_equal "$stderr" "ig-gen: in:1: job $ID1: placeholder_path leaves the output root (absolute, or ..)"
	assert_equal "$(last_of "$ID1" generations <<<"$output" | jq -r .status)" error
	[ ! -e ph.png ]
}

@test "ig-gen: --out-dir is the root the paths are under" {
	job 1 a >in
	ig-gen --out-dir root in >lines
	[ -f root/out/1.png ]
	assert_equal "$(last_of "$ID1" images <lines | jq -r .path)" "$PWD/root/out/1.png"
}

@test "ig-gen: an output path that leaves the root ends the job in error, nothing written" {
	{ job 1 a | sed 's|"out/1.png"|"../escape.png"|'; job 2 b | sed 's|"out/2.png"|"/tmp/ig-escape.png"|'; job 3 c; } >in
	run -1 --separate-stderr ig-gen in
	assert_equal "$(jq -r 'select(.collection == "generations" and .status == "error") | .id' <<<"$output" | wc -l)" 2
	assert_regex "$stderr" "job 01960000-0000-7000-8000-000000000001: output_path leaves the output root"
	[ ! -e ../escape.png ] && [ ! -e /tmp/ig-escape.png ] && [ -f out/3.png ]
}

@test "ig-gen: a re-run redoes only what is not done" {
	{ job 1 a; job 2 b; job 3 c; } >in
	ig-gen in >/dev/null
	touch -d '2001-01-01' out/1.png out/3.png
	rm out/2.png
	ig-gen in >again
	[ "$(stat -c %Y out/1.png)" = "$(date -d 2001-01-01 +%s)" ]
	[ -f out/2.png ]
	assert_equal "$(jq -r 'select(.collection == "generations") | .status' again | sort | uniq -c | awk '{print $2 $1}' | tr '\n' ' ')" "done3 running3 "
}

@test "ig-gen: a torn file that names its job is made again, not taken as done" {
	job 1 a >in
	ig-gen in >/dev/null
	head -c 300 out/1.png >torn && mv torn out/1.png
	ig-gen in >again
	assert_equal "$(jq -r 'select(.collection == "generations") | .status' again | tr '\n' ' ')" "running done "
	identify -format '%wx%h' out/1.png | grep -qx 64x48
}

@test "ig-gen: no temporary file is left beside the images" {
	{ job 1 a; job 2 b; } | ig-gen >/dev/null
	assert_equal "$(ls -A out | tr '\n' ' ')" "1.png 2.png "
}

# Gemini, against the mock on 127.0.0.1

@test "ig-gen gemini: an image is written, with the answer's responseId in its metadata" {
	start_mock
	job 1 "a keep" >in
	run -0 gemini in
	assert_equal "$(identify -format '%m' out/1.png)" PNG
	[[ $(last_of "$ID1" metadata <<<"$output" | jq -r .gemini_response_id) =~ ^resp- ]]
	assert_equal "$(last_of "$ID1" images <<<"$output" | jq -r .origin)" generated
	assert_equal "$(jq -r .key_ok mock.log)" true
}

@test "ig-gen gemini: a large answer (a 300 kB image) is decoded where it lies, byte for byte" {
	MOCK_IMAGE_BYTES=300000 MOCK_SAVE=$PWD/served.png start_mock
	job 1 "big [fixed]" >in
	run -0 gemini in
	# the served PNG is noise: its pixels survive only an exact decode
	assert_equal "$(identify -format '%wx%h %#' out/1.png)" "$(identify -format '%wx%h %#' served.png)"
}

@test "ig-gen gemini: the request asks for an image at the job's aspect ratio, with its seed" {
	start_mock
	job 1 "wide" | sed 's/64x48/1920x1080/' | gemini >/dev/null
	assert_equal "$(jq -c '.body.generationConfig' mock.log)" '{"responseModalities":["TEXT","IMAGE"],"imageConfig":{"aspectRatio":"16:9"},"seed":1}'
}

@test "ig-gen gemini: a job's placeholder travels as inlineData" {
	start_mock
	job 1 "edit me" '"placeholder_path":"ph/1.png"' >in
	ig-gen --placeholders in >/dev/null
	run -0 gemini in
	assert_equal "$(jq -r .inline mock.log)" true
	assert_equal "$(last_of "$ID1" metadata <<<"$output" | jq -r .source_placeholder)" ph/1.png
}

@test "ig-gen gemini: 429 with RetryInfo waits as told, then succeeds" {
	start_mock
	job 1 "busy [429-once:1.2]" >in
	run -0 gemini in
	t1=$(jq -r 'select(.attempt == 1) | .t' mock.log)
	t2=$(jq -r 'select(.attempt == 2) | .t' mock.log)
	awk -v a="$t1" -v b="$t2" 'BEGIN { exit !(b - a >= 1.2) }'
	assert_equal "$(last_of "$ID1" generation_tasks <<<"$output" | jq -c '[.status,.attempts,.retry_count]')" '["done",2,1]'
}

@test "ig-gen gemini: 500 and 503 are retried" {
	start_mock
	{ job 1 "oops [500-once]"; job 2 "down [503-once]"; } >in
	run -0 gemini in
	assert_equal "$(jq -r 'select(.collection == "generations" and .status == "done") | .id' <<<"$output" | wc -l)" 2
	assert_equal "$(wc -l <mock.log)" 4
}

@test "ig-gen gemini: a truncated answer is retried" {
	start_mock
	job 1 "cut [truncate-once]" >in
	run -0 gemini in
	assert_equal "$(wc -l <mock.log)" 2
	[ -f out/1.png ]
}

bad_job() { # prompt expected-reason
	start_mock
	job 1 "$1" >in
	run -1 --separate-stderr gemini in
	assert_equal "$(last_of "$ID1" generations <<<"$output" | jq -r .status)" error
	assert_equal "$(last_of "$ID1" generation_tasks <<<"$output" | jq -r .last_error)" "$2"
	assert_equal "$stderr" "ig-gen: in:1: job $ID1: $2"
	[ ! -e out/1.png ]
}

@test "ig-gen gemini: a blocked prompt ends in error, not retried" {
	bad_job "bad [blocked]" "prompt blocked: PROHIBITED_CONTENT"
	assert_equal "$(wc -l <mock.log)" 1
}

@test "ig-gen gemini: NO_IMAGE ends in error, not retried" {
	bad_job "none [no-image]" "no image: finishReason NO_IMAGE"
	assert_equal "$(wc -l <mock.log)" 1
}

@test "ig-gen gemini: a small image that is not base64 ends in error" {
	bad_job "junk [bad-base64]" "the answer's image is not base64"
}

@test "ig-gen gemini: a large image that is not base64 ends in error on the answer threads" {
	bad_job "junk [bad-base64] [big]" "the answer's image is not base64"
}

@test "ig-gen gemini: an answer with a key of 70,000 bytes ends in error, not in an abort (issue 12.1)" {
	bad_job "long [big-key]" "no image in the answer"
}

@test "ig-gen gemini: text without an image ends in error" {
	bad_job "talk [text-only]" "no image, only text: I would rather describe it."
}

@test "ig-gen gemini: 400 is not retried" {
	bad_job "odd [400]" "HTTP 400: Invalid argument."
	assert_equal "$(wc -l <mock.log)" 1
}

@test "ig-gen gemini: a wrong key is 403, not retried, and the key is never printed" {
	start_mock
	job 1 a >in
	run -1 --separate-stderr env GEMINI_API_KEY=wrong-key-9d2e ig-gen --backend gemini --endpoint "$ENDPOINT" in
	assert_regex "$stderr" "HTTP 403: Permission denied"
	assert_equal "$(wc -l <mock.log)" 1
	run -1 grep -q wrong-key-9d2e <<<"$output$stderr"
}

@test "ig-gen gemini: the key is in no output, message, argument or record" {
	start_mock
	{ job 1 a; job 2 "b [400]"; } >in
	GEMINI_API_KEY=$KEY ig-gen --backend gemini --endpoint "$ENDPOINT" in >lines 2>err &
	pid=$!
	tr '\0' ' ' </proc/$pid/cmdline >argv
	st=0
	wait $pid || st=$?
	assert_equal "$st" 1
	[ -s lines ] && [ -s err ]
	run -1 grep -q "$KEY" lines err argv
	run -0 ig-record --strict lines
	run -1 grep -rq "$KEY" "$IG_STORE"
}

@test "ig-gen gemini: a key file works, and its key stays out of argv" {
	start_mock
	echo "$KEY" >keyfile
	job 1 a >in
	run -0 env -u GEMINI_API_KEY ig-gen --backend gemini --endpoint "$ENDPOINT" --key-file keyfile in
	assert_equal "$(jq -r .key_ok mock.log)" true
}

@test "ig-gen gemini: a JPEG answer is written as JPEG, with the parameters as a comment" {
	$IM -size 8x8 xc:red ref.jpg
	MOCK_JPEG=$PWD/ref.jpg start_mock
	job 1 "photo [jpeg]" | sed 's/"out\/1.png"/"out\/1.jpg"/' >in
	run -0 gemini in
	assert_equal "$(identify -format '%m' out/1.jpg)" JPEG
	assert_equal "$(last_of "$ID1" images <<<"$output" | jq -r .format)" jpeg
	identify -verbose out/1.jpg | grep -q "Seed: 1, Size: 8x8"
}

@test "ig-gen gemini: a slow answer past --timeout is a transport error, retried, then left queued (exit 3)" {
	start_mock
	job 1 "late [slow:3]" >in
	run -3 --separate-stderr gemini --timeout 1 --retries 1 in
	assert_equal "$(last_of "$ID1" generations <<<"$output" | jq -r .status)" queued
	assert_regex "$(last_of "$ID1" generation_tasks <<<"$output" | jq -r .last_error)" "^transport: Timeout"
	assert_equal "$(wc -l <mock.log)" 2
}

@test "ig-gen gemini: a daily quota stops the run and leaves the rest queued" {
	start_mock
	{ job 1 "q [per-day]"; job 2 b; job 3 c; } >in
	run -3 --separate-stderr gemini --jobs 1 in
	assert_regex "$stderr" "Quota exceeded for the day.: stopping, the remaining jobs stay queued"
	assert_equal "$(jq -r 'select(.collection == "generations") | "\(.id[-1:]) \(.status)"' <<<"$output" | tr '\n' ' ')" \
		"1 running 1 queued 2 queued 3 queued "
	[ ! -e out/2.png ]
	# every line the run printed is one the store takes, in order
	ig-record --strict <<<"$output" >/dev/null
	assert_equal "$(field "$ID1" status) $(field "$ID2" status)" "queued queued"
}

@test "ig-gen gemini: --jobs 3 keeps three transfers in flight" {
	start_mock
	for i in 1 2 3 4 5 6; do job $i "slow $i [slow:0.5]"; done >in
	gemini --jobs 3 in >/dev/null
	assert_equal "$(jq -r .max_inflight mock.log | sort -n | tail -1)" 3
}

@test "ig-gen gemini: --rate spaces the starts" {
	start_mock
	for i in 1 2 3; do job $i "r$i"; done >in
	gemini --jobs 3 --rate 60 in >/dev/null
	# 60 a minute: starts 1 s apart; arrivals may shift by a connection's setup
	jq -r .t mock.log | sort -n | awk 'NR > 1 && $1 - prev < 0.7 { bad = 1 } { prev = $1 } END { exit bad }'
	# and without it all three go at once
	rm -r out mock.log
	gemini --jobs 3 in >/dev/null
	assert_equal "$(wc -l <mock.log)" 3
	jq -r .t mock.log | sort -n | awk 'NR == 1 { first = $1 } END { exit !($1 - first < 0.5) }'
}

@test "ig-gen gemini: higher priority runs first" {
	start_mock
	{ job 1 low "" ',"priority":1'; job 2 high "" ',"priority":9'; job 3 mid "" ',"priority":5'; } >in
	gemini --jobs 1 in >/dev/null
	assert_equal "$(jq -r .prompt mock.log | tr '\n' ' ')" "high mid low "
}

@test "ig-gen gemini: SIGTERM gives back the transfers in flight, every job leaves, exit 143" {
	start_mock
	for i in $(seq 8); do job $i "slow $i [slow:1]"; done >in
	GEMINI_API_KEY=$KEY ig-gen --backend gemini --endpoint "$ENDPOINT" --jobs 2 in >lines &
	pid=$!
	sleep 0.5
	kill -TERM $pid
	st=0
	wait $pid || st=$?
	assert_equal "$st" 143
	assert_equal "$(jq -r 'select(.collection == "generations") | .id' lines | sort -u | wc -l)" 8
	assert_equal "$(jq -r 'select(.collection == "generations") | .status' lines | sort | uniq -c | awk '{print $2 $1}' | tr '\n' ' ')" \
		"queued8 running2 "
	run -0 ig-record --strict <lines
	assert_equal "$(ig-query list --where '.status == "queued"' generations | wc -l)" 8
}

@test "ig-gen gemini: interrupted, then run again, every job ends done" {
	start_mock
	for i in $(seq 6); do job $i "slow $i [slow:0.5]"; done >in
	GEMINI_API_KEY=$KEY ig-gen --backend gemini --endpoint "$ENDPOINT" --jobs 2 in >first &
	pid=$!
	sleep 0.3
	kill -INT $pid
	st=0
	wait $pid || st=$?
	assert_equal "$st" 130
	ig-record --strict <first >/dev/null
	assert_equal "$(ig-query list --where '.status == "queued"' generations | wc -l)" 6
	ig-query list --where '.status == "queued"' generations | gemini --jobs 2 | ig-record --strict >/dev/null
	assert_equal "$(ls out | wc -l)" 6
	assert_equal "$(ig-query list --where '.status == "done"' generations | wc -l)" 6
}

# OpenAI-compatible servers

@test "ig-gen openai: b64_json becomes the image, with a Bearer key" {
	start_mock
	job 1 a >in
	run -0 env OPENAI_API_KEY=$KEY ig-gen --backend openai --endpoint "$ENDPOINT" in
	assert_equal "$(identify -format '%m %w' out/1.png)" "PNG 16"
	assert_equal "$(jq -c '[.path, .key_ok, .body.size, .body.response_format]' mock.log)" '["/v1/images/generations",true,"64x48","b64_json"]'
}

@test "ig-gen openai: retry-after-ms is honoured" {
	start_mock
	job 1 "busy [429-once:0.8]" >in
	run -0 env OPENAI_API_KEY=$KEY ig-gen --backend openai --endpoint "$ENDPOINT" --retry-delay 0.01 in
	t1=$(jq -r 'select(.attempt == 1) | .t' mock.log)
	t2=$(jq -r 'select(.attempt == 2) | .t' mock.log)
	awk -v a="$t1" -v b="$t2" 'BEGIN { exit !(b - a >= 0.8) }'
}

@test "ig-gen openai: insufficient_quota stops the run" {
	start_mock
	{ job 1 "[insufficient]"; job 2 b; } >in
	run -3 --separate-stderr env OPENAI_API_KEY=$KEY ig-gen --backend openai --endpoint "$ENDPOINT" --jobs 1 in
	assert_regex "$stderr" "stopping, the remaining jobs stay queued"
	[ ! -e out/2.png ]
}

@test "ig-gen: --url-base gives an image under its root the public url, and ig-record keeps it" {
	job 1 a >in
	ig-gen --url-base "$PWD/out=https://cdn.example.com/assets" in | ig-record --strict >rec
	assert_equal "$(last_of "$ID1" images <rec | jq -r .url)" https://cdn.example.com/assets/1.png
}

@test "ig-gen: without a public base an image's url is its file URI" {
	job 1 a >in
	ig-gen in | ig-record --strict >rec
	assert_equal "$(last_of "$ID1" images <rec | jq -r .url)" "file://$PWD/out/1.png"
}

@test "ig-gen gemini: a model name that would change the URL is refused before anything is sent (issue 12.6)" {
	start_mock
	job 1 a "" ',"model":"../../../v1/evil?x="' >in
	run -1 --separate-stderr gemini in
	assert_equal "$(last_of "$ID1" generations <<<"$output" | jq -r .status)" error
	assert_regex "$stderr" "params.model is not a model name"
	[ ! -s mock.log ]
	ig-record --strict <<<"$output" >/dev/null
}

@test "ig-gen: a line past the longest line is refused by number, and the jobs around it run (issue 12)" {
	{ job 1 "a keep"; head -c 70000000 /dev/zero | tr '\0' x; echo; job 2 "a hall"; } >in
	run -1 --separate-stderr ig-gen in
	assert_equal "$stderr" "ig-gen: in:2: line longer than 64 MiB, the longest line (see ig(7), RESOURCE LIMITS)"
	assert_equal "$(jq -r 'select(.collection == "generations" and .status == "done") | .id' <<<"$output" | wc -l)" 2
}

# The output root holds (issue 12.3, 12.7)

path_job() { # n output_path (JSON-escaped)
	printf '{"collection":"generations","id":"01960000-0000-7000-8000-%012d","status":"queued","prompt":"p","output_path":"%s","params":{"seed":1,"size":"64x48"}}\n' "$1" "$2"
}

@test "ig-gen: a symbolic link in the output root that leads out of it is not followed; the job ends in error" {
	mkdir -p root outside
	ln -s ../outside root/link
	path_job 1 link/sub/d.png >in
	run -1 --separate-stderr ig-gen --out-dir root in
	assert_equal "$stderr" "ig-gen: in:1: job $ID1: $PWD/root/link/sub/d.png: a symbolic link on the way leads out of the output root"
	assert_equal "$(last_of "$ID1" generations <<<"$output" | jq -r .status)" error
	assert_equal "$(find outside | wc -l)" 1
}

@test "ig-gen: a symbolic link that stays inside the output root is followed" {
	mkdir -p root/real
	ln -s real root/alias
	path_job 1 alias/x.png >in
	run -0 ig-gen --out-dir root in
	assert_equal "$(identify -format %m root/real/x.png)" PNG
	assert_equal "$(last_of "$ID1" images <<<"$output" | jq -r .path)" "$PWD/root/alias/x.png"
}

@test "ig-gen: a job whose output path no record could hold (a newline, a trailing /) is refused by line, not run" {
	{ path_job 1 'a\nb.png'; path_job 2 'f.png/'; path_job 3 ok.png; } >in
	run -1 --separate-stderr ig-gen --out-dir root in
	assert_equal "$(grep -c "'output_path' must be a valid path" <<<"$stderr")" 2
	assert_equal "$(ls root)" ok.png
	# the refused jobs pass on as they came, for ig-record to refuse too
	assert_equal "$(jq -c 'select(.collection == "generations" and .status == "queued") | .output_path' <<<"$output")" \
		"$(printf '"a\\nb.png"\n"f.png/"')"
}

@test "ig-gen: a path that leaves the root or makes no image record ends the job in error, and the store takes every line printed" {
	{ path_job 1 "$(printf 'n%.0s' {1..252}).png"; path_job 2 ok.png; } >in
	ig-record in >/dev/null
	ig-gen --out-dir root in >out 2>err && false
	ig-record --strict out >/dev/null
	assert_equal "$(ig-query list generations | jq -r .status | sort | tr '\n' ' ')" "done error "
}

@test "ig-gen: a file name longer than an image's name may be is refused before it is written" {
	path_job 1 "$(printf 'n%.0s' {1..252}).png" >in
	run -1 --separate-stderr ig-gen --out-dir root in
	assert_regex "$stderr" "'name' is longer than 255 characters$"
	[ -z "$(ls root)" ]
}

@test "ig-gen gemini: an answer past the largest answer (256 MiB) ends the job in error, naming the limit, not retried" {
	bad_job "vast [huge]" "the answer is more than 256 MiB, the largest answer (see ig(7), RESOURCE LIMITS)"
	assert_equal "$(wc -l <mock.log)" 1
}
