#!/bin/sh
# bench/collect.sh [JOBS [IMAGE_BYTES]] - collecting a finished Gemini batch:
# JOBS (10,000) jobs submitted through ig-gen --batch to the stand-in
# (tests/mock_image_api.py), whose responses file then holds a PNG of about
# IMAGE_BYTES (100,000) a line: 1.3 GB of JSONL. Side by side in one run:
#   ig-gen --collect: the download read as it comes, every image decoded
#     into its file with its provenance, hashed (sha256, xxh128), and its
#     four records printed (time and peak RSS; goal under 64 MB);
#   by hand, as users do today: curl downloading the file, jq pulling each
#     line's key and inlineData.data, base64 -d into a file per key, and
#     sha256sum of each file (goal: ig-gen at least 10 times faster).
# Both read the same responses from the same server.
set -eu
n=${1:-10000}
bytes=${2:-100000}
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'kill $mock 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp"
export IG_STORE=$tmp/store GEMINI_API_KEY=bench
PATH=$top/bin:$PATH
MOCK_KEY=bench MOCK_BATCH_POLLS=0 MOCK_IMAGE_BYTES=$bytes python3 "$top/tests/mock_image_api.py" port log &
mock=$!
while [ ! -s port ]; do sleep 0.05; done
url="http://127.0.0.1:$(cat port)"

i=0
while [ $i -lt "$n" ]; do
	printf '{"collection":"generations","id":"01970000-0000-7000-8000-%012d","status":"queued","prompt":"map %d","output_path":"out/%d.png","params":{"seed":%d}}\n' $i $i $i $i
	i=$((i + 1))
done >jobs.jsonl
ig-record --strict <jobs.jsonl >/dev/null
ig-gen --endpoint "$url" --batch --inline-max 0 jobs.jsonl | ig-record --strict >/dev/null
ig-query list --where '.status == "running"' generations >held.jsonl
batch=$(jq -r .params.remote_batch held.jsonl | head -1)
file=$(curl -s -H 'x-goog-api-key: bench' "$url/v1beta/$batch" | jq -r .metadata.output.responsesFile)
echo "$n jobs in $batch; results $file, $(curl -s -H 'x-goog-api-key: bench' "$url/download/v1beta/$file:download?alt=media" | wc -c) bytes"

sync
/usr/bin/time -f '%e %M %U %S' -o ig.time ig-gen --endpoint "$url" --collect held.jsonl >records.jsonl
done_n=$(grep -c '"collection":"generations".*"status":"done"' records.jsonl)
rm -rf out
sync

mkdir hand
/usr/bin/time -f '%e %M %U %S' -o hand.time sh -c '
	curl -s -H "x-goog-api-key: bench" "$1/download/v1beta/$2:download?alt=media" |
	jq -r ".key + \" \" + (.response.candidates[0].content.parts[] | select(.inlineData) | .inlineData.data)" |
	while read -r key data; do
		printf %s "$data" | base64 -d >"hand/$key.png"
		sha256sum "hand/$key.png"
	done >hand.sums' sh "$url" "$file"
hand_n=$(wc -l <hand.sums)

awk -v n="$n" -v d="$done_n" -v h="$hand_n" -v ig="$(cat ig.time)" -v hd="$(cat hand.time)" 'BEGIN {
	split(ig, a, " "); split(hd, b, " ")
	printf "ig-gen --collect: %d images and their records in %.1f s (%.0f a second), peak RSS %d MB, %.1f CPU s\n",
		d, a[1], d / a[1], a[2] / 1024, a[3] + a[4]
	printf "by hand (curl | jq | base64 -d | sha256sum): %d images in %.1f s (%.0f a second), %.1f CPU s\n",
		h, b[1], h / b[1], b[3] + b[4]
	printf "ig-gen/by hand: %.1f times as fast\n", b[1] / a[1] }'
