#!/bin/bash
# How a session ends, when the server ends it badly (tests/peers/hostile_server.py):
#   - an exit status outside 0..255 is not truncated to 8 bits: exit 255 and
#     "x509ssh: channel: the server sent exit status N, outside 0..255" (N in decimal);
#   - a CLOSE with neither exit-status nor exit-signal: exit 255 and
#     "x509ssh: channel: the server closed the session without an exit status";
#   - data for the channel after the server's CLOSE: exit 255 and a "channel:" line saying
#     "after closing the channel", the late data never reaches stdout;
#   - empty CHANNEL_DATA / EXTENDED_DATA are harmless (no sanitizer report), the exit status and
#     the data are intact.
. "$(dirname "$0")/../lib/common.sh"
require_client
CLIENT_TIMEOUT=20

start_hostile e256 exit-256
run_client -- true
expect_no_crash "exit-status 256"
expect_exit 255 "exit-status 256"
expect_stdout_eq "hello" "exit-status 256: the data before it is intact"
expect_error_line channel "exit-status 256"
expect_x509ssh_line '^x509ssh: channel: the server sent exit status 256, outside 0\.\.255$' \
	"exit-status 256: named in decimal"

start_hostile eff exit-ffffff00
run_client -- true
expect_no_crash "exit-status 0xFFFFFF00"
expect_exit 255 "exit-status 0xFFFFFF00"
expect_error_line channel "exit-status 0xFFFFFF00"
expect_x509ssh_line '^x509ssh: channel: the server sent exit status 4294967040, outside 0\.\.255$' \
	"exit-status 0xFFFFFF00: named in decimal"

start_hostile nostatus close-no-status
run_client -- true
expect_no_crash "close without exit-status"
expect_exit 255 "close without exit-status"
expect_stdout_eq "hello" "close without exit-status: the data is intact"
expect_error_line channel "close without exit-status"
expect_x509ssh_line '^x509ssh: channel: the server closed the session without an exit status$' \
	"close without exit-status: said so"

start_hostile late data-after-close
run_client -- true
expect_no_crash "data after close"
expect_exit 255 "data after close"
expect_file_not_matches "$OUT" 'late' "data after close: the late data is not written out"
expect_error_line channel "data after close"
expect_x509ssh_line '^x509ssh: channel: .*after closing the channel' "data after close: named"

# Under the ASan/UBSan build run_client fails on any sanitizer report.
start_hostile empty empty-data
run_client -- true
expect_no_crash "empty data packets"
expect_exit 3 "empty data packets: exit status 3"
expect_stdout_eq "hello" "empty data packets: the data is intact"
expect_file_not_matches "$ERR" '^x509ssh: ' "empty data packets: no error line"
hostile_diag
t_done
