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

# a PNG rebuilt from its chunks, the zlib stream of its image data given
# by a Python expression over the inflated bytes r, every CRC made right
rebuild_png() { # src dst expression
	python3 - "$@" <<'PY'
import struct, sys, zlib
src, dst, expr = sys.argv[1:4]
d = open(src, 'rb').read()
p, chunks, idat = 8, [], b''
while p < len(d):
    n, = struct.unpack('>I', d[p:p + 4])
    t, body = d[p + 4:p + 8], d[p + 8:p + 8 + n]
    if t == b'IDAT':
        idat += body
        if not any(c[0] == b'IDAT' for c in chunks):
            chunks.append((b'IDAT', None))
    else:
        chunks.append((t, body))
    p += 12 + n
r = zlib.decompress(idat)
z = eval(expr)
out = d[:8]
for t, body in chunks:
    body = z if body is None else body
    out += struct.pack('>I', len(body)) + t + body + struct.pack('>I', zlib.crc32(t + body))
open(dst, 'wb').write(out)
PY
}

@test "ig-sheet: image data split into an IDAT chunk a byte reads as the same image in one chunk, pixel for pixel" {
	# one IDAT chunk of every byte: rows, zlib header and Adler-32 split
	python3 - "$PNGSUITE/basn6a08.png" one.png <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], 'rb').read()
p, out, idat = 8, d[:8], b''
while p < len(d):
    n, = struct.unpack('>I', d[p:p + 4]); t = d[p + 4:p + 8]
    if t == b'IDAT': idat += d[p + 8:p + 8 + n]
    elif t == b'IEND':
        for b in idat: out += struct.pack('>I', 1) + b'IDAT' + bytes([b]) + struct.pack('>I', zlib.crc32(b'IDAT' + bytes([b])))
        out += d[p:p + 12 + n]
    else: out += d[p:p + 12 + n]
    p += 12 + n
open(sys.argv[2], 'wb').write(out)
PY
	cp "$PNGSUITE/basn6a08.png" whole.png
	[ "$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().count(b"IDAT"))' one.png)" -gt 100 ]
	records one.png >a.jsonl
	records whole.png >b.jsonl
	ig-sheet --png a.png --thumb 32 a.jsonl >/dev/null
	ig-sheet --png b.png --thumb 32 b.jsonl >/dev/null
	# the tiles, not their labels (the names differ)
	$IM a.png -crop 32x32+8+8 +repage a-tile.png
	$IM b.png -crop 32x32+8+8 +repage b-tile.png
	[ "$(/usr/bin/compare -metric AE a-tile.png b-tile.png null: 2>&1)" = 0 ]
}

@test "ig-sheet: a PNG whose image data fails its Adler-32 is refused, even when every row was read first" {
	rebuild_png "$PNGSUITE/basn2c08.png" adler.png 'zlib.compress(r)[:-4] + bytes(4)'
	rebuild_png "$PNGSUITE/basn2c08.png" short.png 'zlib.compress(r)[:-6]'
	rebuild_png "$PNGSUITE/basn2c08.png" same.png 'zlib.compress(r, 9)'
	for f in adler short same; do
		echo '{"collection":"images","path":"'"$PWD/$f.png"'","name":"'"$f"'.png"}'
	done >in.jsonl
	run -1 --separate-stderr ig-sheet --png s.png --thumb 32 --columns 3 in.jsonl
	[[ "${stderr_lines[0]}" == "ig-sheet: in.jsonl:1: "*"Adler-32"* ]]
	[[ "${stderr_lines[1]}" == "ig-sheet: in.jsonl:2: "*"ends before its zlib stream"* ]]
	[ "${#stderr_lines[@]}" = 2 ]
	# the sound one is drawn, as the original is
	cp "$PNGSUITE/basn2c08.png" orig.png
	records orig.png >orig.jsonl
	ig-sheet --png o.png --thumb 32 orig.jsonl >/dev/null
	$IM s.png -crop 32x32+88+8 +repage drawn.png
	$IM o.png -crop 32x32+8+8 +repage alone.png
	[ "$(/usr/bin/compare -metric AE drawn.png alone.png null: 2>&1)" = 0 ]
}
