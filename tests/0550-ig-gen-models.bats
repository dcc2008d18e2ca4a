#!/usr/bin/env bats
# ig-gen and today's models: the table (db/models.json) drives each request;
# references, edits, transparency, output formats, passthrough, cost, the
# budget, and answers streamed to disk

load helper

KEY=mock-secret-77aa

teardown() {
	[ -z "${MOCK_PID:-}" ] || kill "$MOCK_PID" 2>/dev/null || true
}

start_mock() {
	env MOCK_KEY=$KEY "$@" python3 "$BATS_TEST_DIRNAME/mock_image_api.py" port mock.log &
	MOCK_PID=$!
	for _ in $(seq 200); do [ -s port ] && break; sleep 0.05; done
	ENDPOINT="http://127.0.0.1:$(cat port)"
}

# a queued job: n prompt model config [size]
cjob() {
	printf '{"collection":"generations","id":"01970000-0000-7000-8000-%012d","status":"queued","prompt":"%s","output_path":"out/%s.png","params":{"model":"%s","seed":%s,"size":"%s","config":%s}}\n' \
		"$1" "$2" "$1" "$3" "$1" "${5:-1024x1024}" "$4"
}
id_of() { printf '01970000-0000-7000-8000-%012d' "$1"; }

gemini() {
	GEMINI_API_KEY=$KEY ig-gen --backend gemini --endpoint "$ENDPOINT" --retry-delay 0.05 "$@"
}
openai() {
	OPENAI_API_KEY=$KEY ig-gen --backend openai --endpoint "$ENDPOINT" --retry-delay 0.05 "$@"
}
meta_of() { # n: the metadata record of job n, from lines
	jq -c "select(.collection == \"metadata\" and .generation_id == \"$(id_of "$1")\")" lines
}
png() { # file w h: a small PNG
	$IM -size "${2}x${3}" xc:'#336699' "$1"
}

# the model table

@test "ig-gen gemini: Gemini 3 Pro is asked for the 4K image and the ratio its config names, and the metadata records the request" {
	start_mock
	cjob 1 a gemini-3-pro-image-preview '{"image_size":"4K","aspect_ratio":"16:9"}' >in
	gemini in >lines
	assert_equal "$(jq -c '.body.generationConfig.imageConfig' mock.log)" '{"aspectRatio":"16:9","imageSize":"4K"}'
	assert_equal "$(meta_of 1 | jq -c '.params.wire.body.generationConfig.imageConfig')" '{"aspectRatio":"16:9","imageSize":"4K"}'
	assert_equal "$(meta_of 1 | jq -r '.params.wire.path')" /v1beta/models/gemini-3-pro-image-preview:generateContent
	ig-record --strict <lines >/dev/null
}

@test "ig-gen gemini: a job's WxH maps to the nearest ratio and size class its model takes" {
	start_mock
	cjob 1 a gemini-3.1-flash-image-preview '{}' 4096x1024 >in
	cjob 2 b gemini-3.1-flash-image-preview '{}' 512x512 >>in
	cjob 3 c gemini-2.5-flash-image '{}' 2000x1000 >>in
	gemini --jobs 1 in >lines
	assert_equal "$(jq -c '.body.generationConfig.imageConfig' mock.log | tr '\n' ' ')" \
		'{"aspectRatio":"4:1","imageSize":"4K"} {"aspectRatio":"1:1","imageSize":"512"} {"aspectRatio":"16:9"} '
}

@test "ig-gen gemini: what a model cannot do (4K from 2.5 Flash, 20 references, an unknown ratio) ends the job in error before anything is sent" {
	start_mock
	refs=$(jq -nc '[range(20) | {path: "r.png", role: "object"}]')
	png r.png 8 8
	cjob 1 a gemini-2.5-flash-image '{"image_size":"4K"}' >in
	cjob 2 b gemini-3-pro-image-preview "{\"references\":$refs}" >>in
	cjob 3 c gemini-3-pro-image-preview '{"aspect_ratio":"7:3"}' >>in
	cjob 4 d gemini-3-pro-image-preview '{"references":[{"path":"r.png","role":"character"},{"path":"r.png","role":"character"},{"path":"r.png","role":"character"},{"path":"r.png","role":"character"},{"path":"r.png","role":"character"},{"path":"r.png","role":"character"}]}' >>in
	cjob 5 e gemini-3-pro-image-preview '{}' >>in
	run -1 --separate-stderr gemini in
	assert_regex "$stderr" "in:1: job .*: gemini-2.5-flash-image makes images of size 1K, not 4K"
	assert_regex "$stderr" "in:2: job .*: gemini-3-pro-image-preview takes at most 14 input images, not 20"
	assert_regex "$stderr" "in:3: job .*: gemini-3-pro-image-preview takes the aspect ratios 1:1, 2:3, .*21:9, not 7:3"
	assert_regex "$stderr" "in:4: job .*: gemini-3-pro-image-preview takes at most 5 character references, not 6"
	assert_equal "$(jq -r .prompt mock.log)" e
	assert_equal "$(jq -r 'select(.collection == "generations" and .status == "error") | .id' <<<"$output" | wc -l)" 4
	ig-record --strict <<<"$output" >/dev/null
}

@test "ig-plan: a plan asking its model for what it cannot do is refused by line, and the plans around it go through" {
	ig-record <"$BATS_TEST_DIRNAME/../db/library.jsonl" >/dev/null
	{
		echo '{"batch":"a","theme":"fantasy","prompt":"keep","model":"gemini-3-pro-image-preview","image_size":"4K","output":"a/{n}.png"}'
		echo '{"batch":"b","theme":"fantasy","prompt":"keep","model":"gemini-2.5-flash-image","image_size":"4K","output":"b/{n}.png"}'
		echo '{"batch":"c","theme":"fantasy","prompt":"keep","model":"gpt-image-2","background":"transparent","output":"c/{n}.png"}'
		echo '{"batch":"d","theme":"fantasy","prompt":"keep","references":[{"path":"hero.png","role":"character"}],"output":"d/{n}.png"}'
	} >plans
	run -1 --separate-stderr ig-plan plans
	assert_regex "$stderr" "plans:2: gemini-2.5-flash-image makes images of size 1K, not 4K"
	assert_regex "$stderr" "plans:3: gpt-image-2 cannot make a transparent background \(gpt-image-1.5 can\)"
	assert_equal "$(jq -r 'select(.collection == "batches") | .name' <<<"$output" | tr '\n' ' ')" 'a d '
	assert_equal "$(jq -c 'select(.collection == "generations") | .params.config | [.image_size, .references]' <<<"$output" | tr '\n' ' ')" \
		'["4K",null] [null,[{"path":"hero.png","role":"character"}]] '
}

@test "ig-gen gemini: a model the table does not know works with its API's defaults, after one warning" {
	start_mock
	cjob 1 a gemini-9-imaginary '{}' 1024x576 >in
	cjob 2 b gemini-9-imaginary '{}' >>in
	run -0 --separate-stderr gemini --jobs 1 in
	assert_equal "$(grep -c 'gemini-9-imaginary is not in db/models.json' <<<"$stderr")" 1
	assert_equal "$(jq -c '.body.generationConfig.imageConfig' mock.log | head -1)" '{"aspectRatio":"16:9"}'
	[ -s out/1.png ] && [ -s out/2.png ]
}

# references and edits

@test "ig-gen gemini: references go as inlineData parts after the prompt, and their sha256 and roles are in the metadata and the PNG" {
	start_mock
	mkdir -p out/refs
	png out/refs/hero.png 8 8
	png "$BATS_TEST_TMPDIR/sword.png" 6 6
	cjob 1 a gemini-3-pro-image-preview "{\"references\":[{\"path\":\"out/refs/hero.png\",\"role\":\"character\"},{\"path\":\"$BATS_TEST_TMPDIR/sword.png\",\"role\":\"object\"}]}" >in
	gemini in >lines
	hero=$(sha256sum out/refs/hero.png | cut -c1-64)
	sword=$(sha256sum sword.png | cut -c1-64)
	assert_equal "$(jq -c '[.body.contents[0].parts[] | .text // [.inlineData.mimeType, .inlineData.data.sha256]]' mock.log)" \
		"[\"a\",[\"image/png\",\"$hero\"],[\"image/png\",\"$sword\"]]"
	assert_equal "$(meta_of 1 | jq -c '[.references[] | [.role, .sha256]]')" "[[\"character\",\"$hero\"],[\"object\",\"$sword\"]]"
	# the file's own provenance says the same, and that references drove it
	assert_equal "$(exiftool -s -s -s -ig_metadata out/1.png | jq -c '[.references[] | .sha256]')" "[\"$hero\",\"$sword\"]"
	assert_equal "$(exiftool -s -s -s -DigitalSourceType out/1.png)" \
		http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia
	ig-record --strict <lines >/dev/null
}

@test "ig-gen gemini: a reference named by a stored image's id is read from the path the store holds" {
	start_mock
	ig-gen <<<"$(cjob 9 canon placeholder '{}' 32x32)" | ig-record --strict >stored
	img=$(jq -r 'select(.collection == "images") | .id' stored)
	cjob 1 a gemini-3-pro-image-preview "{\"references\":[{\"image_id\":\"$img\",\"role\":\"character\"}]}" >in
	gemini in >lines
	assert_equal "$(jq -r '.body.contents[0].parts[1].inlineData.data.sha256' mock.log)" "$(sha256sum out/9.png | cut -c1-64)"
	assert_equal "$(meta_of 1 | jq -r '.references[0].image_id')" "$img"
}

@test "ig-gen openai: references make an edit, a multipart form with every image as image[]" {
	start_mock
	mkdir -p out
	png out/a.png 8 8
	png out/b.png 9 9
	cjob 1 a gpt-image-1.5 '{"references":[{"path":"out/a.png","role":"character"},{"path":"out/b.png","role":"style"}],"quality":"high"}' >in
	openai in >lines
	assert_equal "$(jq -r .path mock.log)" /v1/images/edits
	assert_equal "$(jq -c '[.files[] | [.name, .type, .sha256]]' mock.log)" \
		"[[\"image[]\",\"image/png\",\"$(sha256sum out/a.png | cut -c1-64)\"],[\"image[]\",\"image/png\",\"$(sha256sum out/b.png | cut -c1-64)\"]]"
	assert_equal "$(jq -c '[.body.model, .body.quality, .body.size, .body.n]' mock.log)" '["gpt-image-1.5","high","1024x1024","1"]'
	ig-record --strict <lines >/dev/null
}

@test "ig-gen openai: an edit with a mask sends image[] then mask, and a chain of edits is a chain of images records" {
	start_mock
	ig-gen <<<"$(cjob 9 base placeholder '{}' 16x16)" | ig-record --strict >stored
	base=$(jq -r 'select(.collection == "images") | .id' stored)
	$IM -size 16x16 xc:none out/mask.png
	cjob 1 "open the door" gpt-image-1 "{\"source\":{\"image_id\":\"$base\"},\"mask\":{\"path\":\"out/mask.png\"}}" >in
	openai in | ig-record --strict >rec1
	first=$(jq -r 'select(.collection == "images" and (.path | endswith("/out/1.png"))) | .id' rec1)
	cjob 2 "add a torch" gpt-image-1 "{\"source\":{\"image_id\":\"$first\"}}" >in2
	openai in2 | ig-record --strict >rec2
	second=$(jq -r 'select(.collection == "images" and (.path | endswith("/out/2.png"))) | .id' rec2)
	assert_equal "$(jq -c '[.files[] | [.name, .sha256]]' mock.log | head -1)" \
		"[[\"image[]\",\"$(sha256sum out/9.png | cut -c1-64)\"],[\"mask\",\"$(sha256sum out/mask.png | cut -c1-64)\"]]"
	# in the store: 2 came from 1, 1 from the placeholder
	assert_equal "$(ig-query get "$second" | jq -r '[.source_type, .source_id] | @tsv')" "images	$first"
	assert_equal "$(ig-query get "$first" | jq -r '[.source_type, .source_id] | @tsv')" "images	$base"
	assert_equal "$(meta_of_file rec1 1 | jq -c '[.references[] | .role]')" '["source","mask"]'
}

meta_of_file() { # file n
	jq -c "select(.collection == \"metadata\" and .generation_id == \"$(id_of "$2")\")" "$1"
}

# transparency and formats

@test "ig-gen openai: a transparent background is asked for, and the PNG written keeps its alpha" {
	start_mock
	cjob 1 token gpt-image-1.5 '{"background":"transparent","output_format":"png"}' >in
	openai in >lines
	assert_equal "$(jq -c '[.body.background, .body.output_format]' mock.log)" '["transparent","png"]'
	# the left half is clear, the right half opaque, read back from the file
	assert_equal "$($IM out/1.png -format '%[fx:int(p{0,0}.a*255)] %[fx:int(p{15,0}.a*255)]' info:)" "0 255"
	assert_equal "$(identify -format '%[channels]' out/1.png)" srgba
	ig-record --strict <lines >/dev/null
}

@test "ig-gen: a transparent background is refused where the model cannot make one (gpt-image-2, Gemini)" {
	start_mock
	cjob 1 a gpt-image-2 '{"background":"transparent"}' >in
	run -1 --separate-stderr openai in
	assert_regex "$stderr" "gpt-image-2 cannot make a transparent background \(gpt-image-1.5 can\)"
	cjob 2 b gemini-3-pro-image-preview '{"background":"transparent"}' >in
	run -1 --separate-stderr gemini in
	assert_regex "$stderr" "gemini-3-pro-image-preview cannot make a transparent background"
	[ ! -s mock.log ]
}

@test "ig-gen openai: a webp answer is kept as webp, with its provenance in an XMP chunk, and a re-run resumes it" {
	start_mock
	cjob 1 a gpt-image-1 '{"output_format":"webp","output_compression":80,"quality":"low"}' >in
	openai in >lines
	assert_equal "$(jq -c '[.body.output_format, .body.output_compression]' mock.log)" '["webp",80]'
	assert_equal "$(identify -format '%m %w %h' out/1.png)" "WEBP 16 16"
	assert_equal "$(exiftool -s -s -s -DigitalSourceType out/1.png)" http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia
	assert_equal "$(jq -r 'select(.collection == "images") | [.format, .sha256] | @tsv' lines)" "webp	$(sha256sum out/1.png | cut -c1-64)"
	ig-record --strict <lines >/dev/null
	# its provenance names the job: the next run asks nothing
	openai in >again
	assert_equal "$(wc -l <mock.log)" 1
	assert_equal "$(jq -r 'select(.collection == "generations") | .status' again | tail -1)" done
}

@test "ig-gen: a passthrough request object is merged into the body, never dropped" {
	start_mock
	cjob 1 a gemini-3.1-flash-image-preview '{"request":{"generationConfig":{"thinkingConfig":{"thinkingLevel":"high"}},"tools":[{"google_search":{}}]}}' >in
	gemini in >lines
	assert_equal "$(jq -c '.body.generationConfig | [.thinkingConfig, .imageConfig.aspectRatio, .responseModalities]' mock.log)" \
		'[{"thinkingLevel":"high"},"1:1",["TEXT","IMAGE"]]'
	assert_equal "$(jq -c .body.tools mock.log)" '[{"google_search":{}}]'
	assert_equal "$(meta_of 1 | jq -c .params.wire.body.tools)" '[{"google_search":{}}]'
}

# cost

@test "ig-gen: each answer's usage and what it cost are recorded, and a batch's cost is one query away" {
	start_mock
	cjob 1 a gemini-2.5-flash-image '{}' >in
	cjob 2 b gemini-3-pro-image-preview '{"image_size":"4K"}' >>in
	gemini in | ig-record --strict >/dev/null
	# 2.5 Flash by its 1290 image tokens at $30 a million; 3 Pro by its 4K price
	assert_equal "$(ig-query list metadata | jq -r '[.usage.candidatesTokenCount, .cost_usd] | @tsv' | sort)" \
		"$(printf '1290\t0.0387\n1290\t0.24')"
	assert_equal "$(ig-query list generations | jq -s 'map(.cost_usd) | add')" 0.2787
}

@test "ig-gen openai: an OpenAI answer's usage is priced by its tokens" {
	start_mock
	cjob 1 a gpt-image-1 '{"quality":"high"}' >in
	openai in >lines
	# 4160 output tokens at $40, 10 text at $5 and 40 image at $10 a million:
	# 0.1664 + 0.00005 + 0.0004
	assert_equal "$(meta_of 1 | jq -c '[.usage.output_tokens, .cost_usd]')" '[4160,0.16685]'
}

@test "ig-gen --estimate: what the jobs would cost, by model, with nothing sent and no key" {
	start_mock
	cjob 1 a gemini-3-pro-image-preview '{"image_size":"4K"}' >in
	cjob 2 b gemini-3-pro-image-preview '{}' >>in
	cjob 3 c gemini-3.1-flash-image-preview '{"image_size":"512"}' >>in
	cjob 4 d gemini-3.1-flash-lite-image '{}' >>in
	run -0 env -u GEMINI_API_KEY ig-gen --backend gemini --estimate in
	assert_equal "$(jq -c '[.jobs, .cost_usd, .unpriced, .models["gemini-3-pro-image-preview"].jobs]' <<<"$output")" '[4,0.419,1,2]'
	[ ! -s mock.log ]
	[ ! -e out ]
}

@test "ig-gen --budget: the run stops before it would pass the budget; the rest stay queued and every line is taken by ig-record --strict" {
	start_mock
	for i in 1 2 3 4 5; do cjob $i "p$i" gemini-3-pro-image-preview '{}'; done >in
	run -3 --separate-stderr gemini --jobs 1 --budget 0.30 in
	assert_regex "$stderr" "--budget \\\$0.30: .* stopping, the remaining jobs stay queued"
	ig-record --strict <<<"$output" >/dev/null
	assert_equal "$(ig-query list --where '.status == "done"' generations | wc -l)" 2
	assert_equal "$(ig-query list --where '.status == "queued"' generations | wc -l)" 3
	assert_equal "$(wc -l <mock.log)" 2
	# every job is in the output, none lost
	assert_equal "$(jq -r 'select(.collection == "generations") | .id' <<<"$output" | sort -u | wc -l)" 5
}

# answers streamed to disk

@test "ig-gen gemini: 20 MB answers are decoded to disk as they arrive: peak memory stays far below the answers in flight" {
	start_mock MOCK_IMAGE_BYTES=20000000 MOCK_SAVE="$BATS_TEST_TMPDIR/served.png"
	for i in 1 2 3 4 5 6; do cjob $i "p$i" gemini-2.5-flash-image '{}'; done >in
	/usr/bin/time -f %M -o rss env GEMINI_API_KEY=$KEY ig-gen --backend gemini --endpoint "$ENDPOINT" --jobs 6 in >lines
	b64=$(( $(stat -c %s served.png) * 4 / 3 ))
	# six answers of 26 MB of base64 in flight at once; held whole, they
	# would need 160 MB; decoded as they come, a few buffers each
	[ "$(( $(cat rss) * 1024 ))" -lt $(( b64 * 2 )) ]
	for i in 1 2 3 4 5 6; do
		assert_equal "$(identify -format '%#' out/$i.png)" "$(identify -format '%#' served.png)"
	done
	assert_equal "$(jq -r 'select(.collection == "images" and (.path | endswith("/out/3.png"))) | .sha256' lines)" \
		"$(sha256sum out/3.png | cut -c1-64)"
	ig-record --strict <lines >/dev/null
	[ -z "$(find out -name '*.tmp.*')" ]
}

@test "ig-gen gemini: an interim thought image before the image is not kept, both being streamed" {
	start_mock MOCK_IMAGE_BYTES=300000 MOCK_SAVE="$BATS_TEST_TMPDIR/served.png"
	cjob 1 "a [thought]" gemini-3-pro-image-preview '{}' >in
	gemini in >lines
	assert_equal "$(identify -format '%#' out/1.png)" "$(identify -format '%#' served.png)"
	[ -z "$(find out -name '*.tmp.*')" ]
}

@test "ig-gen gemini: an answer cut short inside its streamed image is retried, and no temporary file is left" {
	start_mock MOCK_IMAGE_BYTES=300000 MOCK_SAVE="$BATS_TEST_TMPDIR/served.png"
	cjob 1 "a [truncate-once]" gemini-2.5-flash-image '{}' >in
	gemini in >lines
	assert_equal "$(jq -r 'select(.collection == "generation_tasks") | .attempts' lines | tail -1)" 2
	assert_equal "$(identify -format '%#' out/1.png)" "$(identify -format '%#' served.png)"
	[ -z "$(find out -name '*.tmp.*')" ]
}

@test "ig-gen: every model in the table gets a request within what the table says it takes" {
	start_mock
	n=0
	for model in $(jq -r '.models | keys[]' "$BATS_TEST_DIRNAME/../db/models.json"); do
		n=$((n + 1))
		cjob $n "m $model" "$model" '{}' 1600x900 >"in.$n"
		api=$(jq -r --arg m "$model" '.models[$m].api' "$BATS_TEST_DIRNAME/../db/models.json")
		if [ "$api" = gemini ]; then gemini "in.$n" >/dev/null; else openai "in.$n" >/dev/null; fi
		req=$(tail -1 mock.log)
		if [ "$api" = gemini ]; then
			ratio=$(jq -r .body.generationConfig.imageConfig.aspectRatio <<<"$req")
			jq -e --arg m "$model" --arg r "$ratio" '.models[$m].aspect_ratios | index($r)' \
				"$BATS_TEST_DIRNAME/../db/models.json" >/dev/null
			assert_equal "$ratio" 16:9
			assert_equal "$(jq -r .path <<<"$req")" "/v1beta/models/$model:generateContent"
		else
			size=$(jq -r .body.size <<<"$req")
			jq -e --arg m "$model" --arg s "$size" '(.models[$m].sizes // [$s]) | index($s)' \
				"$BATS_TEST_DIRNAME/../db/models.json" >/dev/null
			assert_equal "$(jq -r .body.model <<<"$req")" "$model"
		fi
	done
	[ "$n" -ge 8 ]
	assert_equal "$(wc -l <mock.log)" "$n"
}

@test "ig-gen gemini: an edit sends its source after the prompt, and its image's record names the source" {
	start_mock
	ig-gen <<<"$(cjob 9 base placeholder '{}' 16x16)" | ig-record --strict >stored
	base=$(jq -r 'select(.collection == "images") | .id' stored)
	cjob 1 "make it night" gemini-3.1-flash-image-preview "{\"source\":{\"image_id\":\"$base\"}}" >in
	gemini in | ig-record --strict >rec
	assert_equal "$(jq -c '[.body.contents[0].parts[] | .text // .inlineData.data.sha256]' mock.log)" \
		"[\"make it night\",\"$(sha256sum out/9.png | cut -c1-64)\"]"
	assert_equal "$(jq -r 'select(.collection == "images" and (.path | endswith("/out/1.png"))) | .source_id' rec)" "$base"
}

@test "ig-plan: a style preset's references reach every job of the plan" {
	ig-record <"$BATS_TEST_DIRNAME/../db/library.jsonl" >/dev/null
	ig-query list style_presets | jq -c 'select(.name == "battlemap") | .config.references = [{"path": "refs/party.png", "role": "character"}]' | ig-record --strict >/dev/null
	echo '{"batch":"p","theme":"fantasy","preset":"battlemap","prompt":"keep","count":3,"output":"p/{n}.png"}' >plan
	ig-plan plan >jobs
	assert_equal "$(jq -c 'select(.collection == "generations") | .params.config.references' jobs | sort -u)" \
		'[{"path":"refs/party.png","role":"character"}]'
	assert_equal "$(jq -c 'select(.collection == "generations")' jobs | wc -l)" 3
}

@test "ig-gen: the progress line on a terminal shows the money spent" {
	start_mock
	cjob 1 a gemini-3-pro-image-preview '{}' >in
	script -qefc "GEMINI_API_KEY=$KEY ig-gen --backend gemini --endpoint $ENDPOINT in >/dev/null" typescript >/dev/null
	assert_regex "$(tr '\r' '\n' <typescript | grep '^ig-gen:' | tail -1)" '1 done, 0 failed, .* \$0\.13 spent'
}
