#!/bin/bash
# 64 MiB of random bytes up through the remote `cat` and back, compared by SHA-256.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd

bytes=${BULK_BYTES:-67108864}
head -c "$bytes" /dev/urandom >"$T_DIR/bulk.in"
want=$(sha256_of "$T_DIR/bulk.in")

CLIENT_TIMEOUT=${CLIENT_TIMEOUT_BULK:-300} CLIENT_STDIN="$T_DIR/bulk.in" run_client -- cat
expect_exit 0 "round trip of $bytes bytes"
expect_eq "size after round trip" "$bytes" "$(stat -c %s "$OUT")"
expect_eq "SHA-256 after round trip" "$want" "$(sha256_of "$OUT")"

# Download only (remote generates, nothing sent up).
run_client -- "head -c 10485760 /dev/zero"
expect_exit 0 "10 MiB download"
expect_eq "download size" 10485760 "$(stat -c %s "$OUT")"
expect_eq "download content" "$(head -c 10485760 /dev/zero | sha256sum | cut -d' ' -f1)" "$(sha256_of "$OUT")"

t_done
