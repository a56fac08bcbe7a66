#!/bin/bash
# BatchMode=yes with no ConnectTimeout: the default limit up to the open session is 60 s, so a
# CI job never hangs on a stuck device: a server that never answers user authentication
# (tests/peers/hostile_server.py stall-userauth) ends the client with 255 and
# "connect: 127.0.0.1 port P: timed out during user authentication (ConnectTimeout 60 s, the
# BatchMode default)" instead of a wait without end. -G still prints the ConnectTimeout that was
# configured (none), not the default. Takes a minute by design (it proves the 60 s default); the
# run is bounded by timeout 90 (a timeout is a hang).
. "$(dirname "$0")/../lib/common.sh"
require_client
CLIENT_TIMEOUT=90

run_cmd "$X509SSH" -F /dev/null -G -o BatchMode=yes 127.0.0.1
expect_exit 0 "-G"
expect_file_matches "$OUT" '^connecttimeout none$' "-G prints the configured ConnectTimeout (none), not the default"

start_hostile stall stall-userauth
# run_client passes BatchMode=yes and neither ConnectTimeout nor ServerAliveInterval
run_client_timed -o LogLevel=INFO -- echo should-not-run
expect_no_crash "BatchMode, stall-userauth"
expect_exit 255 "BatchMode, stall-userauth (ended after $MS ms)"
expect_error_line connect "BatchMode, stall-userauth"
expect_file_matches "$HOSTILE_RECORD" '^userauth none ' "the client got to user authentication"
expect_x509ssh_line "^x509ssh: connect: 127\.0\.0\.1 port $CLIENT_PORT: timed out during user authentication \(ConnectTimeout 60 s, the BatchMode default\)$" \
	"the BatchMode default is named"
hostile_diag
t_done
