#!/bin/sh
# Fails when a C file of the tree is not formatted as .clang-format says.
# usage: check-format.sh SOURCE_ROOT CLANG_FORMAT
set -eu
root=$1
clang_format=$2
cd "$root"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files --cached --others --exclude-standard -- '*.c' '*.h')
else
	files=$(find . -name '*.[ch]' -not -path './build*')
fi
[ -n "$files" ] || { echo "no C files found"; exit 1; }
# shellcheck disable=SC2086
"$clang_format" --dry-run --Werror $files
echo "$(echo "$files" | wc -l) files formatted"
