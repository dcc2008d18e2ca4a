#!/usr/bin/env bats
# ig-hash: hashes and image facts, one pass per file

load helper

make_images() {
	$IM -size 7x5 xc:red a.png
	$IM -size 9x4 xc:blue b.jpg
	$IM -size 3x8 xc:green c.gif
	$IM -size 11x6 xc:white d.webp
	$IM -size 13x2 xc:white -define webp:lossless=true e.webp
}

# Argument checking

@test "ig-hash: -j takes a number from 1 to 256" {
	run -2 ig-hash -j 0 </dev/null
	assert_output "ig-hash: -j takes a number from 1 to 256"
}

@test "ig-hash: --stored needs --check" {
	run -2 ig-hash --stored
	assert_output --partial "usage: ig-hash"
}

# Behaviour

@test "ig-hash: sha256 equals sha256sum's" {
	make_images
	for f in a.png b.jpg c.gif d.webp; do
		assert_equal "$(echo "$f" | ig-hash | jq -r .sha256)" "$(sha256sum "$f" | cut -d' ' -f1)"
	done
}

@test "ig-hash: xxh128 equals xxhsum -H2's" {
	make_images
	for f in a.png b.jpg c.gif d.webp; do
		assert_equal "$(echo "$f" | ig-hash | jq -r .xxh128)" "$(xxhsum -H2 "$f" | cut -d' ' -f1)"
	done
}

@test "ig-hash: a bare path becomes an images record with size, format and dimensions" {
	make_images
	run -0 ig-hash <<<a.png
	assert_equal "$(jq -c '[.collection,.path,.format,.width,.height,.size]' <<<"$output")" "[\"images\",\"$PWD/a.png\",\"png\",7,5,$(stat -c %s a.png)]"
}

@test "ig-hash: formats and sizes of PNG, JPEG, GIF and WebP (lossy and lossless) match identify" {
	make_images
	printf '%s\n' a.png b.jpg c.gif d.webp e.webp | ig-hash | jq -r '"\(.path | ltrimstr($ENV.PWD + "/")) \(.format) \(.width)x\(.height)"' >got
	for f in a.png b.jpg c.gif d.webp e.webp; do
		echo "$f $(identify -format '%m %wx%h' "$f" | tr A-Z a-z)"
	done >want
	diff want got
}

@test "ig-hash: a 512 MB file is hashed right in the memory a small one takes" {
	truncate -s 512M big.bin
	printf 'end' >>big.bin
	printf 'end' >small.bin
	/usr/bin/time -f %M -o rss.big ig-hash <<<big.bin >out 2>/dev/null || true
	/usr/bin/time -f %M -o rss.small ig-hash <<<small.bin >/dev/null 2>&1 || true
	assert_equal "$(jq -r .sha256 out)" "$(sha256sum big.bin | cut -d' ' -f1)"
	assert_equal "$(jq -r .size out)" "$(stat -c %s big.bin)"
	# one 4 MB window more than a tiny file, never the file
	[ $(( $(tail -1 rss.big) - $(tail -1 rss.small) )) -lt 6144 ]
	# and under 16 MB, unless a sanitizer's own memory is counted too
	ldd "$(command -v ig-hash)" | grep -q libasan || [ "$(tail -1 rss.big)" -lt 16384 ]
}

@test "ig-hash: the format comes from the bytes, not the name" {
	$IM -size 4x4 xc:red real.png
	cp real.png looks.jpg
	assert_equal "$(echo looks.jpg | ig-hash | jq -r .format)" png
}

@test "ig-hash: every valid PngSuite file reads with ImageMagick's dimensions" {
	for f in "$PNGSUITE"/[!x]*.png; do echo "$f"; done >list
	ig-hash list | jq -r '"\(.path | split("/") | last) \(.width)x\(.height)"' >got
	while read -r f; do echo "${f##*/} $(identify -format '%wx%h' "$f")"; done <list >want
	diff want got
	assert_equal "$(wc -l <got)" 161
}

@test "ig-hash: broken PngSuite files are refused, each with a reason" {
	for f in "$PNGSUITE"/x*.png; do echo "$f"; done >list
	run -1 --separate-stderr ig-hash list
	# xcsn0g01 differs only in an IDAT CRC, which a decoder checks, not ig-hash
	assert_equal "$(grep -c 'ig-hash: list:[0-9]*: .*/x.*\.png: ' <<<"$stderr")" 13
	assert_equal "$(jq -r 'select(.collection) | .path | split("/") | last' <<<"$output")" xcsn0g01.png
	assert_regex "$stderr" "xhdn0g08.png: PNG: IHDR: CRC error"
	assert_regex "$stderr" "xs1n0g01.png: not an image"
	assert_regex "$stderr" "xdtn0g01.png: PNG: IEND: out of place"
}

@test "ig-hash: a JSON line keeps its fields and its id, and gains the facts" {
	make_images
	run -0 ig-hash <<<'{"collection":"images","id":"'"$IMG"'","path":"a.png","type":"map","width":1}'
	assert_equal "$(jq -c '[.id,.type,.width,.height,.format]' <<<"$output")" "[\"$IMG\",\"map\",7,5,\"png\"]"
}

@test "ig-hash: hashing the same path again gives the same id" {
	make_images
	assert_equal "$(ig-hash <<<a.png | jq -r .id)" "$(ig-hash <<<a.png | jq -r .id)"
	[ "$(ig-hash <<<a.png | jq -r .id)" != "$(ig-hash <<<b.jpg | jq -r .id)" ]
}

@test "ig-hash: lines without a path pass through unchanged" {
	printf '%s\n' '{"collection":"themes", "name":"x"}' '{"plan":1}' >in
	run -0 ig-hash in
	assert_output "$(cat in)"
}

@test "ig-hash: a path with spaces or a newline, in JSON" {
	$IM -size 2x3 xc:red "a b.png"
	$IM -size 2x3 xc:red $'new\nline.png'
	printf '%s\n' '{"path":"a b.png"}' '{"path":"new\nline.png"}' | ig-hash >out
	assert_equal "$(jq -r .height out | tr '\n' ' ')" "3 3 "
	ig-hash <<<"a b.png" | jq -e '.width == 2'
}

@test "ig-hash: its records store with ig-record as they are" {
	make_images
	printf '%s\n' a.png b.jpg c.gif d.webp | ig-hash | ig-record >stored
	assert_equal "$(ig-query list images | wc -l)" 4
	diff <(ig-query list images | jq -r .name | sort) <(printf '%s\n' a.png b.jpg c.gif d.webp)
}

@test "ig-hash: -j 4 keeps the output in input order" {
	for i in $(seq 40); do $IM -size "$i"x1 xc:red "f$i.png"; echo "f$i.png"; done >list
	ig-hash -j 4 list | jq -r .width >got
	seq 40 | diff - got
}

@test "ig-hash: -j 2 gives the same output as one core" {
	make_images
	printf '%s\n' a.png b.jpg nope c.gif d.webp >list
	ig-hash list >one 2>err1 || true
	ig-hash -j 2 list >two 2>err2 || true
	cmp one two
	cmp err1 err2
}

# Bad input: a message, the other lines go on, exit status 1

bad() { # file expected-reason
	make_images
	printf '%s\n' a.png "$1" b.jpg >list
	run -1 --separate-stderr ig-hash list
	assert_equal "$stderr" "ig-hash: list:2: $1: $2"
	assert_equal "$(jq -r .path <<<"$output" | head -1)" "$PWD/a.png"
	assert_equal "$(jq -r .path <<<"$output" | tail -1)" "$PWD/b.jpg"
}

@test "ig-hash: a missing file" {
	bad missing.png "No such file or directory"
	assert_equal "${#lines[@]}" 2
}

@test "ig-hash: a directory" {
	mkdir adir
	bad adir "is a directory"
}

@test "ig-hash: an unreadable file" {
	# root reads every file, so as root the check runs as nobody, in a
	# directory nobody can enter, with a copy of the program
	d=$(mktemp -d /tmp/ig-hash-test.XXXXXX)
	chmod 755 "$d"
	cp "$(command -v ig-hash)" "$d/ig-hash"
	$IM -size 2x2 xc:red "$d/ok.png"
	$IM -size 2x2 xc:red "$d/secret.png"
	chmod 000 "$d/secret.png"
	printf '%s\n' "$d/ok.png" "$d/secret.png" >"$d/list"
	chmod 644 "$d/list"
	as=()
	[ "$(id -u)" != 0 ] || as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	run -1 --separate-stderr "${as[@]}" "$d/ig-hash" "$d/list"
	assert_equal "$stderr" "ig-hash: $d/list:2: $d/secret.png: Permission denied"
	assert_equal "$(jq -r .width <<<"$output")" 2
	rm -rf "$d"
}

@test "ig-hash: a zero-byte file still gets its hashes" {
	: >empty.png
	bad empty.png "empty file"
	assert_equal "$(jq -r 'select(.path == ($ENV.PWD + "/empty.png")) | .sha256' <<<"$output")" "$(sha256sum empty.png | cut -d' ' -f1)"
}

@test "ig-hash: a truncated PNG" {
	$IM -size 64x64 plasma: big.png
	head -c $(($(stat -c %s big.png) - 20)) big.png >cut.png
	bad cut.png "PNG: truncated (no IEND chunk)"
}

@test "ig-hash: a PNG cut inside its header" {
	head -c 20 "$PNGSUITE/basn2c08.png" >cut.png
	bad cut.png "PNG: truncated before the image data"
}

@test "ig-hash: a truncated JPEG" {
	$IM -size 64x64 plasma: big.jpg
	head -c 300 big.jpg >cut.jpg
	bad cut.jpg "JPEG: truncated (no end-of-image marker)"
}

@test "ig-hash: a file that is no image gets its hashes, no dimensions, and a format that says so" {
	echo hello >notes.txt
	bad notes.txt "not an image (no PNG, JPEG, GIF or WebP signature)"
	assert_equal "$(jq -c 'select(.path == ($ENV.PWD + "/notes.txt")) | [.format, .width, .height, .size, .collection]' <<<"$output")" '["unknown",null,null,6,null]'
}

@test "ig-hash: a header claiming 100000 x 100000 pixels is reported, nothing allocated" {
	# a real IHDR for 100000 x 100000, 8-bit grey, with its CRC, then IEND
	python3 - <<'PY'
import struct, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0)
open("huge.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b""))
PY
	bad huge.png "PNG header claims 100000 x 100000 pixels, more than the 268435456 ig takes"
	/usr/bin/time -f %M ig-hash <<<huge.png 2>&1 >/dev/null | tail -1 >rss || true
	# 10^10 pixels would be gigabytes; the headers alone are a few MB
	[ "$(cat rss)" -lt 65536 ]
}

# --check

@test "ig-hash --check: passes unchanged files and lines through, exit 0" {
	make_images
	printf '%s\n' a.png b.jpg | ig-hash >recorded
	run -0 --separate-stderr ig-hash --check recorded
	assert_output "$(cat recorded)"
	assert_equal "$stderr" ""
}

@test "ig-hash --check: catches one flipped byte" {
	make_images
	ig-hash <<<b.jpg >recorded
	printf '\x00' | dd of=b.jpg bs=1 seek=100 conv=notrunc status=none
	run -1 --separate-stderr ig-hash --check recorded
	assert_equal "$stderr" "ig-hash: recorded:1: $PWD/b.jpg: content changed: sha256 recorded $(jq -r .sha256 recorded), the file has $(sha256sum b.jpg | cut -d' ' -f1)"
}

@test "ig-hash --check: reports a missing file, one line each" {
	make_images
	printf '%s\n' a.png b.jpg | ig-hash >recorded
	rm a.png b.jpg
	run -1 --separate-stderr ig-hash --check recorded
	assert_equal "$stderr" "ig-hash: recorded:1: $PWD/a.png: No such file or directory
ig-hash: recorded:2: $PWD/b.jpg: No such file or directory"
}

@test "ig-hash --check --stored: checks the store's images, deleted ones aside" {
	make_images
	printf '%s\n' a.png b.jpg c.gif | ig-hash | ig-record >/dev/null
	ig-record <<<'{"collection":"images","id":"'"$(ig-hash <<<c.gif | jq -r .id)"'","is_deleted":true}' >/dev/null
	echo changed >>a.png
	rm c.gif
	run -1 --separate-stderr ig-hash --check --stored
	assert_output '{"checked":2,"failed":1}'
	assert_regex "$stderr" "^ig-hash: $IG_STORE:[0-9a-f-]{36}: $PWD/a.png: content changed"
}

@test "ig-hash: an image on a long path is named by its base name, and ig-record takes it" {
	d=$(printf 'd%.0s' $(seq 120))/$(printf 'e%.0s' $(seq 120))
	mkdir -p "$d"
	cp "$PNGSUITE/basn2c08.png" "$d/map.png"
	echo "$d/map.png" | ig-hash | ig-record --strict >out
	assert_equal "$(jq -r .name out)" map.png
	assert_equal "$(jq -r .path out)" "$PWD/$d/map.png"
}

@test "ig-hash: a FIFO is refused at once, not waited on (issue 12.5)" {
	cp "$PNGSUITE/basn2c08.png" a.png
	mkfifo fifo.png
	run -1 --separate-stderr timeout 10 ig-hash <<<$'fifo.png\na.png'
	assert_equal "$stderr" "ig-hash: stdin:1: fifo.png: not a regular file"
	assert_equal "$(jq -r .path <<<"$output")" "$PWD/a.png"
}

@test "ig-hash: a path line that is not valid UTF-8 is refused, never replaced (issue 12.8)" {
	cp "$PNGSUITE/basn2c08.png" a.png
	run -1 --separate-stderr ig-hash < <(printf 'a.png\n\xff\xfe.png\n')
	assert_equal "$stderr" "ig-hash: stdin:2: a path that is not valid UTF-8"
	assert_equal "$(grep -c . <<<"$output")" 1
}
