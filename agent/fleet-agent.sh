#!/bin/sh
# fleet-agent: installs fleet-deploy releases on this instance (see agent/README.md).
#
#   fleet-agent.sh install <version> | poll | rollback | status | current
#
# Portable POSIX sh; needs curl >= 7.75 (S3 through --aws-sigv4) or the AWS CLI, sha256sum, tar with gzip, timeout and mv -T (coreutils).
# Exit codes: 0 done, 1 the release failed here and was undone, 2 bad usage or input (nothing
# touched, also a missing tool), 3 an S3 call failed, 4 another run holds the lock, 5 a local disk step failed.

set -u
umask 022
# Byte semantics for the name checks below, whatever locale the caller has.
LC_ALL=C
export LC_ALL
# cd must not print (CDPATH) when its output is captured.
unset CDPATH
# The AWS CLI v2 would otherwise page its output through less on a terminal.
AWS_PAGER=
export AWS_PAGER

EX_FAILED=1
EX_USAGE=2
EX_S3=3
EX_LOCKED=4
EX_DISK=5

PROG=fleet-agent

# --- messages --------------------------------------------------------------------------------

# The last line a caller sees: what failed and what was left.
die() { # <exit code> <message>
    printf '%s: %s\n' "$PROG" "$2" >&2
    exit "$1"
}

say() {
    printf '%s: %s\n' "$PROG" "$*" >&2
}

usage() {
    die "$EX_USAGE" "usage: fleet-agent.sh install <version> | poll | rollback | status | current (nothing was changed)"
}

# --- input checks ----------------------------------------------------------------------------

# The same rule as io.fleetdeploy.core.Names: [A-Za-z0-9][A-Za-z0-9._-]{0,127}, no "..".
is_safe_name() {
    case $1 in
        '' | *..* | [!A-Za-z0-9]* | *[!A-Za-z0-9._-]*) return 1 ;;
    esac
    [ "${#1}" -le 128 ]
}

require_safe() { # <what> <value>
    is_safe_name "$2" || die "$EX_USAGE" "refused $1 '$(printf '%s' "$2" | tr -c 'A-Za-z0-9._-' '?' | cut -c1-64)': it must match [A-Za-z0-9][A-Za-z0-9._-]{0,127} without '..'; nothing was changed"
}

# A sha256 as manifests, channel pointers and sha256sum write it: 64 lower-case hex digits.
is_sha256() {
    case $1 in
        '' | *[!0-9a-f]*) return 1 ;;
    esac
    [ "${#1}" -eq 64 ]
}

require_count() { # <variable name> <value>
    case $2 in
        '' | *[!0-9]* | 0*) die "$EX_USAGE" "refused $1='$2': it must be a positive whole number; nothing was changed" ;;
    esac
}

require_env() { # <variable name>...
    for _name in "$@"; do
        eval "_value=\${$_name-}"
        [ -n "$_value" ] || die "$EX_USAGE" "$_name is not set; nothing was changed"
    done
}

check_remote_settings() {
    require_env FLEET_BUCKET FLEET_APP FLEET_GROUP FLEET_INSTANCE_ID
    case $FLEET_BUCKET in
        *[!a-z0-9.-]*) die "$EX_USAGE" "refused FLEET_BUCKET: a bucket name has only a-z, 0-9, '.' and '-'; nothing was changed" ;;
    esac
    require_safe FLEET_APP "$FLEET_APP"
    require_safe FLEET_GROUP "$FLEET_GROUP"
    require_safe FLEET_INSTANCE_ID "$FLEET_INSTANCE_ID"
    PREFIX=${FLEET_PREFIX-}
    while :; do
        case $PREFIX in
            /*) PREFIX=${PREFIX#/} ;;
            */) PREFIX=${PREFIX%/} ;;
            *) break ;;
        esac
    done
    case $PREFIX in
        *..* | *[!A-Za-z0-9._/-]*) die "$EX_USAGE" "refused FLEET_PREFIX: only A-Za-z0-9 . _ - and '/' without '..'; nothing was changed" ;;
    esac
    APP_ROOT=${PREFIX:+$PREFIX/}$FLEET_APP
    AWS=${FLEET_AWS:-aws}
}

require_tools() {
    for _tool in sha256sum tar gzip timeout readlink awk sed; do
        command -v "$_tool" >/dev/null 2>&1 ||
            die "$EX_USAGE" "cannot find '$_tool' (fleet-agent needs it); nothing was changed"
    done
}

# --- FLEET_HOME layout ----------------------------------------------------------------------
#   current            symlink to releases/<version>, switched by rename
#   releases/<v>/      unpacked bundles
#   .fleet/            agent state: previous, history, <v>.sha256, etags, last status, lock

init_home() {
    HOME_DIR=${FLEET_HOME:-.}
    [ -d "$HOME_DIR" ] || die "$EX_DISK" "FLEET_HOME '$HOME_DIR' is not a directory; nothing was changed"
    HOME_DIR=$(cd "$HOME_DIR" && pwd -P) || die "$EX_DISK" "cannot enter FLEET_HOME; nothing was changed"
    STATE=$HOME_DIR/.fleet
    HOOK_LOG=$STATE/hooks.log
    RELEASES=$HOME_DIR/releases
    CURRENT=$HOME_DIR/current
}

current_version() {
    [ -L "$CURRENT" ] || return 0
    _target=$(readlink "$CURRENT") || return 0
    printf '%s\n' "${_target##*/}"
}

previous_version() {
    [ -f "$STATE/previous" ] && cat "$STATE/previous"
    return 0
}

# "current still points at 1.0" / "no release is current", for messages.
describe_current() {
    _cur=$(current_version)
    if [ -n "$_cur" ]; then
        printf 'current still points at %s' "$_cur"
    else
        printf 'no release is current'
    fi
}

# A release is on disk when its directory is in place and its verified checksum is recorded.
release_on_disk() {
    [ -d "$RELEASES/$1" ] && [ -s "$STATE/$1.sha256" ]
}

# --- lock: one run at a time per FLEET_HOME --------------------------------------------------

LOCK_HELD=
WORK=

# A run that failed before installing anything leaves FLEET_HOME as it found it: the empty
# releases/ goes while the lock is still held; .fleet/ only if no other run has locked it since.
cleanup() {
    [ -n "$WORK" ] && rm -rf "$WORK"
    [ -n "$LOCK_HELD" ] || return 0
    rmdir "$RELEASES" 2>/dev/null
    rm -rf "$LOCK_HELD"
    rmdir "$STATE" 2>/dev/null
    return 0
}

acquire_lock() {
    mkdir -p "$STATE" || die "$EX_DISK" "cannot create $STATE; nothing was changed"
    _lock=$STATE/lock
    _wait=$LOCK_WAIT
    _waited=0
    # .fleet again each time: a run that just ended may have removed it, empty
    while ! { mkdir -p "$STATE" && mkdir "$_lock"; } 2>/dev/null; do
        _owner=$(cat "$_lock/pid" 2>/dev/null)
        case $_owner in
            '' | *[!0-9]*) ;; # being created right now: wait for the owner to write its pid
            *)
                if ! kill -0 "$_owner" 2>/dev/null && break_stale_lock "$_lock" "$_owner"; then
                    continue
                fi
                ;;
        esac
        if [ "$_waited" -ge "$_wait" ]; then
            die "$EX_LOCKED" "another fleet-agent run (pid ${_owner:-unknown}) still holds $_lock after ${_wait}s; nothing was changed, $(describe_current); retry later, or remove $_lock if no fleet-agent is running"
        fi
        sleep 1
        _waited=$((_waited + 1))
    done
    LOCK_HELD=$_lock
    echo "$$" >"$_lock/pid" || die "$EX_DISK" "cannot write $_lock/pid; nothing was changed"
    mkdir -p "$RELEASES" || die "$EX_DISK" "cannot create $RELEASES; nothing was changed"
    # scratch of runs that were killed: no one else can be using it while we hold the lock
    rm -rf "$STATE"/tmp.* "$STATE"/lock.stale.* "$HOME_DIR"/.current.*
}

# Moves a dead run's lock aside under a name of our own, so that two runs breaking the same
# stale lock cannot both win; puts it back if it turned out to belong to a live run after all.
# Returns non-zero when it did not remove the lock, so that the caller's bounded wait goes on.
break_stale_lock() { # <lock dir> <dead pid>
    _aside=$1.stale.$$
    rm -rf "$_aside"
    mv -T "$1" "$_aside" 2>/dev/null || return 1
    if [ "$(cat "$_aside/pid" 2>/dev/null)" = "$2" ]; then
        say "removed the stale lock of pid $2, which is no longer running"
        rm -rf "$_aside"
        return 0
    fi
    mv -T "$_aside" "$1" 2>/dev/null || rm -rf "$_aside"
    return 1
}

# A scratch directory inside FLEET_HOME, so that the final rename stays on one file system.
make_work_dir() {
    WORK=$STATE/tmp.$$
    rm -rf "$WORK"
    mkdir "$WORK" || die "$EX_DISK" "cannot create $WORK; nothing was changed, $(describe_current)"
}

# --- JSON without jq ---------------------------------------------------------------------------

# Prints the value of one field of a JSON document (Jackson output, one line or pretty-printed).
# Nested fields are addressed with dots: "previous.version". Arrays are skipped.
json_get() { # <file> <path>
    awk -v want="$2" '
        { doc = doc $0 "\n" }
        END {
            n = length(doc); i = 1; depth = 0; key = ""; expect_key = 0
            while (i <= n) {
                c = substr(doc, i, 1)
                if (c == "\"") {
                    s = ""; i++
                    while (i <= n) {
                        c = substr(doc, i, 1)
                        if (c == "\\") {
                            e = substr(doc, i + 1, 1); i += 2
                            if (e == "n") s = s "\n"; else if (e == "t") s = s "\t"
                            else if (e == "r") s = s "\r"; else if (e == "b" || e == "f") s = s " "
                            else if (e == "u") { s = s "\\u" substr(doc, i, 4); i += 4 }
                            else s = s e
                            continue
                        }
                        if (c == "\"") break
                        s = s c; i++
                    }
                    i++
                    if (kind[depth] == "o" && expect_key) { key = s; expect_key = 0; continue }
                    if (kind[depth] == "o" && path[depth] key == want) { print s; exit }
                    continue
                }
                if (c == "{" || c == "[") {
                    parent = (depth == 0) ? "" : path[depth] key "."
                    depth++; kind[depth] = (c == "{") ? "o" : "a"
                    path[depth] = (kind[depth - 1] == "a") ? "\001" : parent
                    expect_key = (c == "{"); key = ""; i++; continue
                }
                if (c == "}" || c == "]") { depth--; key = ""; i++; continue }
                if (c == ",") { if (kind[depth] == "o") expect_key = 1; i++; continue }
                if (c == ":" || c == " " || c == "\t" || c == "\n" || c == "\r") { i++; continue }
                # a bare literal: number, true, false or null
                lit = ""
                while (i <= n) {
                    c = substr(doc, i, 1)
                    if (c == "," || c == "}" || c == "]" || c == " " || c == "\n" || c == "\r" || c == "\t") break
                    lit = lit c; i++
                }
                if (kind[depth] == "o" && path[depth] key == want && lit != "null") { print lit; exit }
            }
        }' "$1"
}

# A JSON string literal of $1: quotes and backslashes escaped, control characters as spaces.
json_str() {
    printf '"%s"' "$(printf '%s' "$1" | tr '\001-\037' ' ' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

# --- S3: curl --aws-sigv4 when it can, else the AWS CLI -----------------------------------------
#
# Each AWS CLI run starts Python (0.3 to 0.9 s of CPU), on every poll of every instance. curl signs
# SigV4 itself (7.75 and later) in a few milliseconds, so the agent uses it when it can find the
# credentials the way the SDKs do on an instance: the environment, else the instance role through
# IMDSv2. Whatever else the SDKs read (profiles, SSO, web identity, credential_process, container
# credentials) is left to the AWS CLI. FLEET_S3_CLIENT=auto (default) | curl | cli.
#
# Secrets (secret key, session token, IMDS token) live in unexported shell variables only: they
# reach curl through its config on stdin (printf is a shell builtin), never argv, a file or a message.

S3_CLIENT=
S3_KEY_ID=
S3_SECRET=
S3_TOKEN=
S3_REGION=
S3_ETAG=
CURL_WHY=
CURL_WHY_CODE=$EX_USAGE
IMDS_ENDPOINT=
IMDS_TOKEN=
IMDS_TRIED=

# Retries after the first attempt: the CLI's budget (standard mode, AWS_MAX_ATTEMPTS, default 3 attempts).
s3_retries() {
    _attempts=${AWS_MAX_ATTEMPTS:-3}
    case $_attempts in '' | *[!0-9]* | 0) _attempts=3 ;; esac
    printf '%s' "$((_attempts - 1))"
}

curl_can_sign() {
    command -v curl >/dev/null 2>&1 || {
        CURL_WHY="curl is not installed"
        return 1
    }
    _cv=$(curl --version 2>/dev/null | awk 'NR == 1 { split($2, v, "."); print v[1] * 1000 + v[2]; exit }')
    case $_cv in '' | *[!0-9]*) _cv=0 ;; esac
    [ "$_cv" -ge 7075 ] || {
        CURL_WHY="curl is older than 7.75 (no --aws-sigv4)"
        return 1
    }
}

# Secrets go into curl's config unquoted-safe: the AWS character sets, nothing that needs escaping.
is_token_text() {
    case $1 in '' | *[!A-Za-z0-9/+=._-]*) return 1 ;; esac
}

# Settings files the AWS CLI reads for credentials; with one of these the CLI decides, not us.
cli_only_credentials() {
    if [ -n "${AWS_PROFILE-}${AWS_DEFAULT_PROFILE-}${AWS_WEB_IDENTITY_TOKEN_FILE-}${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI-}${AWS_CONTAINER_CREDENTIALS_FULL_URI-}" ]; then
        return 0
    fi
    for _f in "${AWS_SHARED_CREDENTIALS_FILE:-${HOME:+$HOME/.aws/credentials}}" "${AWS_CONFIG_FILE:-${HOME:+$HOME/.aws/config}}"; do
        if [ -z "$_f" ] || [ ! -f "$_f" ]; then continue; fi
        grep -Eqs '^[[:space:]]*(aws_access_key_id|aws_secret_access_key|aws_session_token|credential_process|credential_source|role_arn|web_identity_token_file|sso_[a-z_]*)[[:space:]]*=' "$_f" &&
            return 0
    done
    return 1
}

# One IMDS request: prints the body followed by the 3-digit HTTP status (000: no answer).
# The IMDSv2 token goes in curl's config on stdin.
imds_request() { # <method> <path> [curl args...]
    _m=$1 _p=$2
    shift 2
    _t=${AWS_METADATA_SERVICE_TIMEOUT:-1}
    case $_t in '' | *[!0-9]* | 0) _t=1 ;; esac
    _n=${AWS_METADATA_SERVICE_NUM_ATTEMPTS:-1}
    case $_n in '' | *[!0-9]* | 0) _n=1 ;; esac
    if [ -n "$IMDS_TOKEN" ]; then
        printf 'header = "X-aws-ec2-metadata-token: %s"\n' "$IMDS_TOKEN"
    fi | curl -s --config - --noproxy '*' --connect-timeout "$_t" --max-time "$((_t + 2))" \
        --retry "$((_n - 1))" --retry-connrefused -X "$_m" -w '%{http_code}' "$@" "$IMDS_ENDPOINT$_p" 2>/dev/null
    return 0
}

# Starts an IMDS session (token), as the AWS CLI does: IMDSv2, or IMDSv1 when the token PUT is
# refused with 403/404/405. Returns non-zero with CURL_WHY when the service is disabled or absent.
imds_open() {
    [ -z "$IMDS_TRIED" ] || { [ -n "$IMDS_ENDPOINT" ]; return; }
    IMDS_TRIED=yes
    case ${AWS_EC2_METADATA_DISABLED-} in
        [Tt][Rr][Uu][Ee])
            CURL_WHY="AWS_EC2_METADATA_DISABLED is true, so no instance role credentials"
            return 1
            ;;
    esac
    _ep=${AWS_EC2_METADATA_SERVICE_ENDPOINT-}
    if [ -z "$_ep" ]; then
        case ${AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE-} in
            [Ii][Pp][Vv]6) _ep='http://[fd00:ec2::254]' ;;
            *) _ep=http://169.254.169.254 ;;
        esac
    fi
    _ep=${_ep%/}
    IMDS_ENDPOINT=$_ep
    _out=$(imds_request PUT /latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600')
    _code=${_out#"${_out%???}"}
    case $_code in
        200)
            IMDS_TOKEN=${_out%???}
            is_token_text "$IMDS_TOKEN" || {
                IMDS_TOKEN='' IMDS_ENDPOINT=''
                CURL_WHY="the instance metadata service at $_ep answered the token request with an unusable token"
                CURL_WHY_CODE=$EX_S3
                return 1
            }
            ;;
        403 | 404 | 405) ;; # IMDSv1 only, as the CLI falls back to
        *)
            IMDS_ENDPOINT=
            CURL_WHY="the instance metadata service at $_ep did not answer the token request (HTTP $_code)"
            CURL_WHY_CODE=$EX_S3
            return 1
            ;;
    esac
}

imds_get() { # <path>; sets IMDS_BODY, returns non-zero with CURL_WHY unless HTTP 200
    _out=$(imds_request GET "$1")
    _code=${_out#"${_out%???}"}
    IMDS_BODY=${_out%???}
    [ "$_code" = 200 ] && return 0
    CURL_WHY="the instance metadata service at $IMDS_ENDPOINT answered $1 with HTTP $_code"
    CURL_WHY_CODE=$EX_S3
    return 1
}

# The instance role's credentials: role name, then its JSON (AccessKeyId, SecretAccessKey, Token).
imds_credentials() {
    imds_open || return 1
    imds_get /latest/meta-data/iam/security-credentials/ || {
        CURL_WHY="no instance role credentials: $CURL_WHY"
        return 1
    }
    _role=$(printf '%s\n' "$IMDS_BODY" | sed -n '1{s/[[:space:]]//g;p;}')
    is_safe_name "$_role" || {
        CURL_WHY="the instance metadata service at $IMDS_ENDPOINT names no usable instance role"
        CURL_WHY_CODE=$EX_S3
        return 1
    }
    imds_get "/latest/meta-data/iam/security-credentials/$_role" || return 1
    _code=$(printf '%s' "$IMDS_BODY" | json_get - Code)
    S3_KEY_ID=$(printf '%s' "$IMDS_BODY" | json_get - AccessKeyId)
    S3_SECRET=$(printf '%s' "$IMDS_BODY" | json_get - SecretAccessKey)
    S3_TOKEN=$(printf '%s' "$IMDS_BODY" | json_get - Token)
    IMDS_BODY=
    if [ "${_code:-Success}" != Success ] || ! is_token_text "$S3_KEY_ID" || ! is_token_text "$S3_SECRET" ||
        ! is_token_text "$S3_TOKEN"; then
        S3_KEY_ID='' S3_SECRET='' S3_TOKEN=''
        CURL_WHY="the instance metadata service at $IMDS_ENDPOINT gave no usable credentials for role $_role (Code ${_code:-missing})"
        CURL_WHY_CODE=$EX_S3
        return 1
    fi
}

find_credentials() {
    if [ -n "${AWS_ACCESS_KEY_ID-}" ] && [ -n "${AWS_SECRET_ACCESS_KEY-}" ]; then
        S3_KEY_ID=$AWS_ACCESS_KEY_ID S3_SECRET=$AWS_SECRET_ACCESS_KEY S3_TOKEN=${AWS_SESSION_TOKEN-}
        if is_token_text "$S3_KEY_ID" && is_token_text "$S3_SECRET" && { [ -z "$S3_TOKEN" ] || is_token_text "$S3_TOKEN"; }; then
            return 0
        fi
        S3_KEY_ID='' S3_SECRET='' S3_TOKEN=''
        CURL_WHY="the AWS_* credentials in the environment have characters outside the AWS key alphabet"
        return 1
    fi
    if cli_only_credentials; then
        CURL_WHY="credentials come from a profile, a settings file, web identity or the container endpoint, which only the AWS CLI reads"
        return 1
    fi
    imds_credentials
}

# AWS_REGION, AWS_DEFAULT_REGION, the config file's default region, the instance's region; for an
# S3-compatible endpoint without any of them, us-east-1 (what such stores expect in the scope).
find_region() {
    S3_REGION=${AWS_REGION:-${AWS_DEFAULT_REGION-}}
    if [ -z "$S3_REGION" ]; then
        _cfg=${AWS_CONFIG_FILE:-${HOME:+$HOME/.aws/config}}
        if [ -n "$_cfg" ] && [ -f "$_cfg" ]; then
            S3_REGION=$(awk -F= '/^[[:space:]]*\[/ { d = ($0 ~ /^[[:space:]]*\[default\]/) } d && $1 ~ /^[[:space:]]*region[[:space:]]*$/ { gsub(/[[:space:]]/, "", $2); print $2; exit }' "$_cfg")
        fi
    fi
    if [ -z "$S3_REGION" ] && imds_open && imds_get /latest/meta-data/placement/region; then
        S3_REGION=$IMDS_BODY
    fi
    [ -z "$S3_REGION" ] && [ -n "${FLEET_S3_ENDPOINT-}" ] && S3_REGION=us-east-1
    case $S3_REGION in
        '' | *[!a-z0-9-]*)
            CURL_WHY="no AWS region (AWS_REGION, AWS_DEFAULT_REGION, the config file or the instance metadata)"
            return 1
            ;;
    esac
}

# Decides once per run which client makes the S3 requests (after every input check, before any change).
choose_s3_client() {
    S3_CLIENT=${FLEET_S3_CLIENT:-auto}
    case $S3_CLIENT in
        auto | curl | cli) ;;
        *) die "$EX_USAGE" "refused FLEET_S3_CLIENT='$(printf '%s' "$S3_CLIENT" | tr -c 'A-Za-z0-9._-' '?' | cut -c1-32)': it must be auto, curl or cli; nothing was changed" ;;
    esac
    if [ "$S3_CLIENT" != cli ]; then
        if curl_can_sign && find_credentials && find_region; then
            S3_CLIENT=curl
            return 0
        fi
        [ "$S3_CLIENT" = curl ] && die "$CURL_WHY_CODE" "FLEET_S3_CLIENT=curl, but $CURL_WHY; nothing was changed, $(describe_current)"
        [ "$CURL_WHY_CODE" = "$EX_S3" ] && say "using the AWS CLI: $CURL_WHY"
    fi
    S3_CLIENT=cli
    command -v "$AWS" >/dev/null 2>&1 ||
        die "$EX_USAGE" "cannot find '$AWS' (fleet-agent needs it${CURL_WHY:+, as $CURL_WHY}); nothing was changed"
}

# Bounded: an unreachable endpoint fails within seconds (times the CLI's own retries), not minutes.
s3api() { # <operation> <args...>; stderr of the CLI goes to $WORK/s3.err
    "$AWS" ${FLEET_S3_ENDPOINT:+--endpoint-url "$FLEET_S3_ENDPOINT"} --cli-connect-timeout 10 \
        --cli-read-timeout 60 --output json s3api "$@" 2>"$WORK/s3.err"
}

# A key as a URL path: unreserved characters and '/' as they are, every other byte as %XX.
uri_path() { # <key>
    case $1 in
        *[!A-Za-z0-9._~/-]*)
            printf '%s' "$1" | od -An -v -tx1 | awk '
                BEGIN { for (i = 0; i < 256; i++) { h = sprintf("%02x", i); c = sprintf("%c", i)
                        ok[h] = (c ~ /[A-Za-z0-9._~\/-]/) ? c : "%" toupper(h) } }
                { for (i = 1; i <= NF; i++) printf "%s", ok[$i] }'
            ;;
        *) printf '%s' "$1" ;;
    esac
}

# FLEET_S3_ENDPOINT path-style (the sandbox, S3-compatible stores); else AWS's regional endpoint,
# virtual-hosted, or path-style for a bucket name with dots (its TLS certificate has no dots).
s3_url() { # <key>
    _path=$(uri_path "$1")
    if [ -n "${FLEET_S3_ENDPOINT-}" ]; then
        printf '%s/%s/%s' "${FLEET_S3_ENDPOINT%/}" "$FLEET_BUCKET" "$_path"
        return
    fi
    _domain=amazonaws.com
    case $S3_REGION in cn-*) _domain=amazonaws.com.cn ;; esac
    case $FLEET_BUCKET in
        *.*) printf 'https://s3.%s.%s/%s/%s' "$S3_REGION" "$_domain" "$FLEET_BUCKET" "$_path" ;;
        *) printf 'https://%s.s3.%s.%s/%s' "$FLEET_BUCKET" "$S3_REGION" "$_domain" "$_path" ;;
    esac
}

# One signed request, retried like the AWS CLI's standard mode (AWS_MAX_ATTEMPTS, default 3 attempts,
# backing off 1 s, 2 s, 4 s ... at most 20 s): connection failures (refused, reset, closed without a
# reply, timeouts, name resolution) and S3's transient answers (500, 502, 503 SlowDown, 504, 429,
# 408, RequestTimeout). curl's own --retry is not used: it does not retry a closed connection.
# The body goes to $WORK/s3.body, moved to <output> only on 2xx, so an error document never stands
# in for an object. On failure $WORK/s3.err holds one line in the CLI's form,
# "An error occurred (<Code>) when calling the <Operation> operation: ...", without key or secret.
curl_s3() { # <operation> <key> <output|-> [curl args...]
    _attempt=1
    _attempts=$(($(s3_retries) + 1))
    _backoff=1
    while :; do
        curl_s3_once "$@"
        _outcome=$?
        if [ "$_outcome" -ne 2 ] || [ "$_attempt" -ge "$_attempts" ]; then break; fi
        sleep "$_backoff"
        _attempt=$((_attempt + 1))
        _backoff=$((_backoff * 2))
        [ "$_backoff" -le 20 ] || _backoff=20
    done
    [ "$_outcome" -eq 0 ]
}

# Returns 0 on 2xx, 2 for a failure worth another attempt, 1 for any other.
curl_s3_once() { # <operation> <key> <output|-> [curl args...]
    _op=$1 _key=$2 _out=$3
    shift 3
    rm -f "$WORK/s3.body" "$WORK/s3.headers"
    _status=$({
        printf 'user = "%s:%s"\n' "$S3_KEY_ID" "$S3_SECRET"
        if [ -n "$S3_TOKEN" ]; then printf 'header = "X-Amz-Security-Token: %s"\n' "$S3_TOKEN"; fi
    } | curl -sS --config - --aws-sigv4 "aws:amz:$S3_REGION:s3" \
        ${AWS_CA_BUNDLE:+--cacert "$AWS_CA_BUNDLE"} --connect-timeout 10 --speed-limit 1 --speed-time 60 \
        --max-time "${FLEET_S3_MAX_TIME:-900}" -D "$WORK/s3.headers" -o "$WORK/s3.body" -w '%{http_code}' \
        "$@" "$(s3_url "$_key")" 2>"$WORK/curl.err")
    _rc=$?
    if [ "$_rc" -ne 0 ]; then
        _why=$(grep -v '^[[:space:]]*$' "$WORK/curl.err" | tail -n 1 | sed 's/^curl: ([0-9]*) //' | cut -c1-200)
        printf 'Could not complete the %s request to S3 (curl exit %s: %s)\n' "$_op" "$_rc" "${_why:-no message}" >"$WORK/s3.err"
        case $_rc in
            6 | 7 | 18 | 28 | 35 | 52 | 55 | 56) return 2 ;; # resolve, connect, partial, timeout, TLS, closed, send, receive
        esac
        return 1
    fi
    case $_status in
        2??)
            S3_ETAG=$(awk 'tolower($0) ~ /^etag:/ { sub(/^[^:]*:[[:space:]]*/, ""); sub(/\r$/, ""); e = $0 } END { print e }' "$WORK/s3.headers")
            if [ "$_out" != - ]; then
                mv -f "$WORK/s3.body" "$_out" || return 1
            fi
            return 0
            ;;
    esac
    _code=$(sed -n 's:.*<Code>\([A-Za-z0-9.]*\)</Code>.*:\1:p' "$WORK/s3.body" 2>/dev/null | head -n 1)
    case $_status in
        304) _text="Not Modified" ;;
        *) _text="HTTP $_status" ;;
    esac
    printf 'An error occurred (%s) when calling the %s operation: %s\n' "${_code:-$_status}" "$_op" "$_text" >"$WORK/s3.err"
    case $_status:$_code in
        500:* | 502:* | 503:* | 504:* | 429:* | 408:* | *:RequestTimeout | *:SlowDown | *:InternalError) return 2 ;;
    esac
    return 1
}

# GetObject into <file>; with an ETag, conditional (If-None-Match). Sets S3_ETAG (quoted, as S3 sends it).
s3_get() { # <key> <file> [etag]
    S3_ETAG=
    if [ "$S3_CLIENT" = curl ]; then
        curl_s3 GetObject "$1" "$2" -H "x-amz-content-sha256: $EMPTY_SHA256" ${3:+-H "If-None-Match: $3"}
        return
    fi
    s3api get-object --bucket "$FLEET_BUCKET" --key "$1" ${3:+--if-none-match "$3"} "$2" >"$WORK/get.json" || return 1
    S3_ETAG=$(json_get "$WORK/get.json" ETag)
}

# PutObject of <file>. curl 7.88 does not send x-amz-content-sha256, which S3 requires with SigV4:
# the agent sends the body's hash, the same one curl signs as the payload hash.
s3_put() { # <key> <file> <content type>
    if [ "$S3_CLIENT" = curl ]; then
        curl_s3 PutObject "$1" - -X PUT --data-binary "@$2" -H "Content-Type: $3" \
            -H "x-amz-content-sha256: $(sha256sum "$2" | cut -d' ' -f1)"
        return
    fi
    s3api put-object --bucket "$FLEET_BUCKET" --key "$1" --body "$2" --content-type "$3" >/dev/null
}

EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# The client's own error line, for messages (it names the operation and the S3 error code, never keys).
s3_error() {
    _err=$(grep -v '^[[:space:]]*$' "$WORK/s3.err" 2>/dev/null | tail -n 1 | cut -c1-300)
    printf '%s' "${_err:-the S3 request ($S3_CLIENT) failed without a message}"
}

s3_uri() {
    printf 's3://%s/%s' "$FLEET_BUCKET" "$1"
}

# --- hooks -----------------------------------------------------------------------------------

HOOK_ERROR=

# Runs releases/<version>/hooks/<name> if the bundle has it, bounded by FLEET_HOOK_TIMEOUT.
# Hook output goes to .fleet/hooks.log, not to the agent's stdout or stderr: a daemon that a start
# hook leaves running would otherwise hold the caller's pipes (SSM, a CI step) open until it dies.
run_hook() { # <version> <name> <previous version>
    _dir=$RELEASES/$1
    _hook=$_dir/hooks/$2
    [ -f "$_hook" ] || return 0
    say "running hook $2 of $1 (output in $HOOK_LOG)"
    if [ -f "$HOOK_LOG" ] && [ "$(($(wc -c <"$HOOK_LOG")))" -gt 1048576 ]; then
        mv -f "$HOOK_LOG" "$HOOK_LOG.1"
    fi
    printf '== %s hook %s of %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$2" "$1" >>"$HOOK_LOG"
    if [ -x "$_hook" ]; then
        set -- "$1" "$2" "$3" "$_hook"
    else
        set -- "$1" "$2" "$3" sh "$_hook"
    fi
    _version=$1 _name=$2 _prev=$3
    shift 3
    # Hooks are the application's code: they get its release, not the agent's AWS keys.
    (
        cd "$_dir" || exit 126
        unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
        FLEET_VERSION=$_version FLEET_PREVIOUS_VERSION=$_prev FLEET_RELEASE_DIR=$_dir FLEET_HOME=$HOME_DIR
        export FLEET_VERSION FLEET_PREVIOUS_VERSION FLEET_RELEASE_DIR FLEET_HOME
        exec timeout -k 5 "$HOOK_TIMEOUT" "$@" </dev/null >>"$HOOK_LOG" 2>&1
    )
    _rc=$?
    [ "$_rc" -eq 0 ] && return 0
    # the hook's last words, before the agent's own one-line message
    # shellcheck disable=SC2016 # a sed address, not a shell expansion
    sed -n '/^== .* hook /h; /^== .* hook /!H; ${x;p;}' "$HOOK_LOG" | tail -n 10 >&2
    if [ "$_rc" -eq 124 ] || [ "$_rc" -eq 137 ]; then
        HOOK_ERROR="hook $_name of $_version timed out after ${HOOK_TIMEOUT}s"
    else
        HOOK_ERROR="hook $_name of $_version failed with exit code $_rc"
    fi
    return 1
}

# --- switching current -------------------------------------------------------------------------

# Points current at releases/<version> in one rename, so a reader never sees it missing.
switch_current() { # <version>
    _tmp_link=$HOME_DIR/.current.$$
    rm -f "$_tmp_link"
    ln -s "releases/$1" "$_tmp_link" && mv -T "$_tmp_link" "$CURRENT"
}

# --- status ----------------------------------------------------------------------------------

# Writes status/<group>/<instance-id>.json to S3 (and a copy to .fleet/status.json).
write_status() { # <version> <sha256> <result> <message>
    _file=$WORK/status.json
    {
        printf '{"instanceId":%s,"group":%s,"app":%s,' \
            "$(json_str "$FLEET_INSTANCE_ID")" "$(json_str "$FLEET_GROUP")" "$(json_str "$FLEET_APP")"
        printf '"version":%s,"sha256":%s,"time":%s,"result":%s,"message":%s}\n' \
            "$(json_str "$1")" "$(json_str "$2")" "$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" \
            "$(json_str "$3")" "$(json_str "$4")"
    } >"$_file"
    cp "$_file" "$STATE/status.json.tmp" && mv -f "$STATE/status.json.tmp" "$STATE/status.json"
    _key=$APP_ROOT/status/$FLEET_GROUP/$FLEET_INSTANCE_ID.json
    s3_put "$_key" "$_file" application/json || {
        STATUS_ERROR="could not write status $(s3_uri "$_key"): $(s3_error)"
        return 1
    }
}

# poll: the channel pointer's ETag is remembered once the version it names has been dealt with
# and reported, failed or not, so a release that failed here is not retried on every poll; a
# failed download or S3 call is.
remember_pointer() {
    [ -n "$POINTER_ETAG_FILE" ] || return 0
    printf '%s\n' "$POINTER_ETAG" >"$POINTER_ETAG_FILE.tmp" && mv -f "$POINTER_ETAG_FILE.tmp" "$POINTER_ETAG_FILE"
}

# Ends a run whose release failed: reports it to S3, then exits with the message.
fail_release() { # <exit code> <version> <sha256> <result> <message>
    if write_status "$2" "$3" "$4" "$5"; then
        remember_pointer
        die "$1" "$5"
    fi
    die "$1" "$5; also $STATUS_ERROR"
}

# Ends a successful run: status to S3, one line to stdout.
succeed() { # <version> <sha256> <result> <message>
    write_status "$@" || die "$EX_S3" "$4, but $STATUS_ERROR; run the same command again to report it"
    remember_pointer
    printf '%s\n' "$4"
    exit 0
}

# --- install ---------------------------------------------------------------------------------

# Reads releases/<version>/manifest.json and sets SHA from it (64 lower-case hex digits or refused).
read_manifest() { # <version>
    _rel=$APP_ROOT/releases/$1
    s3_get "$_rel/manifest.json" "$WORK/manifest.json" ||
        die "$EX_S3" "could not read the manifest $(s3_uri "$_rel/manifest.json"): $(s3_error); nothing was installed, $(describe_current)"
    _mversion=$(json_get "$WORK/manifest.json" version)
    SHA=$(json_get "$WORK/manifest.json" sha256 | tr 'A-F' 'a-f')
    [ "$_mversion" = "$1" ] ||
        fail_release "$EX_FAILED" "$1" "" failed "the manifest $(s3_uri "$_rel/manifest.json") is for version '$_mversion', not $1; nothing was installed, $(describe_current)"
    is_sha256 "$SHA" ||
        fail_release "$EX_FAILED" "$1" "" failed "the manifest of $1 has no valid sha256; nothing was installed, $(describe_current)"
}

# Downloads, verifies and unpacks <version> into releases/<version>; sets SHA.
# poll already holds the sha256 from the channel pointer, which the engine copied from the manifest
# when it moved the pointer: the bundle is checked against that and the manifest is not read (one
# AWS CLI run, i.e. one Python start, less per install). install and rollback read the manifest.
fetch_release() { # <version>
    _v=$1
    _rel=$APP_ROOT/releases/$_v
    if [ -n "$EXPECTED_SHA" ]; then
        SHA=$EXPECTED_SHA
        _said_by="the channel pointer"
    else
        read_manifest "$_v"
        _said_by="the manifest"
    fi
    s3_get "$_rel/bundle.tar.gz" "$WORK/bundle.tar.gz" ||
        die "$EX_S3" "could not download $(s3_uri "$_rel/bundle.tar.gz"): $(s3_error); nothing was installed, $(describe_current)"
    # Nothing from the bundle is unpacked or run before its bytes match that sha256.
    _actual=$(sha256sum "$WORK/bundle.tar.gz" | cut -d' ' -f1)
    [ "$_actual" = "$SHA" ] ||
        fail_release "$EX_FAILED" "$_v" "$SHA" failed "checksum mismatch for the bundle of $_v: $_said_by says $SHA, downloaded bytes are $_actual; nothing was unpacked or run, $(describe_current)"
    # shellcheck disable=SC2015 # the message is for either step failing
    mkdir "$WORK/unpack" &&
        tar -xzf "$WORK/bundle.tar.gz" -C "$WORK/unpack" --no-same-owner 2>"$WORK/tar.err" ||
        fail_release "$EX_FAILED" "$_v" "$SHA" failed "could not unpack the bundle of $_v: $(tail -n 1 "$WORK/tar.err"); nothing was installed, $(describe_current)"
    rm -rf "${RELEASES:?}/$_v" "$STATE/$_v.sha256"
    # shellcheck disable=SC2015
    mv "$WORK/unpack" "$RELEASES/$_v" && printf '%s\n' "$SHA" >"$STATE/$_v.sha256" ||
        die "$EX_DISK" "could not move the unpacked $_v into $RELEASES; $(describe_current)"
}

# Undoes a failed install of $_v: current back to $old (or no current at all) and started again,
# the release removed if this run downloaded it.
restore_old() {
    if [ -n "$old" ]; then
        switch_current "$old" || return 1
        run_hook "$old" start "$_v" || say "$HOOK_ERROR (while restoring $old)"
    else
        rm -f "$CURRENT"
    fi
    if [ -n "$fresh" ]; then
        rm -rf "${RELEASES:?}/$_v" "$STATE/$_v.sha256"
    fi
    return 0
}

# Installs <version> and makes it current; <result> is what the status reports on success
# ("installed" or "rolled-back").
install_version() { # <version> <result>
    _v=$1
    _result=$2
    old=$(current_version)
    if [ "$old" = "$_v" ] && release_on_disk "$_v"; then
        succeed "$_v" "$(cat "$STATE/$_v.sha256")" "$_result" "$_v is already current; nothing to do"
    fi
    fresh=
    if release_on_disk "$_v"; then
        SHA=$(cat "$STATE/$_v.sha256")
        say "$_v is still on disk (verified when it was installed); not downloading it again"
    else
        fetch_release "$_v"
        fresh=yes
    fi
    if [ -n "$EXPECTED_SHA" ] && [ "$EXPECTED_SHA" != "$SHA" ]; then
        fail_release "$EX_FAILED" "$_v" "$SHA" failed "the channel pointer names sha256 $EXPECTED_SHA for $_v but the release has $SHA; nothing was installed, $(describe_current)"
    fi
    say "installing $_v (was: ${old:-none})"
    if [ -n "$old" ] && [ -d "$RELEASES/$old" ] && ! run_hook "$old" stop "$_v"; then
        _why=$HOOK_ERROR
        run_hook "$old" start "$_v" || say "$HOOK_ERROR (while restarting $old)"
        [ -n "$fresh" ] && rm -rf "${RELEASES:?}/$_v" "$STATE/$_v.sha256"
        fail_release "$EX_FAILED" "$_v" "$SHA" failed "$_why; $_v was not installed, $(describe_current)"
    fi
    switch_current "$_v" || {
        restore_old
        fail_release "$EX_DISK" "$_v" "$SHA" failed "could not point $CURRENT at $_v; $(describe_current)"
    }
    if ! run_hook "$_v" start "$old" || ! run_hook "$_v" validate "$old"; then
        _why=$HOOK_ERROR
        run_hook "$_v" stop "$old" || say "$HOOK_ERROR (ignored: going back to ${old:-no release})"
        if restore_old; then
            if [ -n "$old" ]; then
                fail_release "$EX_FAILED" "$_v" "$SHA" failed "$_why; switched back: current points at $old again"
            fi
            fail_release "$EX_FAILED" "$_v" "$SHA" failed "$_why; removed it: no release is current"
        fi
        fail_release "$EX_DISK" "$_v" "$SHA" failed "$_why, and switching back to $old failed; current points at $_v"
    fi
    if [ -n "$old" ] && [ "$old" != "$_v" ]; then
        printf '%s\n' "$old" >"$STATE/previous.tmp" && mv -f "$STATE/previous.tmp" "$STATE/previous"
    fi
    printf '%s\n' "$_v" >>"$STATE/history"
    prune_releases
    succeed "$_v" "$SHA" "$_result" "$_result $_v: current points at $_v (previous: ${old:-none})"
}

# Keeps the FLEET_KEEP most recently installed releases, and always current and previous.
prune_releases() {
    # history: one line per install, oldest first; newest first and each version once here
    awk '{ line[NR] = $0 } END { for (i = NR; i > 0; i--) if (!seen[line[i]]++) print line[i] }' \
        "$STATE/history" >"$WORK/recent"
    { head -n "$KEEP" "$WORK/recent"; current_version; previous_version; } >"$WORK/keep"
    for _dir in "$RELEASES"/*; do
        [ -d "$_dir" ] || continue
        _name=${_dir##*/}
        is_safe_name "$_name" || continue
        grep -Fqx -e "$_name" "$WORK/keep" && continue
        say "removing old release $_name (FLEET_KEEP=$KEEP)"
        rm -rf "$STATE/$_name.sha256" "${RELEASES:?}/$_name"
    done
    # forget what is gone, so that the history stays as short as the releases kept
    awk 'NR == FNR { keep[$0] = 1; next } keep[$0] { out[++n] = $0 } END { for (i = n; i > 0; i--) print out[i] }' \
        "$WORK/keep" "$WORK/recent" >"$STATE/history.tmp" && mv -f "$STATE/history.tmp" "$STATE/history"
}

# --- poll ------------------------------------------------------------------------------------

cmd_poll() {
    require_env FLEET_CHANNEL
    require_safe FLEET_CHANNEL "$FLEET_CHANNEL"
    acquire_lock
    make_work_dir
    _key=$APP_ROOT/channels/$FLEET_CHANNEL.json
    _etag_file=$STATE/channel-$FLEET_CHANNEL.etag
    _etag=
    [ -s "$_etag_file" ] && _etag=$(cat "$_etag_file")
    if s3_get "$_key" "$WORK/pointer.json" "$_etag"; then
        :
    elif [ -n "$_etag" ] && grep -Eq '\((304|412|NotModified|PreconditionFailed)\)|Not Modified' "$WORK/s3.err"; then
        printf 'channel %s unchanged (ETag %s); %s\n' "$FLEET_CHANNEL" "$_etag" "$(describe_current | sed 's/still //')"
        exit 0
    else
        die "$EX_S3" "could not read the channel pointer $(s3_uri "$_key"): $(s3_error); nothing was changed, $(describe_current)"
    fi
    _v=$(json_get "$WORK/pointer.json" version)
    is_safe_name "$_v" ||
        die "$EX_FAILED" "the channel pointer $(s3_uri "$_key") names no valid version; nothing was changed, $(describe_current)"
    EXPECTED_SHA=$(json_get "$WORK/pointer.json" sha256 | tr 'A-F' 'a-f')
    POINTER_ETAG=$S3_ETAG
    POINTER_ETAG_FILE=$_etag_file
    # The bundle is verified against this sha256 (see fetch_release): one that is not a sha256 is refused.
    is_sha256 "$EXPECTED_SHA" ||
        fail_release "$EX_FAILED" "$_v" "" failed "the channel pointer $(s3_uri "$_key") names no valid sha256 for $_v; nothing was installed, $(describe_current)"
    say "channel $FLEET_CHANNEL points at $_v"
    # Also when it names the current version: the pointer may have moved back after a failed
    # install here, and the status must say that this instance runs it.
    install_version "$_v" installed
}

# --- entry point -----------------------------------------------------------------------------

cmd=${1-}
[ $# -ge 1 ] || usage
shift

case $cmd in
    install)
        [ $# -eq 1 ] || usage
        require_safe version "$1"
        ;;
    poll | rollback | status | current)
        [ $# -eq 0 ] || usage
        ;;
    *) usage ;;
esac

init_home

case $cmd in
    current)
        _cur=$(current_version)
        [ -n "$_cur" ] || die "$EX_FAILED" "no release is current in $HOME_DIR"
        printf '%s\n' "$_cur"
        exit 0
        ;;
    status)
        _releases=
        for _dir in "$RELEASES"/*; do
            [ -d "$_dir" ] && _releases="$_releases${_releases:+,}$(json_str "${_dir##*/}")"
        done
        _last=null
        [ -s "$STATE/status.json" ] && _last=$(cat "$STATE/status.json")
        printf '{"home":%s,"current":%s,"previous":%s,"releases":[%s],"lastStatus":%s}\n' \
            "$(json_str "$HOME_DIR")" "$(json_str "$(current_version)")" "$(json_str "$(previous_version)")" \
            "$_releases" "$_last"
        exit 0
        ;;
esac

check_remote_settings
require_tools
KEEP=${FLEET_KEEP:-3}
require_count FLEET_KEEP "$KEEP"
HOOK_TIMEOUT=${FLEET_HOOK_TIMEOUT:-60}
require_count FLEET_HOOK_TIMEOUT "$HOOK_TIMEOUT"
LOCK_WAIT=${FLEET_LOCK_WAIT:-120}
case $LOCK_WAIT in
    '' | *[!0-9]*) die "$EX_USAGE" "refused FLEET_LOCK_WAIT='$LOCK_WAIT': it must be a whole number of seconds; nothing was changed" ;;
esac
STATUS_ERROR=
EXPECTED_SHA=
POINTER_ETAG=
POINTER_ETAG_FILE=

choose_s3_client

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

case $cmd in
    install)
        acquire_lock
        make_work_dir
        install_version "$1" installed
        ;;
    rollback)
        acquire_lock
        make_work_dir
        _prev=$(previous_version)
        [ -n "$_prev" ] || die "$EX_FAILED" "no previous release is recorded in $STATE/previous; nothing was changed, $(describe_current)"
        require_safe "previous version in $STATE/previous" "$_prev"
        install_version "$_prev" rolled-back
        ;;
    poll)
        cmd_poll
        ;;
esac
