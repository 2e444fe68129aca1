#!/bin/sh
# check-man.sh PAGE...: each man page renders with man -l, with no groff warning, and has
# the sections a reader looks for.
set -eu
command -v man >/dev/null || { echo "man is not installed: cannot render man pages"; exit 77; }
status=0
for page in "$@"; do
    out=$(MANWIDTH=80 man --warnings -l "$page" 2>"${TMPDIR:-/tmp}/check-man.$$") || status=1
    if [ -s "${TMPDIR:-/tmp}/check-man.$$" ]; then
        echo "$page: warnings:"; cat "${TMPDIR:-/tmp}/check-man.$$"; status=1
    fi
    for section in NAME SYNOPSIS DESCRIPTION; do
        printf '%s\n' "$out" | grep -q "^$section" || { echo "$page: no $section section"; status=1; }
    done
    echo "$page: $(printf '%s\n' "$out" | wc -l) lines rendered"
done
rm -f "${TMPDIR:-/tmp}/check-man.$$"
exit $status
