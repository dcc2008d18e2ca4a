#!/usr/bin/env bats
# ig-sheet --png: contact sheets read back pixel by pixel: tile places, a
# thumbnail's mean color against ImageMagick's resize in linear light,
# labels drawn, pages, unreadable images, lines passed on, bounded memory

load helper

ID=/usr/bin/identify

# images records for the files named, as the stream would carry them
records() {
	local f
	for f in "$@"; do
		echo '{"collection":"images","path":"'"$PWD/$f"'","name":"'"$f"'","width":'"$($ID -format %w "$f")"',"height":'"$($ID -format %h "$f")"',"size":1}'
	done
}
mean() { # file geometry: the region's mean color, three channels
	$IM "$1" -crop "$2" +repage -format '%[fx:mean.r] %[fx:mean.g] %[fx:mean.b]' info:
}
near() { # "r g b" "r g b" tolerance: each channel within it
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { split(a, x); split(b, y)
		for (i = 1; i <= 3; i++) if (x[i] - y[i] > t || y[i] - x[i] > t) exit 1 }'
}

@test "ig-sheet --png: tiles go in input order, each centred in its square, and a thumbnail's mean is ImageMagick's linear-light resize" {
	$IM -size 300x200 gradient:'#ff0000-#0000ff' a.png
	$IM -size 200x300 pattern:gray50 b.png
	$IM -size 64x64 xc:'#408040' c.png
	records a.png b.png c.png >in.jsonl
	ig-sheet --png sheet.png --thumb 64 --columns 2 --label name,size in.jsonl >/dev/null
	# 8 px gaps; a tile is its 64 px square, a 2 px rule, two 9 px label lines, the gap
	assert_equal "$($ID -format %wx%h sheet.png)" 152x192
	# a.png: 64 x 43, 10 px down in the first square
	near "$(mean sheet.png 64x43+8+18)" "$($IM a.png -colorspace RGB -resize 64x43! -colorspace sRGB -format '%[fx:mean.r] %[fx:mean.g] %[fx:mean.b]' info:)" 0.008
	# b.png's single-pixel checks average to half the light: 0.735 in sRGB, not 0.5
	near "$(mean sheet.png 43x64+90+8)" "0.735 0.735 0.735" 0.01
	near "$(mean sheet.png 64x64+8+100)" "$(mean c.png 64x64+0+0)" 0.004
	# the fourth square is empty
	near "$(mean sheet.png 64x64+80+100)" "0.1255 0.1255 0.1333" 0.002
}

@test "ig-sheet --png: each tile is labelled with its fields, a line a field" {
	$IM -size 64x64 xc:black a.png
	records a.png >in.jsonl
	ig-sheet --png one.png --thumb 64 --label name in.jsonl >/dev/null
	ig-sheet --png two.png --thumb 64 --label name,size in.jsonl >/dev/null
	assert_equal "$($ID -format %h one.png)" $((8 + 64 + 2 + 9 + 8))
	assert_equal "$($ID -format %h two.png)" $((8 + 64 + 2 + 18 + 8))
	# light text under the square, and only there
	[ "$($IM one.png -crop 64x7+8+74 +repage -format '%[fx:maxima.r > 0.9]' info:)" = 1 ]
	[ "$($IM two.png -crop 64x7+8+83 +repage -format '%[fx:maxima.r > 0.9]' info:)" = 1 ]
	[ "$($IM one.png -crop 64x64+8+8 +repage -format '%[fx:maxima.r]' info:)" = 0 ]
}

@test "ig-sheet: every line passes on unchanged, images records and others" {
	$IM -size 32x32 xc:red a.png
	{ echo '{"collection":"themes","name":"t"}'; records a.png; echo 'not json'; } >in.jsonl
	run -0 --separate-stderr ig-sheet --png s.png in.jsonl
	assert_equal "$output" "$(cat in.jsonl)"
}

@test "ig-sheet --per-page: pages of N tiles, named PATH-1.png, PATH-2.png, the last holding the rest" {
	$IM -size 32x32 xc:red a.png
	for _ in $(seq 7); do records a.png; done >in.jsonl
	ig-sheet --png sheet.png --per-page 3 --columns 3 --thumb 32 --label name in.jsonl >/dev/null
	assert_equal "$(ls sheet-*.png | tr '\n' ' ')" "sheet-1.png sheet-2.png sheet-3.png "
	[ ! -e sheet.png ]
	assert_equal "$($ID -format %wx%h sheet-1.png)" "$($ID -format %wx%h sheet-2.png)"
	# one tile: one column, one row
	assert_equal "$($ID -format %w sheet-3.png)" $((8 + 40))
}

@test "ig-sheet: an image that cannot be read is a crossed tile, named by line, exit 1, the others drawn" {
	$IM -size 32x32 xc:'#00ff00' a.png
	echo 'not a png' >bad.png
	{ records a.png; echo '{"collection":"images","path":"'"$PWD"'/bad.png","name":"bad.png"}'; } >in.jsonl
	run -1 --separate-stderr ig-sheet --png s.png --thumb 32 --columns 2 in.jsonl
	[[ "$stderr" == "ig-sheet: in.jsonl:2: "* ]]
	near "$(mean s.png 32x32+8+8)" "0 1 0" 0.004
	# red lines across the second square
	[ "$($IM s.png -crop 32x32+48+8 +repage -format '%[fx:maxima.r > 0.7]' info:)" = 1 ]
}

@test "ig-sheet: memory does not grow with the sheet: 20 tiles and 400 of a 1024 x 1024 image take the same" {
	$IM -size 1024x1024 plasma:fractal -seed 7 big.png 2>/dev/null || $IM -size 1024x1024 gradient: big.png
	records big.png >one.jsonl
	for _ in $(seq 20); do cat one.jsonl; done >few.jsonl
	for _ in $(seq 400); do cat one.jsonl; done >many.jsonl
	# (under ASan, freed memory is quarantined unless told not to be)
	export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0"
	/usr/bin/time -f %M -o few.kb ig-sheet --png few.png --columns 1 --thumb 256 few.jsonl >/dev/null
	/usr/bin/time -f %M -o many.kb ig-sheet --png many.png --columns 1 --thumb 256 many.jsonl >/dev/null
	# 380 more tiles of 264 x 302 would be 90 MB more if the sheet were held
	[ $(($(cat many.kb) - $(cat few.kb))) -lt 20000 ]
	# (past ImageMagick's policy for a height: its IHDR says it)
	[[ "$(file many.png)" == *"272 x $((400 * (256 + 2 + 36 + 8) + 8)),"* ]]
}
