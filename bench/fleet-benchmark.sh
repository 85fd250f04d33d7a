#!/usr/bin/env bash
# Benchmark of the fleet operations (issue 5) through the real engine against the sandbox: push at
# minHealthyPercent 90 (wall time / lower bound, API calls per instance), pull (pointer move to every
# instance on the version, against the agents' poll interval) and switchTraffic (call to the first
# request served by the new group). Prints figures; asserts nothing.
#   bench/fleet-benchmark.sh [instances=100] [pull-poll-interval-s=30]
#   ENGINE_POLL_MS=5000 bench/fleet-benchmark.sh 20 10   # the engine's poll (default 1000 ms; the CLI's is 5 s)
#   MIN_HEALTHY_PERCENT=66 bench/fleet-benchmark.sh 6 5  # the push's minHealthyPercent (default 90, which needs >= 10 instances)
#   PULL_ONLY=1 bench/fleet-benchmark.sh 20 10            # the pull alone, on a sandbox with only the pull group
# Each group has `instances` instances (two groups: 2 x instances sandbox instances, each an HTTP
# server health-checked every 200 ms, and each install runs the shipped agent, whose S3 requests go through curl --aws-sigv4).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
instances=${1:-100}
poll_s=${2:-30}
engine_poll_ms=${ENGINE_POLL_MS:-1000}
min_healthy_percent=${MIN_HEALTHY_PERCENT:-90}

echo "bench: building core and the sandbox..." >&2
# One reactor run: core's test classpath names the sandbox module, which only resolves when it is
# packaged in the same run (nothing of ours is installed into ~/.m2).
(cd "$here" && mvn -B -q -DskipTests -pl core -am package dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath >/dev/null)

# From core/, as the tests run: the sandbox finds the shipped agent at ../agent/fleet-agent.sh.
cd "$here/core"
if [ -n "${PULL_ONLY:-}" ]; then
  exec java -cp "target/test-classes:target/classes:$(cat target/bench-classpath)" \
    io.fleetdeploy.core.fleet.PullConvergence "$instances" "$poll_s" "$engine_poll_ms"
fi
exec java -cp "target/test-classes:target/classes:$(cat target/bench-classpath)" \
  io.fleetdeploy.core.fleet.FleetBenchmark "$instances" "$poll_s" "$engine_poll_ms" "$min_healthy_percent"
