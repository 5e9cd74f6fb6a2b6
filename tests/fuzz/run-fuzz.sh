#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run-fuzz.sh TARGET SEEDS WORKDIR SECONDS [DICT]: runs one libFuzzer target for SECONDS (GD_FUZZ_SECONDS
# overrides it) over the seed corpus SEEDS. New inputs go to WORKDIR/corpus, never into the source
# tree; a crashing input is written to WORKDIR/crashes/ and fails the run. DICT is a libFuzzer
# dictionary of tokens the target's parsers know.
set -euo pipefail
target=$1 seeds=$2 work=$3 seconds=${GD_FUZZ_SECONDS:-$4}
dict=()
[ $# -ge 5 ] && dict=(-dict="$5")
mkdir -p "$work/corpus" "$work/crashes"
# -timeout: one input taking 10 s is a hang; -max_len: request bodies larger than this add little.
# -error_exitcode: libFuzzer's own code for a crash is 77, which meson reads as a skipped test
exec "$target" -max_total_time="$seconds" -error_exitcode=1 -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -print_final_stats=1 -artifact_prefix="$work/crashes/" "${dict[@]}" "$work/corpus" "$seeds"
