#!/bin/sh
# Installs every Debian 12 package NuSEC needs to build, test and run its demo.
# Idempotent: asks apt-get only for what is missing. Runs as root, or through sudo.
set -eu

packages="
	build-essential pkg-config meson ninja-build git python3
	libglib2.0-dev libssl-dev openssl libmbedtls-dev
	libp11-kit-dev p11-kit softhsm2
	clang clang-format libclang-rt-14-dev valgrind
	postgresql libsqlite3-dev libpq-dev libmicrohttpd-dev libgnutls28-dev libjson-glib-dev
	libcurl4-openssl-dev curl golang-cfssl
"

missing=""
for p in $packages; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = "installed" ] || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "setup: all Debian packages present"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "setup: missing packages:$missing; run this script as root" >&2
	exit 1
fi
echo "setup: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "setup: done"
