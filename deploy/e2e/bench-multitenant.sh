#!/usr/bin/env bash
# Multi-tenant benchmark (io.promptune.e2e.MultiTenantBenchmark, docs/benchmarks.md): K training jobs with small
# batches against ONE model runtime, at once (the runtime merging their calls), at once with merging off, and one
# after another; prints aggregate steps/s per mode and the callers per executed ForwardBackward batch.
#   deploy/e2e/bench-multitenant.sh [--jobs=4] [--batch=2] [--steps=40] [--prompt-length=20] [--rounds=3]
#       [--modes=sequential,concurrent,unmerged] [--model=generated:tiny-byt5] [--tokenizer=path/tokenizer.json]
#       [--window=3ms] [--port-offset=31000]
# (generated:t5-small-random, t5-small's shape, has no tokenizer of its own: pass a T5 tokenizer.json.)
# It brings up its own deployment (embedded PostgreSQL, registry, one runtime, one trainer, gateway) under a new
# temporary PROMPTUNE_HOME on ports shifted by --port-offset, and takes it down at the end.
#
# Builds the services and this module's test classes from this checkout first (-am: nothing needs to be installed
# in ~/.m2), so it works on a fresh clone. If the build fails, the tail of Maven's output says why.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=../../.mvn/find-jdk.sh
. "$ROOT/.mvn/find-jdk.sh"
promptune_find_jdk || exit 1
CP_FILE="$HERE/target/bench.classpath"
LOG="$(mktemp "${TMPDIR:-/tmp}/promptune-bench-build.XXXXXX")"
if ! "$ROOT/mvnw" -B -ntp -f "$ROOT/pom.xml" -pl deploy/e2e -am package dependency:build-classpath -DskipTests \
    -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >"$LOG" 2>&1; then
  echo "bench-multitenant.sh: the build failed; the last 60 lines of Maven's output:" >&2
  tail -n 60 "$LOG" >&2
  echo "bench-multitenant.sh: full Maven output in $LOG" >&2
  exit 1
fi
rm -f "$LOG"
if [ ! -s "$CP_FILE" ] || [ ! -d "$HERE/target/test-classes" ]; then
  echo "bench-multitenant.sh: the build succeeded but left no $CP_FILE or $HERE/target/test-classes" >&2
  exit 1
fi
cd "$HERE"
exec "$JAVA_HOME/bin/java" -Xmx512m -Dpromptune.root="$ROOT" -cp "$HERE/target/test-classes:$(cat "$CP_FILE")" \
  io.promptune.e2e.MultiTenantBenchmark "$@"
