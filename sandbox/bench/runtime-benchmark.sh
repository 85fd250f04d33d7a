#!/bin/sh
# Prints what N sandbox instances cost (start-up to all-healthy, listener throughput, heap, threads,
# idle CPU). Usage: sandbox/bench/runtime-benchmark.sh [instances=200] [health-check-interval-ms=1000] [idle-seconds=10] [settle-seconds=30]
set -eu
cd "$(dirname "$0")/.."
mvn -B -q test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec java -Xmx1g -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" \
  io.fleetdeploy.sandbox.runtime.RuntimeBenchmark "$@"
