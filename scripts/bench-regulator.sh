#!/usr/bin/env bash
# Seeds a synthetic national registry of N sponsors (default 1,000,000) and measures the seed
# rate and the public ICP query's median and p99 latency. Release build.
#   scripts/bench-regulator.sh [N] [DATA_DIR] [QUERIES]
set -euo pipefail
n="${1:-1000000}"
dir="${2:-$(mktemp -d -t beian-regulator-bench.XXXXXX)}"
queries="${3:-3000}"
cd "$(dirname "$0")/.."
cargo run --release -q -p beian-regulator --example seed_bench -- "$n" "$dir" "$queries"
echo "registry kept in $dir"
