#!/bin/sh
# bench/maps.sh DIR - 61 PNGs of 1024 x 1024 in DIR, made once: plasma, blur
# and a little noise, 8-bit, about 1.5 MB a file, like generated maps
set -eu
dir=$1
[ ! -f "$dir/map60.png" ] || exit 0
mkdir -p "$dir"
i=0
while [ $i -le 60 ]; do
	/usr/bin/convert -size 1024x1024 -seed $i plasma:fractal -blur 0x1 \
		-attenuate 0.1 +noise Gaussian -depth 8 "$dir/map$i.png"
	i=$((i + 1))
done
