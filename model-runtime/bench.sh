#!/usr/bin/env bash
# The model-runtime benchmark (io.promptune.runtime.bench.RuntimeBenchmark): ForwardBackward step time, tokens/s,
# matmul GFLOP/s against a float32 matmul peak measured in the same run, 8 prompts vs 1, in-process vs gRPC, and
# Generate tokens/s on generated:t5-small-random (written once into ~/.cache/promptune, no download).
#   model-runtime/bench.sh [--iters=7] [--warmup=2] [--threads=N] [--batch=8] [--input=64] [--prompt=100]
#                          [--target=4] [--gen-tokens=32] [--model=generated:t5-small-random] [--profile=/tmp/t.json]
# Run it with nothing else busy on the machine.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
# shellcheck source=../.mvn/find-jdk.sh
. "$ROOT/.mvn/find-jdk.sh"
promptune_find_jdk || exit 1
CP_FILE="$HERE/target/bench.classpath"
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" -pl model-runtime compile dependency:build-classpath \
  -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=runtime >/dev/null
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"  # as the launcher runs the service
exec "$JAVA_HOME/bin/java" -Xmx4g --enable-native-access=ALL-UNNAMED -cp "$HERE/target/classes:$(cat "$CP_FILE")" \
  io.promptune.runtime.bench.RuntimeBenchmark "$@"
