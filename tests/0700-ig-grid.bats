#!/usr/bin/env bats
# ig-grid: grids drawn on maps, read back pixel by pixel

load helper

# the color of one pixel as ImageMagick reads it: #RRGGBB, #RRGGBBAA, or
# 16-bit digits with depth 16
px() { # file x y [depth]
	$IM "$1" -crop "1x1+$2+$3" -depth "${4:-8}" txt:- | tail -1 | awk '{print $3}'
}
map_line() { # path [extra fields]
	echo '{"collection":"images","id":"'"$IMG"'","path":"'"$1"'","type":"map"'"${2:+,$2}"'}'
}
white() { # file [size]
	$IM -size "${2:-200x150}" xc:white -type TrueColor "$1"
}
# the chunk types of a PNG, in order
chunks() {
	python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read(); p = 8
while p < len(d):
    n, = struct.unpack(">I", d[p:p+4]); print(d[p+4:p+8].decode()); p += 12 + n' "$1"
}

# Options

@test "ig-grid: --grid names a grid type" {
	run -2 ig-grid --grid triangle </dev/null
	assert_output --partial "ig-grid: --grid is square, hex-pointy"
}

@test "ig-grid: --size 0 is a usage error" {
	run -2 ig-grid --size 0 </dev/null
	assert_output "ig-grid: --size takes a whole number from 1 to 65535, not 0"
}

@test "ig-grid: --every is for square grids" {
	run -2 ig-grid --grid hex-flat --every 5 </dev/null
	assert_output --partial "ig-grid: --every draws square lines"
}

@test "ig-grid: --uvtt is for square grids" {
	run -2 ig-grid --grid hex-pointy --uvtt </dev/null
	assert_output --partial "ig-grid: --uvtt takes a square grid"
}

@test "ig-grid: an --opacity above 1 is a usage error" {
	run -2 ig-grid --opacity 1.5 </dev/null
	assert_output "ig-grid: --opacity takes a number from 0 to 1, not 1.5"
}

@test "ig-grid: a bad --color is a usage error" {
	run -2 ig-grid --color red </dev/null
	assert_output --partial "ig-grid: --color takes #rgb"
}

# Square grids

@test "ig-grid: square lines fall every size pixels from the corner" {
	white m.png
	map_line m.png | ig-grid --size 50 --color '#ff0000' --opacity 1 >/dev/null
	assert_equal "$(px m.grid.png 0 7)" "#FF0000"
	assert_equal "$(px m.grid.png 50 7)" "#FF0000"
	assert_equal "$(px m.grid.png 100 7)" "#FF0000"
	assert_equal "$(px m.grid.png 49 7)" "#FFFFFF"
	assert_equal "$(px m.grid.png 51 7)" "#FFFFFF"
	assert_equal "$(px m.grid.png 7 50)" "#FF0000"
	assert_equal "$(px m.grid.png 7 49)" "#FFFFFF"
}

@test "ig-grid: a 3 px square line is centred on its position" {
	white m.png
	map_line m.png | ig-grid --size 50 --width 3 --color '#ff0000' --opacity 1 >/dev/null
	assert_equal "$(px m.grid.png 48 7)" "#FFFFFF"
	assert_equal "$(px m.grid.png 49 7)" "#FF0000"
	assert_equal "$(px m.grid.png 50 7)" "#FF0000"
	assert_equal "$(px m.grid.png 51 7)" "#FF0000"
	assert_equal "$(px m.grid.png 52 7)" "#FFFFFF"
}

@test "ig-grid: square lines have two colors only: axis-aligned lines are crisp" {
	white m.png
	map_line m.png | ig-grid --size 30 --width 2 --opacity 0.5 >/dev/null
	assert_equal "$($IM m.grid.png -format '%k' info:)" 2
}

@test "ig-grid: --offset moves the lines" {
	white m.png
	map_line m.png | ig-grid --size 50 --offset 10,20 --color '#ff0000' --opacity 1 >/dev/null
	assert_equal "$(px m.grid.png 10 5)" "#FF0000"
	assert_equal "$(px m.grid.png 60 5)" "#FF0000"
	assert_equal "$(px m.grid.png 0 5)" "#FFFFFF"
	assert_equal "$(px m.grid.png 5 20)" "#FF0000"
	assert_equal "$(px m.grid.png 5 70)" "#FF0000"
	assert_equal "$(px m.grid.png 5 0)" "#FFFFFF"
}

@test "ig-grid: --every draws every Nth line in its own color and twice as wide" {
	white m.png 200x200
	map_line m.png | ig-grid --size 20 --every 3 --color '#ff0000' --every-color '#0000ff' --opacity 1 >/dev/null
	assert_equal "$(px m.grid.png 60 5)" "#0000FF"
	assert_equal "$(px m.grid.png 59 5)" "#0000FF"
	assert_equal "$(px m.grid.png 61 5)" "#FFFFFF"
	assert_equal "$(px m.grid.png 20 5)" "#FF0000"
	assert_equal "$(px m.grid.png 19 5)" "#FFFFFF"
	assert_equal "$(px m.grid.png 5 120)" "#0000FF"
}

@test "ig-grid: --dash leaves gaps along the lines, starting at the corners" {
	white m.png
	map_line m.png | ig-grid --size 50 --dash 5,5 --color '#ff0000' --opacity 1 >/dev/null
	assert_equal "$(px m.grid.png 50 2)" "#FF0000"
	assert_equal "$(px m.grid.png 50 7)" "#FFFFFF"
	assert_equal "$(px m.grid.png 50 12)" "#FF0000"
	assert_equal "$(px m.grid.png 50 48)" "#FF0000"
	assert_equal "$(px m.grid.png 7 50)" "#FFFFFF"
}

# Hex grids

@test "ig-grid: hex-pointy has vertical edges between the cells of even rows" {
	white m.png 200x200
	map_line m.png | ig-grid --grid hex-pointy --size 60 --width 2 --color '#ff0000' --opacity 1 >/dev/null
	# row 0's centres are at x 30, 90; its edges at 0, 60, 120
	assert_equal "$(px m.grid.png 60 34)" "#FF0000"
	assert_equal "$(px m.grid.png 30 34)" "#FFFFFF"
	# row 1 is pushed half a cell right (odd rows)
	assert_equal "$(px m.grid.png 90 86)" "#FF0000"
	assert_equal "$(px m.grid.png 60 86)" "#FFFFFF"
}

@test "ig-grid: hex-pointy-even pushes the even rows instead" {
	white m.png 200x200
	map_line m.png | ig-grid --grid hex-pointy-even --size 60 --width 2 --color '#ff0000' --opacity 1 >/dev/null
	assert_equal "$(px m.grid.png 30 34)" "#FF0000"
	assert_equal "$(px m.grid.png 60 34)" "#FFFFFF"
	assert_equal "$(px m.grid.png 60 86)" "#FF0000"
}

@test "ig-grid: hex-flat has horizontal edges between the cells of even columns" {
	white m.png 200x200
	map_line m.png | ig-grid --grid hex-flat --size 60 --width 2 --color '#ff0000' --opacity 1 >/dev/null
	assert_equal "$(px m.grid.png 34 60)" "#FF0000"
	assert_equal "$(px m.grid.png 34 30)" "#FFFFFF"
	assert_equal "$(px m.grid.png 86 90)" "#FF0000"
	assert_equal "$(px m.grid.png 86 60)" "#FFFFFF"
}

@test "ig-grid: hex-flat-even pushes the even columns instead" {
	white m.png 200x200
	map_line m.png | ig-grid --grid hex-flat-even --size 60 --width 2 --color '#ff0000' --opacity 1 >/dev/null
	assert_equal "$(px m.grid.png 34 30)" "#FF0000"
	assert_equal "$(px m.grid.png 34 60)" "#FFFFFF"
	assert_equal "$(px m.grid.png 86 60)" "#FF0000"
}

@test "ig-grid: Foundry's names are the same hex types" {
	white m.png 200x200
	map_line m.png | ig-grid --grid hexevenq --size 60 --suffix .a >/dev/null
	map_line m.png | ig-grid --grid hex-flat-even --size 60 --suffix .b >/dev/null
	cmp m.a.png m.b.png
}

@test "ig-grid: hex edges are anti-aliased" {
	white m.png 200x200
	map_line m.png | ig-grid --grid hex-pointy --size 60 --width 2 --color '#000000' --opacity 1 >/dev/null
	# the slanted edges leave grey pixels between black and white
	[ "$($IM m.grid.png -format '%k' info:)" -gt 10 ]
}

# Blending

@test "ig-grid: half-opaque black over grey halves it" {
	$IM -size 100x100 xc:'#808080' -type TrueColor m.png
	map_line m.png | ig-grid --size 50 --opacity 0.5 >/dev/null
	assert_equal "$(px m.grid.png 50 5)" "#404040"
	assert_equal "$(px m.grid.png 25 5)" "#808080"
}

@test "ig-grid: over a half-transparent pixel, alpha composes as Porter-Duff over" {
	$IM -size 100x100 xc:'rgba(255,255,255,0.5)' m.png
	map_line m.png | ig-grid --size 50 --opacity 0.5 >/dev/null
	# the background's alpha is 128/255: 0.5 + 0.502 * 0.5 = 0.751 (192);
	# color 255 * 0.502 * 0.5 / 0.751 = 85
	assert_equal "$(px m.grid.png 50 5)" "#555555C0"
	assert_equal "$(px m.grid.png 25 5)" "#FFFFFF80"
}

@test "ig-grid: a 16-bit grey map stays 16-bit grey under a grey grid" {
	$IM -size 100x100 xc:'gray(50%)' -depth 16 m.png
	map_line m.png | ig-grid --size 50 --opacity 0.5 >/dev/null
	assert_equal "$($IM m.grid.png -format '%z %[channels]' info:)" "16 gray"
	assert_equal "$(px m.grid.png 50 5 16)" "#400040004000"
	assert_equal "$(px m.grid.png 25 5 16)" "#800080008000"
}

@test "ig-grid: a grey map becomes RGB under a colored grid" {
	$IM -size 100x100 xc:'gray(50%)' -type Grayscale m.png
	map_line m.png | ig-grid --size 50 --color '#ff0000' --opacity 1 >/dev/null
	assert_equal "$($IM m.grid.png -format '%[channels]' info:)" "srgb"
	assert_equal "$(px m.grid.png 50 5)" "#FF0000"
}

@test "ig-grid: a palette map is expanded, its colors kept" {
	$IM -size 100x100 xc:'#336699' -type Palette m.png
	assert_equal "$($IM m.png -format '%[type]' info:)" "Palette"
	map_line m.png | ig-grid --size 50 --color '#ff0000' --opacity 1 >/dev/null
	assert_equal "$(px m.grid.png 25 5)" "#336699"
	assert_equal "$(px m.grid.png 50 5)" "#FF0000"
}

@test "ig-grid: a palette map with transparency keeps it as alpha" {
	$IM -size 100x100 xc:none -type PaletteAlpha m.png
	map_line m.png | ig-grid --size 50 --opacity 1 >/dev/null
	assert_equal "$(px m.grid.png 25 5)" "#00000000"
	assert_equal "$(px m.grid.png 50 5)" "#000000FF"
}

@test "ig-grid: a JPEG map is gridded into a PNG of its size" {
	$IM -size 120x80 xc:'#204060' -quality 95 m.jpg
	map_line m.jpg | ig-grid --size 40 --color '#ff0000' --opacity 1 >out
	assert_equal "$($IM m.grid.png -format '%m %w %h' info:)" "PNG 120 80"
	assert_equal "$(px m.grid.png 40 5)" "#FF0000"
	assert_equal "$(px m.grid.png 20 20)" "$(px m.jpg 20 20)"
}

@test "ig-grid: with opacity 0 every PngSuite image comes out pixel for pixel" {
	for f in "$PNGSUITE"/[!x]*.png; do
		b=$(basename "$f" .png)
		cp "$f" "$b.png"
		map_line "$b.png" | ig-grid --size 1 --opacity 0 >/dev/null || fail "$b refused"
		assert_equal "$($IM "$b.grid.png" -depth 16 rgba:- | sha256sum)" \
			"$($IM "$b.png" -depth 16 rgba:- | sha256sum)"
	done
}

@test "ig-grid: every broken PngSuite file is refused with a reason and leaves nothing" {
	for f in "$PNGSUITE"/x*.png; do
		b=$(basename "$f" .png)
		cp "$f" "$b.png"
		run -1 ig-grid --size 1 < <(map_line "$b.png")
		assert_output --partial "ig-grid: stdin:1: image $IMG: $b.png: "
		[ ! -e "$b.grid.png" ] || fail "$b.grid.png was left"
	done
	[ -z "$(ls -A | grep tmp)" ]
}

# Labels

@test "ig-grid: --labels alpha writes A1 in the top left cell, B1 right of it" {
	white m.png
	map_line m.png | ig-grid --size 50 --labels alpha --color '#ff0000' --opacity 1 >/dev/null
	# 'A' starts at (3, 3): its top row is .###., its fourth #####
	assert_equal "$(px m.grid.png 3 3)" "#FFFFFF"
	assert_equal "$(px m.grid.png 4 3)" "#FF0000"
	assert_equal "$(px m.grid.png 3 6)" "#FF0000"
	# '1' follows: ..#.. in its top row
	assert_equal "$(px m.grid.png 11 3)" "#FF0000"
	# 'B' in the next cell: ####.
	assert_equal "$(px m.grid.png 53 3)" "#FF0000"
}

@test "ig-grid: --labels numeric writes 0101 in the top left cell" {
	white m.png
	map_line m.png | ig-grid --size 50 --labels numeric --color '#ff0000' --opacity 1 >/dev/null
	# '0' has #.#.# in its fourth row, where 'A' has #####
	assert_equal "$(px m.grid.png 4 6)" "#FFFFFF"
	assert_equal "$(px m.grid.png 5 6)" "#FF0000"
}

@test "ig-grid: hex labels sit at the centre of their cell" {
	white m.png 200x200
	map_line m.png | ig-grid --grid hex-pointy --size 60 --labels alpha --color '#ff0000' --opacity 1 >/dev/null
	# cell A1's centre is (30, 34.6): "A1" is 11 px wide, 7 high
	assert_equal "$(px m.grid.png 25 31)" "#FFFFFF"
	assert_equal "$(px m.grid.png 26 31)" "#FF0000"
	assert_equal "$(px m.grid.png 25 34)" "#FF0000"
}

# Records

@test "ig-grid: the records carry seed 003's MapGrid defaults" {
	white m.png
	map_line m.png | ig-grid >out
	assert_equal "$(jq -c 'select(.collection=="map_grids") | [.image_id, .enabled, .size, .color, .opacity]' out)" \
		'["'"$IMG"'",true,50,"#000000",0.5]'
}

@test "ig-grid: the original line passes on first, then its grid, copy and overlay" {
	white m.png
	map_line m.png | ig-grid >out
	assert_equal "$(jq -r .collection out | tr '\n' ' ')" "images map_grids images image_overlays "
	assert_equal "$(head -1 out)" "$(map_line m.png)"
}

@test "ig-grid: the gridded copy's record has its facts and names its source" {
	white m.png
	map_line m.png '"theme":"fantasy","subtype":"ruins"' | ig-grid >out
	run jq -r 'select(.collection=="images" and .path==($ENV.PWD + "/m.grid.png")) | [.sha256, .width, .height, .size, .source_id, .source_type, .type, .subtype, .theme] | join(" ")' out
	assert_output "$(sha256sum m.grid.png | cut -d' ' -f1) 200 150 $(stat -c %s m.grid.png) $IMG images map ruins fantasy"
}

@test "ig-grid: the gridded copy's hashes are those of the file on disk" {
	white m.png 640x480
	map_line m.png | ig-grid --labels alpha >out
	run jq -r 'select(.collection=="images" and .path==($ENV.PWD + "/m.grid.png")) | "\(.sha256) \(.xxh128)"' out
	assert_output "$(sha256sum m.grid.png | cut -d' ' -f1) $(xxhsum -H2 m.grid.png | cut -d' ' -f1)"
}

@test "ig-grid: the overlay is of type grid with its geometry and style" {
	white m.png
	map_line m.png | ig-grid --size 50 --offset 10,0 --grid square >out
	run jq -c 'select(.collection=="image_overlays") | [.type, .image_id, .data.grid, .data.size, .data.offset, .data.columns, .data.rows, .data.foundry_type, .style.color, .style.opacity]' out
	assert_output '["grid","'"$IMG"'","square",50,{"x":10,"y":0},4,3,1,"#000000",0.5]'
}

@test "ig-grid: everything it prints goes into the store under --strict" {
	white m.png
	map_line m.png '"width":200,"height":150,"size":1' | ig-grid | ig-record --strict >/dev/null
	assert_equal "$(ig-query list image_overlays | jq -r .type)" "grid"
	assert_equal "$(ig-query list map_grids | jq -r .image_id)" "$IMG"
}

@test "ig-grid: a map_grids line earlier in the stream supplies the settings" {
	white m.png
	{ echo '{"collection":"map_grids","image_id":"'"$IMG"'","size":25,"color":"#00ff00","opacity":1}'
	  map_line m.png; } | ig-grid >out
	assert_equal "$(px m.grid.png 25 5)" "#00FF00"
	assert_equal "$(jq -c 'select(.collection=="map_grids") | [.size, .color]' out | tail -1)" '[25,"#00ff00"]'
}

@test "ig-grid: options override a map_grids record" {
	white m.png
	{ echo '{"collection":"map_grids","image_id":"'"$IMG"'","size":25,"color":"#00ff00","opacity":1}'
	  map_line m.png; } | ig-grid --size 40 --color '#0000ff' >out
	assert_equal "$(px m.grid.png 40 5)" "#0000FF"
	assert_equal "$(px m.grid.png 25 5)" "#FFFFFF"
}

@test "ig-grid: a stored map_grids record supplies the settings, and keeps its id" {
	white m.png
	{ map_line m.png '"width":200,"height":150,"size":1'
	  echo '{"collection":"map_grids","id":"'"$GEN"'","image_id":"'"$IMG"'","size":30,"color":"#ff0000","opacity":1}'; } |
		ig-record >/dev/null
	map_line m.png | ig-grid >out
	assert_equal "$(px m.grid.png 30 5)" "#FF0000"
	assert_equal "$(jq -r 'select(.collection=="map_grids") | .id' out)" "$GEN"
}

@test "ig-grid: a disabled grid passes the image through untouched" {
	white m.png
	{ echo '{"collection":"map_grids","image_id":"'"$IMG"'","enabled":false}'
	  map_line m.png; } >in
	ig-grid <in >out
	cmp in out
	[ ! -e m.grid.png ]
}

@test "ig-grid: a re-run prints the same records and writes the same bytes" {
	white m.png
	map_line m.png | ig-grid --labels alpha >out1
	sha256sum m.grid.png >sum1
	map_line m.png | ig-grid --labels alpha >out2
	cmp out1 out2
	sha256sum -c sum1
}

@test "ig-grid: a current gridded file is left as it is; new settings make it again" {
	white m.png
	sum=$(sha256sum m.png | cut -d' ' -f1)
	map_line m.png '"sha256":"'"$sum"'"' >in
	ig-grid <in >out1
	inode=$(stat -c %i m.grid.png)
	ig-grid <in >out2
	cmp out1 out2
	assert_equal "$(stat -c %i m.grid.png)" "$inode"
	ig-grid --size 20 <in >/dev/null
	[ "$(stat -c %i m.grid.png)" != "$inode" ]
}

@test "ig-grid: images that are not maps pass through; --all grids them too" {
	white p.png
	echo '{"collection":"images","id":"'"$IMG"'","path":"p.png","type":"character"}' >in
	ig-grid <in >out
	cmp in out
	ig-grid --all <in >out
	[ -e p.grid.png ]
}

@test "ig-grid: lines it does not act on pass through unchanged" {
	printf '%s\n' '{"collection":"themes","name":"x"}' '{"no":"collection"}' >in
	ig-grid <in >out
	cmp in out
}

@test "ig-grid: the source's text chunks come over, before the image data" {
	$IM -size 100x100 xc:white -type TrueColor -set comment 'hello' m.png
	map_line m.png | ig-grid >/dev/null
	assert_equal "$($IM m.grid.png -format '%c' info:)" "hello"
	run chunks m.grid.png
	assert_line --index 0 IHDR
	[ "$(echo "$output" | grep -n tEXt | head -1 | cut -d: -f1)" -lt "$(echo "$output" | grep -n IDAT | head -1 | cut -d: -f1)" ]
}

@test "ig-grid: the gridded file says how it was gridded" {
	white m.png
	map_line m.png | ig-grid --size 40 >/dev/null
	assert_equal "$($IM m.grid.png -format '%[ig-grid]' info:)" \
		'{"grid":"square","foundry_type":1,"size":40,"offset":{"x":0,"y":0},"columns":5,"rows":4,"color":"#000000","opacity":0.5,"width":1,"dash":null,"labels":null,"level":6,"strategy":"huffman","filter":"up"}'
}

@test "ig-grid: a JPEG's comment comes over as a text chunk" {
	$IM -size 60x60 xc:white -set comment 'made by hand' m.jpg
	map_line m.jpg | ig-grid --size 20 >/dev/null
	assert_equal "$($IM m.grid.png -format '%[Comment]' info:)" "made by hand"
}

@test "ig-grid: --uvtt writes a Universal VTT file holding the gridded map" {
	white m.png
	map_line m.png | ig-grid --size 50 --uvtt >/dev/null
	assert_equal "$(jq -c '.resolution' m.grid.uvtt)" '{"map_origin":{"x":0,"y":0},"map_size":{"x":4,"y":3},"pixels_per_grid":50}'
	jq -r .image m.grid.uvtt | base64 -d | cmp - m.grid.png
}

@test "ig-grid: --out-dir writes under the root, keeping the relative path" {
	mkdir -p maps
	white maps/m.png
	map_line maps/m.png | ig-grid --out-dir out >/dev/null
	[ -e out/maps/m.grid.png ]
	[ ! -e maps/m.grid.png ]
}

@test "ig-grid: both cores' bands make the same file as one core" {
	$IM -size 600x900 plasma:fractal -type TrueColor m.png
	map_line m.png | ig-grid --threads 1 --suffix .one >/dev/null
	map_line m.png | ig-grid --threads 2 --suffix .two >/dev/null
	cmp m.one.png m.two.png
	assert_equal "$($IM m.two.png -depth 8 rgb:- | sha256sum)" "$($IM m.one.png -depth 8 rgb:- | sha256sum)"
}

@test "ig-grid: every --level, --strategy and --filter makes a PNG with the same pixels" {
	$IM -size 300x200 plasma:fractal -type TrueColor m.png
	map_line m.png | ig-grid --suffix .a >/dev/null
	want=$($IM m.a.png -depth 8 rgb:- | sha256sum)
	for f in none sub up avg paeth adaptive; do
		for z in huffman rle filtered default; do
			map_line m.png | ig-grid --level 9 --strategy $z --filter $f --suffix .$f$z >/dev/null
			assert_equal "$($IM m.$f$z.png -depth 8 rgb:- | sha256sum)" "$want"
		done
	done
	map_line m.png | ig-grid --level 0 --suffix .stored >/dev/null
	assert_equal "$($IM m.stored.png -depth 8 rgb:- | sha256sum)" "$want"
}

@test "ig-grid: --strategy names one of zlib's" {
	run -2 ig-grid --strategy fast </dev/null
	assert_output "ig-grid: --strategy is huffman, rle, filtered or default, not fast"
}

@test "ig-grid: memory grows with the width, not the height" {
	python3 - <<-'EOF'
	import struct, zlib
	def png(name, w, h):
	    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
	    z = zlib.compressobj(1); row = b"\0" + bytes(range(256)) * (w * 3 // 256); data = b""
	    for y in range(h): data += z.compress(row)
	    data += z.flush()
	    open(name, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", data) + chunk(b"IEND", b""))
	png("tall.png", 4096, 4096)
	png("short.png", 4096, 1024)
	EOF
	# under AddressSanitizer, freed bands would wait in its quarantine
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1
	map_line tall.png | /usr/bin/time -f %M -o rss.tall ig-grid --level 1 >/dev/null
	map_line short.png | /usr/bin/time -f %M -o rss.short ig-grid --level 1 >/dev/null
	# 4096 x 4096 RGB is 48 MB of pixels, 36 MB more than the short one's;
	# what either holds is the bands in flight, at most 4 a thread of
	# about 1.5 MB each (raw, filtered, deflated): 12 MB on two cores
	[ $(( $(tail -1 rss.tall) - $(tail -1 rss.short) )) -lt 16384 ]
}

# Bad input

@test "ig-grid: a truncated PNG is refused, nothing is left, the next map is gridded" {
	$IM -size 300x300 plasma:fractal -type TrueColor whole.png
	head -c 20000 whole.png >cut.png
	{ echo '{"collection":"images","id":"'"$GEN"'","path":"cut.png","type":"map"}'; map_line whole.png; } >in
	run -1 ig-grid <in
	assert_line --partial "ig-grid: stdin:1: image $GEN: cut.png: PNG: "
	[ ! -e cut.grid.png ]
	[ -e whole.grid.png ]
	[ -z "$(ls -A | grep tmp)" ]
}

@test "ig-grid: a truncated JPEG is refused" {
	$IM -size 300x300 plasma:fractal m.jpg
	head -c 3000 m.jpg >cut.jpg
	run -1 ig-grid < <(map_line cut.jpg)
	assert_output --partial "ig-grid: stdin:1: image $IMG: cut.jpg: JPEG: "
	[ ! -e cut.grid.png ]
}

@test "ig-grid: a file that is no image is refused" {
	echo hello >m.png
	run -1 ig-grid < <(map_line m.png)
	assert_line "ig-grid: stdin:1: image $IMG: m.png: not a PNG or JPEG file"
}

@test "ig-grid: a missing file is refused" {
	run -1 ig-grid < <(map_line gone.png)
	assert_line "ig-grid: stdin:1: image $IMG: gone.png: No such file or directory"
}

@test "ig-grid: a header claiming 100000 x 100000 pixels is refused before allocating" {
	python3 -c '
import struct, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open("huge.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))'
	run -1 /usr/bin/time -f %M -o rss ig-grid < <(map_line huge.png)
	assert_output --partial "huge.png: 100000 x 100000 pixels is more than the 268435456 allowed"
	[ "$(tail -1 rss)" -lt 65536 ]
}

@test "ig-grid: a grid larger than the image is refused" {
	white m.png 40x40
	run -1 ig-grid --size 50 < <(map_line m.png)
	assert_line "ig-grid: stdin:1: image $IMG: grid size 50 is larger than the 40 x 40 image m.png"
}

@test "ig-grid: a map_grids size of 0 is refused for its image" {
	white m.png
	run -1 ig-grid < <(echo '{"collection":"map_grids","image_id":"'"$IMG"'","size":0}'; map_line m.png)
	assert_output --partial "ig-grid: stdin:2: image $IMG: its map_grids size 0 is no whole number"
}

@test "ig-grid: a bad map_grids color is refused for its image" {
	white m.png
	run -1 ig-grid < <(echo '{"collection":"map_grids","image_id":"'"$IMG"'","color":"blue"}'; map_line m.png)
	assert_output --partial "ig-grid: stdin:2: image $IMG: its map_grids color blue is not"
}

@test "ig-grid: a bad map_grids opacity is refused for its image" {
	white m.png
	run -1 ig-grid < <(echo '{"collection":"map_grids","image_id":"'"$IMG"'","opacity":1.5}'; map_line m.png)
	assert_output --partial "ig-grid: stdin:2: image $IMG: its map_grids opacity 1.5 is not from 0 to 1"
}

@test "ig-grid: --out-dir takes an absolute source, from the working directory or whole" {
	mkdir -p maps elsewhere
	white maps/m.png
	white elsewhere/e.png
	other=$(mktemp -d "${TMPDIR:-/tmp}/ig-grid-XXXX")
	white "$other/o.png"
	{ map_line "$PWD/maps/m.png"; map_line "$other/o.png"; } | ig-grid --out-dir out >lines
	[ -f out/maps/m.grid.png ] && [ -f "out$other/o.grid.png" ]
	assert_equal "$(jq -r 'select(.collection == "images" and .source_id) | .path' lines | head -1)" "$PWD/out/maps/m.grid.png"
	rm -rf "$other"
}

@test "ig-grid: under --out-dir a path leaving the root is refused" {
	mkdir sub
	white m.png
	cd sub
	run -1 ig-grid --out-dir out < <(map_line ../m.png)
	assert_line "ig-grid: stdin:1: image $IMG: ../m.png would leave the output root out"
	[ ! -e ../m.grid.png ]
}

@test "ig-grid: a line that is not JSON is refused and the rest go on" {
	white m.png
	run -1 ig-grid < <(echo 'nope'; map_line m.png)
	assert_line --index 0 --partial "ig-grid: stdin:1: "
	[ -e m.grid.png ]
}

@test "ig-grid: an image record without an id is refused" {
	white m.png
	run -1 ig-grid < <(echo '{"collection":"images","path":"m.png","type":"map"}')
	assert_output --partial "ig-grid: stdin:1: an images record to grid needs its id and path"
}

@test "ig-grid: under IG_URL_BASE the gridded copy's url is the public one" {
	white m.png
	map_line m.png | IG_URL_BASE="$PWD=https://cdn.example.com/maps/" ig-grid >out
	assert_equal "$(jq -r 'select(.collection == "images" and .source_id) | .url' out)" https://cdn.example.com/maps/m.grid.png
}

@test "ig-grid: a map whose path is a FIFO is refused at once (issue 12.5)" {
	mkfifo m.png
	run -1 --separate-stderr timeout 10 ig-grid < <(map_line m.png)
	assert_regex "$stderr" "m.png: not a regular file$"
}

@test "ig-grid: a chunk whose length says 2 GB is refused from its header, in a few MB (issue 12.2)" {
	cp "$BATS_TEST_DIRNAME/fixtures/text-length-lie.png" lie.png
	white ok.png
	{ map_line "$PWD/lie.png"; map_line "$PWD/ok.png"; } >in
	/usr/bin/time -f %M -o rss ig-grid --all <in >out 2>err && false
	assert_equal "$(cat err)" "ig-grid: stdin:1: image $IMG: $PWD/lie.png: PNG: a chunk of 2013265919 bytes is more than the largest chunk, 16 MiB"
	[ "$(tail -1 rss)" -lt 65536 ]
	[ -s ok.grid.png ]
	[ ! -e lie.grid.png ]
}

@test "ig-grid: a symbolic link in --out-dir that leads out of it is not followed (issue 12.3)" {
	mkdir -p out outside sub
	white sub/m.png
	ln -s ../outside out/sub
	run -1 --separate-stderr ig-grid --out-dir out < <(map_line sub/m.png)
	assert_equal "$stderr" "ig-grid: stdin:1: image $IMG: $PWD/out/sub/m.grid.png: a symbolic link on the way leads out of the output root"
	assert_equal "$(find outside | wc -l)" 1
}

@test "ig-grid: a --suffix that makes a path no record could name is refused, nothing written (issue 12.7)" {
	white m.png
	run -1 --separate-stderr ig-grid --suffix $'.\nnl' < <(map_line "$PWD/m.png")
	assert_equal "$stderr" "ig-grid: stdin:1: image $IMG: 'path' must be a valid path (not empty, at most 4096 bytes, no control characters, not ending in /)"
	[ "$(find . -maxdepth 1 -name 'm.*' | wc -l)" -eq 1 ]
}
