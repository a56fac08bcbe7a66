#!/bin/bash
# BatchMode without ConnectTimeout: everything up to the open session is limited to 60 s by
# default (issue 8), so a CI job never hangs on a stuck device: a server that freezes during
# user authentication ends the client with 255 after 60 s and a line naming the default. -G
# still prints the ConnectTimeout that was configured (none). Takes a minute.
. "$(dirname "$0")/../lib/common.sh"
require_client
make_keys
CLIENT_TIMEOUT=100
HK="$T_DIR/keys/host_ed25519"

run_cmd "$X509SSH" -F /dev/null -G -o BatchMode=yes 127.0.0.1
expect_exit 0 "-G"
expect_file_matches "$OUT" '^connecttimeout none$' "-G prints the configured ConnectTimeout, not the default"

PEERS_DIR="$X509SSH_SRC/tests/integration" start_peer auth-stall loop_peer.py --mode auth-stall --host-key "$HK"
CLIENT_PORT=$PEER_PORT
known_hosts_line "$HK.pub" "$PEER_PORT" >"$KNOWN_HOSTS"
run_client -- true
expect_exit 255 "BatchMode, a server frozen during user authentication"
expect_error_line connect "BatchMode default limit"
if is_x509ssh; then
	expect_stderr_matches "^x509ssh: connect: 127\.0\.0\.1 port $PEER_PORT: timed out during user authentication \(ConnectTimeout 60 s, the BatchMode default\)$" "the default limit is named"
fi
stop_peer
t_done
