# bench/measure.sh - sourced: measure COMMAND... prints its seconds and peak
# anonymous memory in KB

# raise $peak to process $1's anonymous memory in KB, if it is still there
sample() {
	while read -r key kb _; do
		if [ "$key" = RssAnon: ]; then
			[ "$kb" -gt "$peak" ] && peak=$kb
			break
		fi
	done 2>/dev/null </proc/"$1"/status || true
}

# Seconds and peak KB of a command, its output discarded, after a sync so
# that no run pays for the last one's writeback. The peak is of anonymous
# memory (RssAnon, sampled every 50 ms): a store's pages mapped from the
# page cache are not the program's memory, and sqlite3's cache is anonymous.
measure() {
	sync
	start=$(date +%s%N)
	"$@" >/dev/null &
	pid=$! peak=0
	while kill -0 $pid 2>/dev/null; do
		sample $pid
		sleep 0.05
	done
	wait $pid
	end=$(date +%s%N)
	echo "$(awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 1e9 }') $peak"
}
