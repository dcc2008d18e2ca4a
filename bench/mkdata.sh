#!/bin/sh
# mkdata.sh N GENS: N seed-000 metadata record lines (about 460 bytes each)
# after GENS generation jobs they refer to, as ig-record takes them
n=${1:-1000000} gens=${2:-1000}
awk -v n="$n" -v gens="$gens" 'BEGIN {
	for (g = 1; g <= gens; g++)
		printf "{\"collection\":\"generations\",\"id\":\"01900000-0000-7000-8000-%012d\",\"prompt\":\"a ruined watchtower on a cliff, battle map\",\"output_path\":\"maps/%d.png\"}\n", g, g
	for (i = 1; i <= n; i++) {
		g = i % gens + 1
		printf "{\"collection\":\"metadata\",\"id\":\"01910000-0000-7000-8000-%012x\",\"generation_id\":\"01900000-0000-7000-8000-%012d\",", i, g
		printf "\"prompt\":\"ruined watchtower battle map, torchlight, variation %d\",", i
		printf "\"model\":\"gemini-2.5-flash-image\",\"seed\":%d,", i * 7919 % 2147483647
		printf "\"params\":{\"size\":\"1024x1024\",\"theme\":\"fantasy\",\"aspect_ratio\":\"1:1\"},"
		printf "\"timestamp\":\"2026-01-%02dT%02d:%02d:%02d.%06dZ\",\"gemini_response_id\":\"resp-%08x\",", i % 28 + 1, i % 24, i % 60, (i * 7) % 60, i % 1000000, i
		printf "\"sha256\":\"%064x\",\"source_placeholder\":\"placeholders/%d.png\"}\n", i, g
	}
}'
