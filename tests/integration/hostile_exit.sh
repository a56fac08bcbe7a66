#!/bin/bash
# How a session ends, when the server ends it badly (tests/peers/hostile_server.py; the exec'd
# command "status N" makes it send exit-status N, "nostatus" none):
#   - an exit status outside 0..255 is never cut to 8 bits (256 and 0xFFFFFF00 would read as
#     success, 257 as 1, 0xFFFFFFFF as 255): exit 255 and
#     "x509ssh: channel: the server sent exit status N, outside 0..255" (N in decimal), the
#     data before it intact;
#   - a status in 0..255 is passed on as sent, without an error line (255 included: it is the
#     remote command's), the data intact;
#   - a CLOSE with neither exit-status nor exit-signal: exit 255 and
#     "x509ssh: channel: the server closed the session without an exit status";
#   - data for the channel after the server's CLOSE: exit 255 and a "channel:" line saying
#     "after closing the channel", the late data never reaches stdout;
#   - empty CHANNEL_DATA / EXTENDED_DATA are harmless (no sanitizer report), the exit status and
#     the data are intact.
. "$(dirname "$0")/../lib/common.sh"
require_client
CLIENT_TIMEOUT=20

start_hostile status normal
for st in 256 4294967040 257 4294967295; do
	run_client -- "status $st"
	expect_no_crash "exit-status $st"
	expect_exit 255 "exit-status $st"
	expect_stdout_eq "hello" "exit-status $st: the data before it is intact"
	expect_error_line channel "exit-status $st"
	expect_x509ssh_line "^x509ssh: channel: the server sent exit status $st, outside 0\.\.255$" \
		"exit-status $st: named in decimal"
done

for st in 0 1 3 42 254 255; do
	run_client -- "status $st"
	expect_exit "$st" "exit-status $st: passed on"
	expect_stdout_eq "hello" "exit-status $st: the data is intact"
	expect_file_not_matches "$ERR" '^x509ssh: ' "exit-status $st: no error line"
done

run_client -- nostatus
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
