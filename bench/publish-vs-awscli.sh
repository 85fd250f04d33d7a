#!/usr/bin/env bash
# Benchmark: publishes the same file (512 MiB by default) to one local S3Proxy with
# `./fleet-deploy publish` and with `/usr/bin/aws s3 cp`, alternating, ROUNDS rounds each, and
# prints MB/s of both and the ratio. Prints figures; asserts nothing.
#   bench/publish-vs-awscli.sh            # 512 MiB, 3 rounds
#   SIZE_MIB=128 ROUNDS=2 bench/publish-vs-awscli.sh
#   TLS=off bench/publish-vs-awscli.sh    # plain HTTP instead of HTTPS
# The proxy serves HTTPS with a throw-away self-signed certificate that both clients are told to
# trust, as real S3 is reached: over plain HTTP both the AWS SDK and the AWS CLI hash and sign
# every payload, work neither does against S3 over HTTPS.
# Both timings include process start-up (JVM / Python); fleet-deploy's also includes computing
# the sha256 and writing the manifest. CPU seconds (user + system) are printed beside the wall
# time: on a shared machine they vary far less than MB/s do. The proxy's are printed too: it shares
# the cores. Before the rounds each client uploads WARMUP times (2 by default) untimed: the proxy
# is a JVM whose JIT compiles its own upload path during the first uploads (it then takes about a
# third less CPU per upload), and real S3 does not warm up. Objects are deleted after each upload
# to keep disk use low.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
size_mib=${SIZE_MIB:-512}
rounds=${ROUNDS:-3}
warmup=${WARMUP:-2}
tls=${TLS:-on}
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

tls_args=()
if [ "$tls" != off ]; then
  # A certificate for 127.0.0.1 only, made for this run and deleted with it.
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  keytool -genkeypair -keystore "$work/proxy.p12" -storetype PKCS12 -storepass "$password" -alias proxy \
    -keyalg EC -groupname secp256r1 -dname CN=127.0.0.1 -ext san=ip:127.0.0.1 -validity 1 >/dev/null 2>&1
  keytool -exportcert -rfc -keystore "$work/proxy.p12" -storepass "$password" -alias proxy -file "$work/proxy.pem" >/dev/null 2>&1
  # Stored like the JDK's own cacerts, which a client of real S3 reads: certificates are public, so
  # not encrypted. (keytool's default encrypts them with 10,000 rounds of PBKDF2, which the JVM
  # then runs, uncompiled, at every start: about 0.3 CPU seconds the AWS CLI's PEM file does not cost.)
  keytool -J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE -J-Dkeystore.pkcs12.macAlgorithm=NONE \
    -importcert -noprompt -keystore "$work/trust.p12" -storetype PKCS12 -storepass changeit -alias proxy \
    -file "$work/proxy.pem" >/dev/null 2>&1
  tls_args=("$work/proxy.p12" "$password")
  export AWS_CA_BUNDLE="$work/proxy.pem"
  export FLEET_DEPLOY_JAVA_OPTS="${FLEET_DEPLOY_JAVA_OPTS:-} -Djavax.net.ssl.trustStore=$work/trust.p12 -Djavax.net.ssl.trustStorePassword=changeit"
fi

mkfifo "$work/proxy-in"
java -cp "$here/core/target/test-classes:$here/core/target/classes:$(cat "$work/classpath")" \
  io.fleetdeploy.core.testing.S3ProxyServer "$work/store" "${tls_args[@]}" <"$work/proxy-in" >"$work/proxy-out" 2>"$work/proxy-err" &
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

# Untimed runs of each client first. fleet-deploy writes its class-data archive on the first run
# after a build (see ./fleet-deploy), as the AWS CLI's Python byte code is compiled at install; the
# timed rounds measure the installed tool, not that one-off. FLEET_DEPLOY_CDS=off measures without it.
echo "bench: $warmup untimed runs of each client (fleet-deploy writes its class-data archive, the proxy's JIT warms up)..." >&2
for i in $(seq 1 "$warmup"); do
  "$here/fleet-deploy" publish --endpoint "$endpoint" --region us-east-1 --bucket bench --app bench \
    --version "warm-up-$i" "$file" >/dev/null 2>"$work/fd-err" || { cat "$work/fd-err" >&2; exit 1; }
  "$aws" --endpoint-url "$endpoint" s3 cp --only-show-errors "$file" "s3://bench/awscli/warm-up-$i/bundle.tar.gz"
  "$aws" --endpoint-url "$endpoint" s3 rm --recursive --only-show-errors s3://bench/ >/dev/null
done

# CPU seconds (user + system) the proxy has used so far, from /proc (clock ticks).
proxy_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$proxy_pid/stat"; }
mbps() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }

# Runs one upload under bash's `time`: "<wall> <user> <sys>" seconds end up in $work/time.
TIMEFORMAT='%3R %3U %3S'
upload() {
  proxy_before=$(proxy_cpu)
  if [ "$1" = fleet-deploy ]; then
    { time "$here/fleet-deploy" publish --endpoint "$endpoint" --region us-east-1 --bucket bench --app bench \
        --version "r$2" "$file" >/dev/null 2>"$work/fd-err"; } 2>"$work/time" || { cat "$work/fd-err" >&2; exit 1; }
  else
    { time "$aws" --endpoint-url "$endpoint" s3 cp --only-show-errors "$file" "s3://bench/awscli/r$2/bundle.tar.gz" \
        2>"$work/cli-err"; } 2>"$work/time" || { cat "$work/cli-err" >&2; exit 1; }
  fi
  proxy_used=$(awk -v a="$(proxy_cpu)" -v b="$proxy_before" 'BEGIN { printf "%.2f", a - b }')
}

fd_total=0; cli_total=0; fd_cpu=0; cli_cpu=0
printf '%-6s %-14s %10s %10s %12s %18s\n' round client seconds MB/s cpu-seconds proxy-cpu-seconds
for round in $(seq 1 "$rounds"); do
  for client in fleet-deploy aws-cli; do
    # Alternate which client goes first, so neither always meets a warmer cache.
    if [ $((round % 2)) -eq 0 ]; then client=$([ "$client" = fleet-deploy ] && echo aws-cli || echo fleet-deploy); fi
    upload "$client" "$round"
    read -r seconds user system <"$work/time"
    cpu=$(add "$user" "$system")
    printf '%-6s %-14s %10s %10s %12s %18s\n' "$round" "$client" "$seconds" "$(mbps "$seconds")" "$cpu" "$proxy_used"
    if [ "$client" = fleet-deploy ]; then fd_total=$(add "$fd_total" "$seconds"); fd_cpu=$(add "$fd_cpu" "$cpu")
    else cli_total=$(add "$cli_total" "$seconds"); cli_cpu=$(add "$cli_cpu" "$cpu"); fi
    "$aws" --endpoint-url "$endpoint" s3 rm --recursive --only-show-errors s3://bench/ >/dev/null
  done
done
fd=$(mbps "$(awk -v t="$fd_total" -v r="$rounds" 'BEGIN { print t / r }')")
cli=$(mbps "$(awk -v t="$cli_total" -v r="$rounds" 'BEGIN { print t / r }')")
echo "file: $size_mib MiB ($bytes bytes), $rounds rounds each after $warmup untimed, $endpoint, cores: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "fleet-deploy publish: $fd MB/s (mean time), $(awk -v c="$fd_cpu" -v r="$rounds" 'BEGIN { printf "%.2f", c / r }') CPU seconds per upload"
echo "aws s3 cp:            $cli MB/s (mean time), $(awk -v c="$cli_cpu" -v r="$rounds" 'BEGIN { printf "%.2f", c / r }') CPU seconds per upload"
awk -v a="$fd" -v b="$cli" 'BEGIN { printf "ratio fleet-deploy / aws-cli: %.2f\n", a / b }'
