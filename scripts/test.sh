#!/bin/sh
# The README's test command: installs what is missing, builds, and runs every test twice,
# once in a plain build and once under AddressSanitizer + UndefinedBehaviorSanitizer.
# Starts a private PostgreSQL on loopback unless NUSEC_TEST_PG already names one.
# Ends with the line 'N passed, N failed, N skipped'; exits non-zero on any failure.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
scripts/setup-debian.sh || exit 1

pgdir=""
cleanup() {
	if [ -n "$pgdir" ]; then
		scripts/pg-test-server.sh stop "$pgdir"
		rm -rf "$pgdir"
	fi
}
trap cleanup EXIT INT TERM
if [ -z "${NUSEC_TEST_PG:-}" ]; then
	pgdir=$(mktemp -d /tmp/nusec-pg.XXXXXX)
	chmod 755 "$pgdir"
	NUSEC_TEST_PG=$(scripts/pg-test-server.sh start "$pgdir") || exit 1
	export NUSEC_TEST_PG
fi

logs=""
run_suite() { # build-dir setup-args... -- test-args...
	dir=$1
	shift
	setup=""
	while [ "$1" != "--" ]; do
		setup="$setup $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	if [ ! -f "$dir/build.ninja" ] && ! meson setup "$dir" $setup; then
		echo "test: meson setup of $dir failed" >&2
		return 1
	fi
	if ! ninja -C "$dir"; then
		echo "test: build of $dir failed" >&2
		return 1
	fi
	meson test -C "$dir" --print-errorlogs --num-processes 2 "$@"
}

status=0
run_suite build -- || status=1
logs="build/meson-logs/testlog.json"
run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false -- --setup=asan || status=1
logs="$logs build-asan/meson-logs/testlog-asan.json"

python3 scripts/test-summary.py $logs || status=1
exit $status
