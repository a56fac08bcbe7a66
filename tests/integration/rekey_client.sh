#!/bin/bash
# Client-initiated rekeying: RekeyLimit by volume (1M during a 12 MiB transfer) and by time
# (2 seconds during a 5-second command) keeps the data exact and really renews the keys.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd

head -c 12582912 /dev/urandom >"$T_DIR/in"
want=$(sha256_of "$T_DIR/in")

log_mark
CLIENT_TIMEOUT=120 CLIENT_STDIN="$T_DIR/in" run_client -o RekeyLimit=1M -o Ciphers=aes128-ctr \
	-o MACs=hmac-sha2-256-etm@openssh.com -- cat
expect_exit 0 "volume rekey: exit status"
expect_eq "volume rekey: data exact" "$want" "$(sha256_of "$OUT")"
log_since_mark >"$T_DIR/slice"
n=$(grep -c 'SSH2_MSG_NEWKEYS received' "$T_DIR/slice" || true)
if ((n >= 8)); then
	pass "volume rekey: sshd saw $((n - 1)) client-initiated rekeys"
else
	fail "volume rekey: expected >= 8 NEWKEYS in the sshd log, saw $n"
fi

log_mark
CLIENT_TIMEOUT=60 run_client -o "RekeyLimit=default 2" -- 'sleep 5; echo done'
expect_exit 0 "time rekey: exit status"
expect_eq "time rekey: output" "done" "$(cat "$OUT")"
log_since_mark >"$T_DIR/slice"
n=$(grep -c 'SSH2_MSG_NEWKEYS received' "$T_DIR/slice" || true)
if ((n >= 2)); then
	pass "time rekey: sshd saw $((n - 1)) timed rekeys"
else
	fail "time rekey: expected >= 2 NEWKEYS in the sshd log, saw $n"
fi

t_done
