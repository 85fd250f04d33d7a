#!/usr/bin/env bash
# Benchmark: publishes the same file (512 MiB by default) to one local S3Proxy with
# `./fleet-deploy publish` and with `/usr/bin/aws s3 cp`, alternating, ROUNDS rounds each, and
# prints MB/s of both and the ratio. Prints figures; asserts nothing.
#   bench/publish-vs-awscli.sh            # 512 MiB, 3 rounds
#   SIZE_MIB=128 ROUNDS=2 bench/publish-vs-awscli.sh
# Both timings include process start-up (JVM / Python); fleet-deploy's also includes computing
# the sha256 and writing the manifest. Each client runs once untimed before the rounds. Objects are deleted after each upload to keep disk use low.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
size_mib=${SIZE_MIB:-512}
rounds=${ROUNDS:-3}
aws=/usr/bin/aws
[ -x "$aws" ] || { echo "bench: $aws is missing (apt-get install awscli)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/fleet-deploy-bench.XXXXXX")
proxy_pid=
cleanup() {
  if [ -n "$proxy_pid" ]; then kill "$proxy_pid" 2>/dev/null || true; wait "$proxy_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "bench: building the command line and the S3Proxy test server..." >&2
# One reactor run: core's test classpath names the sandbox module, which only resolves when it is
# packaged in the same run (nothing of ours is installed into ~/.m2).
(cd "$here" && mvn -B -q -DskipTests -pl cli -am package dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath >/dev/null)
cp "$here/core/target/bench-classpath" "$work/classpath"

mkfifo "$work/proxy-in"
java -cp "$here/core/target/test-classes:$here/core/target/classes:$(cat "$work/classpath")" \
  io.fleetdeploy.core.testing.S3ProxyServer "$work/store" <"$work/proxy-in" >"$work/proxy-out" 2>"$work/proxy-err" &
proxy_pid=$!
exec 3>"$work/proxy-in" # holding the fifo open keeps the server running
for _ in $(seq 1 600); do
  grep -q '^directory=' "$work/proxy-out" 2>/dev/null && break
  kill -0 "$proxy_pid" 2>/dev/null || { cat "$work/proxy-err" >&2; exit 1; }
  sleep 0.1
done
grep -q '^directory=' "$work/proxy-out" || { echo "bench: S3Proxy did not start within 60 s" >&2; exit 1; }
endpoint=$(sed -n 's/^endpoint=//p' "$work/proxy-out")
export AWS_ACCESS_KEY_ID=$(sed -n 's/^accessKey=//p' "$work/proxy-out")
export AWS_SECRET_ACCESS_KEY=$(sed -n 's/^secretKey=//p' "$work/proxy-out")
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
echo "bench: S3Proxy (filesystem store) at $endpoint" >&2

"$aws" --endpoint-url "$endpoint" s3 mb s3://bench >/dev/null
file="$work/bundle.tar.gz"
head -c $((size_mib * 1024 * 1024)) /dev/urandom >"$file"
bytes=$(stat -c %s "$file")

# One untimed run of each client first. fleet-deploy writes its class-data archive on the first run
# after a build (see ./fleet-deploy), as the AWS CLI's Python byte code is compiled at install; the
# timed rounds measure the installed tool, not that one-off. FLEET_DEPLOY_CDS=off measures without it.
echo "bench: one untimed run of each client (fleet-deploy writes its class-data archive)..." >&2
"$here/fleet-deploy" publish --endpoint "$endpoint" --region us-east-1 --bucket bench --app bench \
  --version warm-up "$file" >/dev/null 2>"$work/fd-err" || { cat "$work/fd-err" >&2; exit 1; }
"$aws" --endpoint-url "$endpoint" s3 cp --only-show-errors "$file" s3://bench/awscli/warm-up/bundle.tar.gz
"$aws" --endpoint-url "$endpoint" s3 rm --recursive --only-show-errors s3://bench/ >/dev/null

now() { date +%s.%N; }
mbps() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }

fd_total=0; cli_total=0
printf '%-6s %-14s %10s %10s\n' round client seconds MB/s
for round in $(seq 1 "$rounds"); do
  for client in fleet-deploy aws-cli; do
    # Alternate which client goes first, so neither always meets a warmer cache.
    if [ $((round % 2)) -eq 0 ]; then client=$([ "$client" = fleet-deploy ] && echo aws-cli || echo fleet-deploy); fi
    start=$(now)
    if [ "$client" = fleet-deploy ]; then
      "$here/fleet-deploy" publish --endpoint "$endpoint" --region us-east-1 --bucket bench --app bench \
        --version "r$round" "$file" >/dev/null 2>"$work/fd-err" || { cat "$work/fd-err" >&2; exit 1; }
    else
      "$aws" --endpoint-url "$endpoint" s3 cp --only-show-errors "$file" "s3://bench/awscli/r$round/bundle.tar.gz"
    fi
    seconds=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')
    printf '%-6s %-14s %10s %10s\n' "$round" "$client" "$seconds" "$(mbps "$seconds")"
    if [ "$client" = fleet-deploy ]; then fd_total=$(awk -v t="$fd_total" -v s="$seconds" 'BEGIN { print t + s }')
    else cli_total=$(awk -v t="$cli_total" -v s="$seconds" 'BEGIN { print t + s }'); fi
    "$aws" --endpoint-url "$endpoint" s3 rm --recursive --only-show-errors s3://bench/ >/dev/null
  done
done
fd=$(mbps "$(awk -v t="$fd_total" -v r="$rounds" 'BEGIN { print t / r }')")
cli=$(mbps "$(awk -v t="$cli_total" -v r="$rounds" 'BEGIN { print t / r }')")
echo "file: $size_mib MiB ($bytes bytes), $rounds rounds each, cores: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "fleet-deploy publish: $fd MB/s (mean time)"
echo "aws s3 cp:            $cli MB/s (mean time)"
awk -v a="$fd" -v b="$cli" 'BEGIN { printf "ratio fleet-deploy / aws-cli: %.2f\n", a / b }'
