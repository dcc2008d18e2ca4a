#!/usr/bin/env bats
# Many hosts, on one machine: GNU parallel over ssh to an sshd the test
# starts on 127.0.0.1, four shards of one batch against the loopback Gemini
# stand-in, all syncing into one PostgreSQL at once, then merged

load helper

KEY=shard-key-77

teardown() {
	[ -z "${MOCK_PID:-}" ] || kill "$MOCK_PID" 2>/dev/null || true
	[ ! -s sshd.pid ] || kill "$(cat sshd.pid)" 2>/dev/null || true
	pg_stop
}

start_sshd() {
	ssh-keygen -q -t ed25519 -N '' -f hostkey
	ssh-keygen -q -t ed25519 -N '' -f userkey
	cp userkey.pub authorized_keys
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >sshd_config <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $PWD/hostkey
AuthorizedKeysFile $PWD/authorized_keys
PidFile $PWD/sshd.pid
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
SetEnv PATH=/usr/local/bin:/usr/bin:/bin
CONF
	mkdir -p /run/sshd 2>/dev/null || true
	/usr/sbin/sshd -f "$PWD/sshd_config" -E "$PWD/sshd.log"
	for _ in $(seq 100); do [ -s sshd.pid ] && break; sleep 0.05; done
	export IG_SSH="ssh -i $PWD/userkey -p $port -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes"
	LOGIN="$(id -un)@127.0.0.1"
}

@test "pipelines/shards: four shards over ssh make one batch, each job once in PostgreSQL, the batch view done, the merged store the union" {
	env MOCK_KEY=$KEY MOCK_IMAGE_BYTES=100000 python3 "$BATS_TEST_DIRNAME/mock_image_api.py" port mock.log &
	MOCK_PID=$!
	for _ in $(seq 200); do [ -s port ] && break; sleep 0.05; done
	export IG_ENDPOINT="http://127.0.0.1:$(cat port)"
	pg_start
	start_sshd
	echo "$KEY" >key
	$IG_SSH "$LOGIN" true
	run -0 --separate-stderr "$BATS_TEST_DIRNAME/../pipelines/shards" "$BATS_TEST_DIRNAME/../pipelines/towers.plan" "$PWD/work" \
		"host=$PGHOST user=ig dbname=postgres" "$PWD/key" "$LOGIN" "$LOGIN" "$LOGIN" "$LOGIN" || { echo "$stderr"; false; }
	assert_line "shards: 4 hosts; merged store $PWD/work/merged/store holds 8 jobs"
	assert_equal "$(psql -At -c "select count(*), count(distinct id) from generations where status = 'done'")" "8|8"
	assert_equal "$(psql -At -c "select status, generations, done from batches_status")" "done|8|8"
	assert_equal "$(ls -d work/shard-*/store | wc -l)" 4
	for k in 0 1 2 3; do
		assert_equal "$(IG_STORE=work/shard-$k/store ig-query list generations | wc -l)" 2
	done
	# the merged store is the union of the shards' stores: every id once;
	# what each shard alone made (jobs, images, grids), as it made it; of the
	# records every shard holds (the library, the batch), the latest
	for k in 0 1 2 3; do IG_STORE=work/shard-$k/store ig-query export; done >all
	IG_STORE=work/merged/store ig-query export >merged
	cmp <(jq -r .id all | sort -u) <(jq -r .id merged | sort)
	own='select(.collection | IN("generations", "metadata", "images", "generation_tasks", "map_grids", "image_overlays"))'
	cmp <(jq -c "$own" all | sort) <(jq -c "$own" merged | sort)
	assert_equal "$(IG_STORE=work/merged/store ig-query list batches | jq -r .status)" done
	# each key only from its file: never in a process's arguments
	run grep -c "$KEY" sshd.log
	assert_output 0
}
