#!/usr/bin/env bats
# Every fuzz seed and every finding (tests/fuzz/corpus, tests/fuzz/regress)
# through its harness, built with the suite's compiler and a plain driver:
# a finding fixed stays fixed, under ASan and UBSan too (make check-asan).

load helper

harness() { # name [more seed dirs]
	local name=$1 bin=${IG_FUZZ_BIN:-$BATS_TEST_DIRNAME/../build/fuzz}/$1
	shift
	[ -x "$bin" ] || fail "$bin is not built (make fuzz-drivers)"
	run -0 "$bin" "$BATS_TEST_DIRNAME"/fuzz/corpus/"$name"/* "$BATS_TEST_DIRNAME"/fuzz/regress/"$name"/* "$@"
}

@test "fuzz seeds: the JSON parser round trip holds on every seed and finding" {
	harness fuzz-json
}

@test "fuzz seeds: the record path takes every seed and finding against a store" {
	TMPDIR=$BATS_TEST_TMPDIR harness fuzz-record
}

@test "fuzz seeds: the answer parsers take every seed and finding" {
	harness fuzz-answer
}

@test "fuzz seeds: the answer scanner keeps and streams the same, whole and in pieces, on every seed and finding" {
	harness fuzz-scan
}

@test "fuzz seeds: the base64 decoder, wide and narrow, whole and in pieces, agrees with one character at a time on every seed and finding" {
	harness fuzz-base64
}

@test "fuzz seeds: the image sniffers agree, whole and in pieces, on every seed, finding and PngSuite file" {
	harness fuzz-imagehdr "$PNGSUITE"/*
}

@test "fuzz seeds: the row decoders read every seed, finding and PngSuite file" {
	harness fuzz-raster "$PNGSUITE"/*
}

@test "fuzz seeds: the native predicates compile and judge every seed and finding" {
	harness fuzz-pred
}

@test "fuzz seeds: the planner expands every seed and finding" {
	harness fuzz-plan
}

@test "fuzz seeds: the model loader takes every seed and finding, and refuses the bad ones without an abort" {
	harness fuzz-model
}
