#!/bin/sh
# Installs the Debian packages Servio needs to build and test, when missing.
# Usage: scripts/deps.sh [build|test|bench]... (default: build)
# Uses sudo when not root. Does nothing when everything is present.
set -eu

build="build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev
libsqlite3-dev libpq-dev libsodium-dev liboath-dev libicu-dev libical-dev tzdata
libcairo2-dev libpango1.0-dev fonts-dejavu-core libgmime-3.0-dev libcurl4-openssl-dev
libcmark-dev libzxcvbn-dev"
test="clang libclang-rt-14-dev libcmocka-dev python3 curl postgresql python3-aiosmtpd dovecot-imapd util-linux poppler-utils python3-jsonschema python3-yaml chromium"
bench="wrk nginx-light python3 postgresql util-linux dovecot-imapd python3-aiosmtpd"

want=""
[ $# -eq 0 ] && set -- build
for group in "$@"; do
	case "$group" in
	build) want="$want $build" ;;
	test) want="$want $build $test" ;;
	bench) want="$want $build $bench" ;;
	*) echo "deps.sh: unknown group \"$group\"" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		case " $missing " in *" $p "*) ;; *) missing="$missing $p" ;; esac
	fi
done
[ -z "$missing" ] && exit 0

echo "installing:$missing"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
