#!/bin/sh
# Fails when src/ calls a C function we do not use: unbounded copies and
# formats, non-reentrant or error-swallowing conversions (as curl does).
# Usage: scripts/check-banned.sh [SRC_DIR]
set -eu
src=${1:-"$(dirname "$0")/../src"}
banned='\b(rand|strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|strtok|asctime|ctime|gmtime|localtime|tmpnam|mktemp|rand_r)[[:space:]]*\('
if grep -rnE "$banned" "$src" --include='*.c' --include='*.h'; then
	echo "check-banned: the calls above are banned; use the bounded or reentrant form" >&2
	exit 1
fi
echo "check-banned: 0 banned calls"
