#!/usr/bin/env bats
# Out of space (issue 12.4): every program says so and exits 3, the store
# stays consistent, and no file is under a real name without its records.
# Each test runs in a mount namespace of its own, on a small tmpfs.

load helper

# the command, with a tmpfs of size mounted at ./full for it alone
on_small_fs() { # size command...
	unshare -rm true 2>/dev/null || skip "no mount namespace here (unshare -rm)"
	mkdir -p full
	unshare -rm sh -c 'mount -t tmpfs -o size="$1" tmpfs full && shift && exec "$@"' sh "$@"
}

themes() { # n
	seq "$1" | awk '{printf "{\"collection\":\"themes\",\"name\":\"t%d\",\"display_name\":\"X\",\"config\":{},\"variables\":{},\"prompts\":[\"a long prompt to fill pages %0200d\"],\"styles\":[]}\n", $1, 0}'
}

@test "full disk: ig-record says no space left and exits 3, not SIGBUS; the store is consistent" {
	themes 20000 >in
	on_small_fs 2m sh -c '
		IG_STORE=full/store ig-record in >out 2>err; echo $? >rc
		mdb_stat full/store >/dev/null && echo ok >consistent
		IG_STORE=full/store ig-query list themes | wc -l >stored'
	assert_equal "$(cat rc)" 3
	assert_equal "$(cat err)" "ig-record: store full/store: No space left on device (a short write)"
	assert_equal "$(cat consistent)" ok
	# nothing printed that the store does not hold
	assert_equal "$(wc -l <out)" "$(cat stored)"
}

@test "full disk: a store that cannot even take its lock file is refused with exit 3" {
	on_small_fs 8k sh -c '
		head -c 8192 /dev/zero >full/filler 2>/dev/null
		IG_STORE=full/store ig-record </dev/null 2>err; echo $? >rc'
	assert_equal "$(cat rc)" 3
	assert_equal "$(cat err)" "ig-record: store full/store: lock.mdb: No space left on device"
}

@test "full disk: ig-gen leaves the jobs it could not write queued and exits 3" {
	for n in 1 2 3; do
		printf '{"collection":"generations","id":"01960000-0000-7000-8000-%012d","status":"queued","prompt":"p %s","output_path":"m/%s.png","params":{"seed":%s,"size":"1024x1024"}}\n' $n $n $n $n
	done >in
	ig-record in >/dev/null
	on_small_fs 40k sh -c 'ig-gen --out-dir full in >out 2>err; echo $? >rc; ls full/m >files 2>/dev/null
		ig-record --strict out >/dev/null; echo $? >recorded'
	assert_equal "$(cat rc)" 3
	grep -q 'No space left on device (it stays queued)' err
	assert_equal "$(cat recorded)" 0
	assert_equal "$(ig-query list generations | jq -r .status | sort | tr '\n' ' ')" "done queued queued "
	# whatever was written whole has its records: a done job each
	assert_equal "$(grep -c '\.png$' files || :)" "$(ig-query list generations | jq -c 'select(.status == "done")' | wc -l)"
}

@test "full disk: ig-grid exits 3 and leaves no gridded map without its records" {
	$IM -size 1024x1024 plasma:fractal -type TrueColor map.png
	echo '{"collection":"images","id":"'"$IMG"'","path":"'"$PWD"'/map.png","type":"map"}' >in
	on_small_fs 1m sh -c 'cd full && ig-grid --uvtt --out-dir out <../in >../out 2>../err; echo $? >../rc; find out -type f >../files'
	assert_equal "$(cat rc)" 3
	grep -q 'No space left on device' err
	[ ! -s files ]
	[ -z "$(jq -r 'select(.collection == "map_grids")' out)" ]
}

@test "full disk: when the .uvtt does not fit after the map, neither is left, and ig-grid exits 3" {
	$IM -size 256x256 plasma:fractal -type TrueColor map.png
	echo '{"collection":"images","id":"'"$IMG"'","path":"'"$PWD"'/map.png","type":"map"}' >in
	ig-grid --out-dir sized <in >/dev/null
	size=$(find sized -name map.grid.png -exec stat -c %s {} +)
	# room for the map and half its base64 sidecar
	on_small_fs "$(( size * 2 / 1024 + 64 ))k" sh -c 'cd full && ig-grid --uvtt --out-dir out <../in >../out 2>../err; echo $? >../rc; find out -type f >../files'
	assert_equal "$(cat rc)" 3
	assert_regex "$(cat err)" "\.map\.grid\.uvtt\.tmp\.[0-9.]+: No space left on device$"
	[ ! -s files ]
}
