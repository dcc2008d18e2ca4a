#!/bin/sh
# bench/grid.sh - ig-grid beside ImageMagick drawing the same grid on one map:
# 70 px cells, 2 px lines, black at half opacity (the notes' setting).
#   1. ImageMagick's default PNG setting (quality 75: zlib 7, adaptive filters)
#   2. ig-grid at that same zlib level and filter
#   3. ig-grid at its own default setting
# Every run's exit status is checked, and a pixel on a line and one off the
# lines are read back from every output. Usage: bench/grid.sh [SIDE], default
# 8192. Figures: bench/README.md.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
side=${1:-8192}
if [ $# -lt 2 ]; then
	"$0" "$side" smooth
	"$0" "$side" noisy
	exit
fi
kind=$2
dir=${BENCH_DIR:-/tmp/ig-bench-grid}
mkdir -p "$dir"
cd "$dir"
IM=/usr/bin/convert

# Debian's policy caps ImageMagick at 256 MiB of memory and then pages its
# pixel cache to disk; give it the limits upstream ships, or it measures the
# disk. (-limit cannot raise a policy limit.)
cat >policy.xml <<'EOF'
<policymap>
  <policy domain="resource" name="memory" value="8GiB"/>
  <policy domain="resource" name="map" value="16GiB"/>
  <policy domain="resource" name="width" value="64KP"/>
  <policy domain="resource" name="height" value="64KP"/>
  <policy domain="resource" name="area" value="4GP"/>
  <policy domain="resource" name="disk" value="32GiB"/>
</policymap>
EOF
export MAGICK_CONFIGURE_PATH="$dir"

map=$kind$side.png
if [ ! -f "$map" ] && [ "$kind" = smooth ]; then
	$IM -size "${side}x$side" -seed 7 plasma:fractal -depth 8 -type TrueColor "$map"
elif [ ! -f "$map" ]; then
	$IM -size 1024x1024 -seed 7 plasma:fractal -filter triangle -resize "${side}x${side}!" \
		-seed 7 -attenuate 0.4 +noise Gaussian -depth 8 -type TrueColor "$map"
fi
cat "$map" >/dev/null
echo "input: $map ($kind), $side x $side RGB, $(($(stat -c %s "$map") / 1048576)) MB"

# the same lines as MVG, given inline: the policy refuses -draw @file
mvg=$(awk -v n="$side" 'BEGIN { for (p = 0; p < n; p += 70) printf "line %d,0 %d,%d line 0,%d %d,%d ", p, p, n - 1, p, n - 1, p }')

# run: name, then the command; prints seconds and peak RSS, checks the exit
run() {
	name=$1
	shift
	s=$(date +%s%N)
	if ! /usr/bin/time -f %M -o "$name.rss" "$@" >/dev/null 2>"$name.err"; then
		echo "$name: exit status not 0:" >&2
		cat "$name.err" >&2
		exit 1
	fi
	t=$(( $(date +%s%N) - s ))
	awk -v ns="$t" 'BEGIN { printf "%.2f", ns / 1e9 }' >"$name.time"
}

rgb='%[fx:int(255*r)],%[fx:int(255*g)],%[fx:int(255*b)]'
# a pixel on a line must be darker than the map's, one between lines the same
check() { # file
	on=$($IM "$1" -crop 1x1+70+35 -depth 8 -format '%[fx:int(255*luminance)]' info:)
	src=$($IM "$map" -crop 1x1+70+35 -depth 8 -format '%[fx:int(255*luminance)]' info:)
	off=$($IM "$1" -crop 1x1+35+35 -depth 8 -format "$rgb" info:)
	srcoff=$($IM "$map" -crop 1x1+35+35 -depth 8 -format "$rgb" info:)
	if [ "$on" -ge "$src" ] || [ "$off" != "$srcoff" ]; then
		echo "$1: no grid drawn (line $on against $src, between $off against $srcoff)" >&2
		exit 1
	fi
}

echo '{"collection":"images","id":"01900000-0000-7000-8000-0000000000a1","path":"'$map'","type":"map"}' >map.jsonl
grid="$top/bin/ig-grid --size 70 --width 2 --opacity 0.5"

# -type TrueColor: RGB out, as ig-grid writes (a translucent stroke would
# make ImageMagick write RGBA, a larger file)
run im $IM "$map" -fill none -stroke 'rgba(0,0,0,0.5)' -strokewidth 2 -draw "$mvg" -type TrueColor im.png
check im.png
run same $grid --suffix .same --level 7 --filter adaptive map.jsonl
check "$kind$side.same.png"
run default $grid --suffix .default map.jsonl
check "$kind$side.default.png"
# ImageMagick's own pixels through ig-grid's encoder at its setting: the
# encoders compared with the drawing taken out
echo '{"collection":"images","id":"01900000-0000-7000-8000-0000000000a2","path":"im.png","type":"map"}' >im.jsonl
run reencode "$top/bin/ig-grid" --opacity 0 --level 7 --filter adaptive --suffix .re im.jsonl

size() { stat -c %s "$1"; }
im_t=$(cat im.time) im_s=$(size im.png)
printf '%-40s %8s %9s %10s %8s %8s\n' what seconds "RSS MB" "size MB" "time x" "size x"
row() { # label, name, file
	t=$(cat "$2.time") s=$(size "$3") m=$(($(tail -1 "$2.rss") / 1024))
	awk -v l="$1" -v t="$t" -v m="$m" -v s="$s" -v it="$im_t" -v is="$im_s" \
		'BEGIN { printf "%-40s %8.2f %9d %10.1f %8.2f %8.3f\n", l, t, m, s / 1048576, t / it, s / is }'
}
row "ImageMagick -draw (zlib 7, adaptive)" im im.png
row "ig-grid --level 7 --filter adaptive" same "$kind$side.same.png"
row "ig-grid default (up, Huffman only)" default "$kind$side.default.png"
row "ImageMagick's pixels, ig-grid's encoder" reencode im.re.png
