#!/bin/bash
# Client-initiated rekeying: RekeyLimit by volume (1M during a 12 MiB transfer) and by time
# (2 seconds during a 5-second command) keeps the data exact and really renews the keys.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/rekey.sh"
require_client
start_sshd

REKEY_IN="$T_DIR/in"
head -c 12582912 /dev/urandom >"$REKEY_IN"
rekey_case "volume rekey" "$(sha256_of "$REKEY_IN")" 'SSH2_MSG_NEWKEYS received' 8 120 \
	-o RekeyLimit=1M -o Ciphers=aes128-ctr -o MACs=hmac-sha2-256-etm@openssh.com -- cat

REKEY_IN=
rekey_case "time rekey" "done" 'SSH2_MSG_NEWKEYS received' 2 60 \
	-o "RekeyLimit=default 2" -- 'sleep 5; echo done'

t_done
