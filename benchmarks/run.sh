#!/usr/bin/env bash
# Builds the benchmarks module with the Maven reactor (no `mvn install`) and runs the harness.
#   benchmarks/run.sh [--scenario inmemory-e2e,kafka-*] [--messages N] [--size BYTES] ... (see --help)
# Environment: JAVA_OPTS adds JVM flags (default heap -Xmx3g); BENCH_SKIP_BUILD=1 reuses the last build;
# BENCH_JFR=FILE records a Java Flight Recording of the whole run to FILE; MVN_OPTS adds Maven flags (e.g. -o).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ "${BENCH_SKIP_BUILD:-0}" != "1" ]]; then
  rm -rf benchmarks/target/lib  # no stale jars from an earlier build on the class path
  echo "Building benchmarks (mvn -pl benchmarks -am package -DskipTests)..." >&2
  # shellcheck disable=SC2086
  mvn -q ${MVN_OPTS:-} -pl benchmarks -am package -DskipTests -Dmaven.javadoc.skip=true >&2
fi
jvm=(-Xmx3g -Xms1g -XX:+UseG1GC)
if [[ -n "${BENCH_JFR:-}" ]]; then
  # BENCH_JFR_SETTINGS may name a .jfc with a shorter jdk.ExecutionSample period than profile's 10 ms
  jvm+=("-XX:StartFlightRecording=filename=${BENCH_JFR},settings=${BENCH_JFR_SETTINGS:-profile}"
        "-XX:FlightRecorderOptions:stackdepth=256")
fi
# shellcheck disable=SC2086
exec java "${jvm[@]}" ${JAVA_OPTS:-} -cp "benchmarks/target/benchmarks.jar:benchmarks/target/lib/*" \
  io.streamable.benchmarks.BenchmarkMain "$@"
