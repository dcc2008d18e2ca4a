#!/usr/bin/env bats
# ig-sheet --html: the gallery opened from file:// in Debian's chromium,
# headless, and checked from its DOM: thumbnails, filters, the story panel,
# the keyboard, marks recorded by ig-record; a screenshot that is not blank

load helper

CHROMIUM=/usr/bin/chromium

# The gallery in gallery/, opened in a frame of a page that runs the body
# of an async function of w (its window) and d (its document) once it has
# loaded and its thumbnails are in, and prints what that returns, as JSON.
in_browser() { # js
	cat >harness.html <<HTML
<!doctype html><html><body><pre id="out">not run</pre>
<iframe id="g" src="gallery/index.html" style="width:1400px;height:40000px"></iframe>
<script>
const sleep = ms => new Promise(r => setTimeout(r, ms));
document.getElementById("g").onload = async function () {
	const w = this.contentWindow, d = this.contentDocument;
	const out = document.getElementById("out");
	try {
		const imgs = [...d.querySelectorAll("main img")];
		await Promise.all(imgs.map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; })));
		out.textContent = JSON.stringify(await (async function () { $1 })());
	} catch (e) {
		out.textContent = "error: " + e;
	}
};
</script></body></html>
HTML
	timeout 120 $CHROMIUM --headless --no-sandbox --disable-gpu --allow-file-access-from-files \
		--virtual-time-budget=20000 --dump-dom "file://$PWD/harness.html" 2>/dev/null |
		sed -n 's/.*<pre id="out">\(.*\)<\/pre>.*/\1/p' | sed 's/&quot;/"/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g'
}
gallery() { # the main job's images, and their gallery
	main_store
	ig-query list images >images.jsonl
	ig-sheet --html gallery images.jsonl >/dev/null
}

@test "ig-sheet --html: from file://, every thumbnail loads, each has alt text, and the page asks the network for nothing" {
	gallery
	run -0 in_browser 'const imgs = [...d.querySelectorAll("main img")];
		return { images: imgs.length, loaded: imgs.filter(i => i.naturalWidth > 0).length,
			alt: imgs.filter(i => i.alt.length > 0).length, lazy: imgs.filter(i => i.loading === "lazy").length };'
	n=$(wc -l <images.jsonl)
	assert_output "{\"images\":$n,\"loaded\":$n,\"alt\":$n,\"lazy\":$n}"
	# one inline script and stylesheet: nothing from elsewhere
	run grep -Ec '<link|<script src|(src|href)="(https?:)?//' gallery/index.html
	assert_output 0
}

@test "ig-sheet --html: a filter shows the images of its value, and the count says how many" {
	gallery
	run -0 in_browser 'const sel = d.getElementById("filter-variation"), counts = {};
		for (const v of ["grimdark", "feywild"]) {
			sel.value = v;
			sel.dispatchEvent(new Event("change"));
			counts[v] = [d.getElementById("count").dataset.shown, [...d.querySelectorAll("main figure")].filter(f => !f.hidden).length];
		}
		return counts;'
	for v in grimdark feywild; do
		n=$(jq -r .generation_id images.jsonl | while read -r g; do ig-query get "$g" | jq -r .params.variation; done | grep -cx "$v")
		[ "$n" -gt 0 ]
		[[ "$output" == *"\"$v\":[\"$n\",$n]"* ]]
	done
}

@test "ig-sheet --html: a tile's panel shows its image's prompt, model, seed and sha256 from the store" {
	gallery
	run -0 in_browser 'd.querySelector("main figure").click();
		for (let i = 0; i < 50 && d.getElementById("panel").hidden; i++) await sleep(20);
		const f = n => (d.querySelector("#panel [data-field=" + n + "]") || {}).textContent;
		return { id: d.querySelector("main figure").dataset.id, prompt: f("prompt"), model: f("model"), seed: f("seed"), sha256: f("sha256") };'
	id=$(jq -r .id <<<"$output")
	img=$(ig-query get "$id")
	gen=$(ig-query get "$(jq -r .generation_id <<<"$img")")
	assert_equal "$(jq -r .sha256 <<<"$output")" "$(jq -r .sha256 <<<"$img")"
	assert_equal "$(jq -r .prompt <<<"$output")" "$(jq -r .prompt <<<"$gen")"
	assert_equal "$(jq -r .seed <<<"$output")" "$(jq -r .params.seed <<<"$gen")"
	assert_equal "$(jq -r .model <<<"$output")" "$(ig-query list --of "$(jq -r .id <<<"$gen")" metadata | jq -r .model)"
}

@test "ig-sheet --html: from the keyboard, arrows move between tiles, Enter opens the panel, k keeps, Escape closes" {
	gallery
	run -0 in_browser 'const figs = [...d.querySelectorAll("main figure")], key = (el, k) =>
			el.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
		figs[0].focus();
		key(figs[0], "ArrowRight");
		const moved = d.activeElement === figs[1];
		key(figs[1], "k");
		key(figs[1], "Enter");
		for (let i = 0; i < 50 && d.getElementById("panel").hidden; i++) await sleep(20);
		const opened = !d.getElementById("panel").hidden;
		key(d.getElementById("panel"), "Escape");
		return { moved, kept: figs[1].classList.contains("keep"), opened, closed: d.getElementById("panel").hidden,
			back: d.activeElement === figs[1] };'
	assert_output '{"moved":true,"kept":true,"opened":true,"closed":true,"back":true}'
}

@test "ig-sheet --html: the marks, as the download gives them, are lines ig-record --strict takes, and the review is stored" {
	gallery
	run -0 in_browser 'const figs = [...d.querySelectorAll("main figure")];
		figs[0].click();
		for (let i = 0; i < 50 && d.getElementById("panel").hidden; i++) await sleep(20);
		d.querySelector("#panel [data-mark=reject]").click();
		figs[2].dispatchEvent(new KeyboardEvent("keydown", { key: "k", bubbles: true }));
		return { marks: w.igMarks(), first: figs[0].dataset.id, third: figs[2].dataset.id };'
	jq -r .marks <<<"$output" | sed '/^$/d' >marks.jsonl
	assert_equal "$(wc -l <marks.jsonl)" 2
	ig-record --strict marks.jsonl >/dev/null
	assert_equal "$(field "$(jq -r .first <<<"$output")" review)" reject
	assert_equal "$(field "$(jq -r .third <<<"$output")" review)" keep
}

@test "ig-sheet --html: a screenshot of the gallery is not blank" {
	gallery
	timeout 120 $CHROMIUM --headless --no-sandbox --disable-gpu --allow-file-access-from-files \
		--window-size=1280,900 --virtual-time-budget=10000 --screenshot="$PWD/shot.png" \
		"file://$PWD/gallery/index.html" 2>/dev/null
	assert_equal "$(/usr/bin/identify -format %wx%h shot.png)" 1280x900
	# thumbnails, not one flat color
	[ "$($IM shot.png -format '%[fx:standard_deviation > 0.05]' info:)" = 1 ]
}

@test "ig-sheet --html: 5,000 images make one page whose tiles all load lazily" {
	$IM -size 96x64 gradient:'#203040-#a0c0e0' small.png
	for _ in $(seq 5000); do
		echo '{"collection":"images","path":"'"$PWD"'/small.png","name":"small.png","width":96,"height":64}'
	done >images.jsonl
	ig-sheet --html gallery --thumb 64 images.jsonl >/dev/null
	assert_equal "$(ls gallery/thumbs | wc -l)" 5000
	run -0 in_browser 'const imgs = [...d.querySelectorAll("main img")];
		return { tiles: d.querySelectorAll("main figure").length, lazy: imgs.filter(i => i.loading === "lazy").length,
			count: d.getElementById("count").textContent };'
	assert_output '{"tiles":5000,"lazy":5000,"count":"5000 of 5000 images"}'
}
