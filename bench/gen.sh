#!/bin/sh
# bench/gen.sh [JOBS [BIG_JOBS]] - ig-gen against the mock API answering after
# 200 ms with a 1.5 MB PNG, at --jobs 1, 8 and 64, beside xargs -P N curl
# making the same requests (and only saving the answers). Prints jobs a
# second, peak memory, and the ratio to the ideal N / 0.2 s.
# Then BIG_JOBS (128) jobs at --jobs 64 whose answers hold a 20 MB PNG (27 MB
# of base64), streamed to disk: ig-gen's peak memory (goal: under 160 MB),
# and its CPU seconds an image beside the floor measured in the same run:
# one curl --parallel downloading the same answers, plus base64 -d of each
# image and openssl dgst -sha256 of the decoded bytes (goal: at most 1.5).
# The answer is tests/mock_image_api.py's, served by bench/mockd.c: Python's
# server took more than half of the two cores at 64 in flight, leaving the
# clients the rest. MOCK=python serves it from the Python mock itself.
# BEFORE=DIR also runs DIR/ig-gen (an earlier build) on the same jobs, in
# the same run: the cost of a change, such as the grouped syncs and claims of
# the pipeline's contract.
set -eu
n=${1:-256}
big=${2:-128}
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'kill $mock 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp"
export IG_STORE=$tmp/store
MOCK_KEY=bench MOCK_LATENCY=0.2 MOCK_IMAGE_BYTES=1500000 MOCK_SAVE_FIXED=fixed.json \
	python3 "$top/tests/mock_image_api.py" port log &
mock=$!
while [ ! -s port ]; do sleep 0.05; done
if [ "${MOCK:-c}" = c ]; then
	kill $mock
	rm port
	cc -O2 -o mockd "$top/bench/mockd.c" -lpthread
	./mockd fixed.json port 200 &
	mock=$!
	while [ ! -s port ]; do sleep 0.05; done
fi
url="http://127.0.0.1:$(cat port)"
echo "mock (${MOCK:-c}) at $url: 200 ms a request, 1.5 MB PNG answers; $n jobs a run (a run of $((n / 8)) at --jobs 1)"

jobs_file() { # n: queued jobs, prompts that the mock answers the same way
	i=0
	while [ $i -lt "$1" ]; do
		printf '{"collection":"generations","id":"01970000-0000-7000-8000-%012d","status":"queued","prompt":"map %d [fixed]","output_path":"out/%d.png","params":{"seed":%d}}\n' $i $i $i $i
		i=$((i + 1))
	done
}

for p in 1 8 64; do
	count=$n
	[ $p -eq 1 ] && count=$((n / 8))
	jobs_file $count >jobs.jsonl
	for bin in ${BEFORE:+"$BEFORE/ig-gen"} "$top/bin/ig-gen"; do
		rm -rf out "$IG_STORE"
		sync
		s=$(date +%s%N)
		/usr/bin/time -f %M -o mem env GEMINI_API_KEY=bench "$bin" --backend gemini --endpoint "$url" \
			--jobs $p jobs.jsonl >lines
		ig=$(( $(date +%s%N) - s ))
		done_n=$(grep -c '"collection":"generations".*"status":"done"' lines)
		[ -z "${BEFORE:-}" ] || awk -v b="$bin" -v p=$p -v c=$count -v d=$done_n -v ig=$ig -v mem="$(cat mem)" 'BEGIN {
			printf "--jobs %2d: %s %6.1f jobs/s (%d done), peak %d MB\n", p, b, c / (ig / 1e9), d, mem / 1024 }'
	done

	# the same requests through curl, one process each, N at once
	mkdir -p req res
	i=0
	while [ $i -lt $count ]; do
		printf '{"contents":[{"role":"user","parts":[{"text":"map %d [fixed]"}]}],"generationConfig":{"responseModalities":["TEXT","IMAGE"],"imageConfig":{"aspectRatio":"1:1"},"seed":%d}}' $i $i >req/$i
		i=$((i + 1))
	done
	s=$(date +%s%N)
	seq 0 $((count - 1)) | xargs -P $p -I{} curl -s -o res/{} -H 'Content-Type: application/json' \
		-H 'x-goog-api-key: bench' --data-binary @req/{} "$url/v1beta/models/m:generateContent"
	cu=$(( $(date +%s%N) - s ))

	# the transfers alone: one curl process, N at once, answers dropped
	i=0
	: >cfg
	while [ $i -lt $count ]; do
		[ $i -eq 0 ] || echo next >>cfg
		printf 'url = "%s/v1beta/models/m:generateContent"\noutput = "/dev/null"\ndata-binary = "@req/%d"\nheader = "x-goog-api-key: bench"\nheader = "Content-Type: application/json"\n' "$url" $i >>cfg
		i=$((i + 1))
	done
	s=$(date +%s%N)
	curl -s --no-progress-meter --parallel --parallel-max $p -K cfg
	tr=$(( $(date +%s%N) - s ))
	awk -v p=$p -v c=$count -v d=$done_n -v ig=$ig -v cu=$cu -v tr=$tr -v mem="$(cat mem)" 'BEGIN {
		r = c / (ig / 1e9); x = c / (cu / 1e9); t = c / (tr / 1e9); ideal = p / 0.2
		printf "--jobs %2d: ig-gen %6.1f jobs/s (%d done, %.0f%% of the ideal %.0f), peak %d MB; xargs -P %d curl %6.1f jobs/s; ig-gen/xargs %.2f; transfers alone %6.1f (%.0f%%)\n",
			p, r, d, 100 * r / ideal, ideal, mem / 1024, p, x, r / x, t, 100 * t / ideal }'
	rm -rf req res
done

# 20 MB images, streamed
kill $mock 2>/dev/null || true
rm -f port fixed.json
MOCK_KEY=bench MOCK_IMAGE_BYTES=20000000 MOCK_SAVE_FIXED=fixed.json MOCK_SAVE=image.png \
	python3 "$top/tests/mock_image_api.py" port log &
mock=$!
while [ ! -s port ]; do sleep 0.05; done
kill $mock
rm port
./mockd fixed.json port 200 &
mock=$!
while [ ! -s port ]; do sleep 0.05; done
url="http://127.0.0.1:$(cat port)"
base64 -w0 image.png >image.b64
echo "20 MB images: $(stat -c %s image.png) bytes, $(stat -c %s fixed.json) bytes an answer; $big jobs at --jobs 64"
jobs_file "$big" >jobs.jsonl
rm -rf out "$IG_STORE"
sync
/usr/bin/time -f '%M %U %S %e' -o big.time env GEMINI_API_KEY=bench "$top/bin/ig-gen" --backend gemini \
	--endpoint "$url" --jobs 64 jobs.jsonl >lines
done_n=$(grep -c '"collection":"generations".*"status":"done"' lines)
rm -rf out
i=0
: >cfg
while [ $i -lt "$big" ]; do
	[ $i -eq 0 ] || echo next >>cfg
	printf 'url = "%s/v1beta/models/m:generateContent"\noutput = "/dev/null"\ndata = "{}"\n' "$url" >>cfg
	i=$((i + 1))
done
/usr/bin/time -f '%U %S %e' -o curl.time curl -s --no-progress-meter --parallel --parallel-max 64 -K cfg
/usr/bin/time -f '%U %S' -o dec.time sh -c 'i=0; while [ $i -lt '"$big"' ]; do
	base64 -d image.b64 >dec.png && openssl dgst -sha256 dec.png >/dev/null; i=$((i + 1)); done'
awk -v n="$big" -v d="$done_n" -v ig="$(cat big.time)" -v cu="$(cat curl.time)" -v de="$(cat dec.time)" 'BEGIN {
	split(ig, a, " "); split(cu, b, " "); split(de, c, " ")
	igcpu = (a[2] + a[3]) / n; floor = (b[1] + b[2] + c[1] + c[2]) / n
	printf "--jobs 64, 20 MB: ig-gen %d done in %.1f s, peak %d MB, %.3f CPU s an image; floor (curl --parallel %.3f + base64 -d and sha256 %.3f) %.3f CPU s an image; ig-gen/floor %.2f\n",
		d, a[4], a[1] / 1024, igcpu, (b[1] + b[2]) / n, (c[1] + c[2]) / n, floor, igcpu / floor }'
