#!/usr/bin/env bash
# The model-runtime benchmark (io.promptune.runtime.bench.RuntimeBenchmark): ForwardBackward step time, tokens/s,
# matmul GFLOP/s against a float32 matmul peak measured in the same run, 8 prompts vs 1, in-process vs gRPC, and
# Generate tokens/s on generated:t5-small-random (written once into ~/.cache/promptune, no download).
#   model-runtime/bench.sh [--iters=7] [--warmup=2] [--threads=N] [--batch=8] [--input=64] [--prompt=100]
#                          [--target=4] [--gen-tokens=32] [--model=generated:t5-small-random] [--profile=/tmp/t.json]
# Run it with nothing else busy on the machine.
#
# It builds model-runtime together with what it needs from this checkout (-am: the parent POM and proto), so a fresh
# clone works without anything installed in ~/.m2, and runs on the reactor's classpath (proto's target/classes, not a
# SNAPSHOT jar). If the build fails, the tail of Maven's output says why.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
# shellcheck source=../.mvn/find-jdk.sh
. "$ROOT/.mvn/find-jdk.sh"
promptune_find_jdk || exit 1
CP_FILE="$HERE/target/bench.classpath"
LOG="$(mktemp "${TMPDIR:-/tmp}/promptune-bench-build.XXXXXX")"
# mdep.outputFile is relative, so each module of the reactor writes its own; model-runtime's is $CP_FILE
if ! "$ROOT/mvnw" -B -ntp -f "$ROOT/pom.xml" -pl model-runtime -am compile dependency:build-classpath \
    -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=runtime >"$LOG" 2>&1; then
  echo "bench.sh: building model-runtime failed; the last 60 lines of Maven's output:" >&2
  tail -n 60 "$LOG" >&2
  echo "bench.sh: full Maven output in $LOG" >&2
  exit 1
fi
rm -f "$LOG"
if [ ! -s "$CP_FILE" ] || [ ! -d "$HERE/target/classes" ]; then
  echo "bench.sh: the build succeeded but left no $CP_FILE or $HERE/target/classes" >&2
  exit 1
fi
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"  # as the launcher runs the service
exec "$JAVA_HOME/bin/java" -Xmx4g --enable-native-access=ALL-UNNAMED \
  -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp "$HERE/target/classes:$(cat "$CP_FILE")" \
  io.promptune.runtime.bench.RuntimeBenchmark "$@"
