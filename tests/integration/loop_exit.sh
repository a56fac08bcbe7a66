#!/bin/bash
# Exit statuses a server should not send (issue 8): a status outside 0..255 is never cut to 8 bits
# (256 would read as success) but is exit 255 with a line giving the value; a session closed
# without exit-status or exit-signal is exit 255 with its line. Every 255 has its line; a
# remote 255 is passed on as it is.
. "$(dirname "$0")/../lib/common.sh"
require_client
make_keys
CLIENT_TIMEOUT=30
HK="$T_DIR/keys/host_ed25519"

PEERS_DIR="$X509SSH_SRC/tests/integration" start_peer status loop_peer.py --mode status --host-key "$HK"
CLIENT_PORT=$PEER_PORT
known_hosts_line "$HK.pub" "$PEER_PORT" >"$KNOWN_HOSTS"

# statuses outside 0..255: 256 and 0xFFFFFF00 are 0 in 8 bits, 257 is 1, 0xFFFFFFFF is 255
for st in 256 4294967040 257 4294967295; do
	run_client -- "status $st"
	expect_exit 255 "exit-status $st"
	expect_error_line channel "exit-status $st"
	if is_x509ssh; then
		expect_stderr_matches "^x509ssh: channel: the server sent exit status $st, outside 0\.\.255$" "exit-status $st: the value is named"
	fi
done

# in range: passed on as sent, no error line (255 included: it is the remote command's)
for st in 0 1 42 254 255; do
	run_client -- "status $st"
	expect_exit "$st" "exit-status $st"
	expect_stderr_not_matches '^x509ssh: ' "exit-status $st: no error line"
done

# no exit status at all (some network devices close the session so)
run_client -- nostatus
expect_exit 255 "no exit status"
expect_error_line channel "no exit status"
if is_x509ssh; then
	expect_stderr_matches '^x509ssh: channel: the server closed the session without an exit status$' "no exit status: said so"
fi

# a real command still works
run_client -- 'echo out; exit 3'
expect_exit 3 "a command's own status"
expect_stdout_eq "out" "a command's output"

t_done
