#!/bin/sh
# bench/sheet.sh [N] - a contact sheet of N 1024 x 1024 maps (default 500)
# by ig-sheet beside ImageMagick's montage -geometry 256x256+4+4 of the same
# files, in one run; and the thumbnails alone beside libvips' vipsthumbnail,
# the field's reference for fast, low-memory thumbnails. The maps are
# bench/maps.sh's 61 (plasma, blur, noise: about 1.5 MB each), named again
# and again up to N, in the page cache. Figures: bench/README.md.
set -eu
n=${1:-500}
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${BENCH_DIR:-/tmp/ig-bench-maps}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$top/bench/measure.sh"
"$top/bench/maps.sh" "$dir"
mkdir "$tmp/maps" "$tmp/vips"
i=0
while [ $i -lt "$n" ]; do
	ln -s "$dir/map$((i % 61)).png" "$tmp/maps/m$i.png"
	echo "{\"collection\":\"images\",\"path\":\"$tmp/maps/m$i.png\",\"name\":\"m$i.png\",\"width\":1024,\"height\":1024}"
	i=$((i + 1))
done >"$tmp/images.jsonl"
cat "$dir"/map*.png >/dev/null
echo "input: $n maps of 1024 x 1024 ($(du -cmL "$dir"/map*.png | tail -1 | cut -f1) MB of distinct files)"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# montage reads every map whole into its pixel cache: past 40 or so of them
# Debian's policy (256 MiB of memory, 1 GiB of disk) stops it. Read with
# the size hint [256x256], each map is shrunk as it is read.
if /usr/bin/montage -geometry 256x256+4+4 -tile 10x "$tmp/maps/m*.png" "$tmp/plain.png" 2>"$tmp/plain.err"; then
	echo "montage, plain: made it"
else
	echo "montage -geometry 256x256+4+4 'm*.png', plain: fails ($(grep -c 'cache resources exhausted' "$tmp/plain.err") maps 'cache resources exhausted' under Debian's policy)"
fi
set -- $(measure /usr/bin/montage -geometry 256x256+4+4 -tile 10x "$tmp/maps/m*.png[256x256]" "$tmp/montage.png")
im_s=$1 im_kb=$2
echo "montage -geometry 256x256+4+4 'm*.png[256x256]': $im_s s, peak anon $((im_kb / 1024)) MB"
set -- $(measure "$top/bin/ig-sheet" --png "$tmp/sheet.png" --columns 10 --thumb 256 "$tmp/images.jsonl")
ig_s=$1 ig_kb=$2
echo "ig-sheet --png --columns 10 --thumb 256: $ig_s s, peak anon $((ig_kb / 1024)) MB"
echo "ratios: montage / ig-sheet: $(ratio "$im_s" "$ig_s") in time (goal: 5 or more), $(ratio "$im_kb" "$ig_kb") in memory (goal: 10 or more)"

# the thumbnails alone: vipsthumbnail on as many threads as ig-sheet uses
set -- $(measure sh -c "cd '$tmp/maps' && vipsthumbnail -s 256 -o '$tmp/vips/%s.png' m*.png")
vips_s=$1
set -- $(measure "$top/bin/ig-sheet" --html "$tmp/gallery" --thumb 256 "$tmp/images.jsonl")
gal_s=$1 gal_kb=$2
echo "vipsthumbnail -s 256, $n files: $vips_s s; ig-sheet --html (the same thumbnails, each written as a PNG, and the page): $gal_s s, peak anon $((gal_kb / 1024)) MB; ratio $(ratio "$vips_s" "$gal_s")"
