#!/bin/bash
# Floods from the server (tests/peers/hostile_server.py), at the default log level (INFO):
#   - 20,000 SSH_MSG_DEBUG with always_display=1: shown only with -v, stderr stays a handful
#     of lines, the login goes on;
#   - 30 USERAUTH_BANNERs of 8 KiB: at most 64 KiB of banner text is shown, then one line
#     containing "suppressed"; the login goes on;
#   - want-reply GLOBAL_REQUESTs as fast as the server can while it never reads: the replies
#     the client queues are capped (4 MiB), then exit 255 with
#     "x509ssh: connect: the server stopped reading ..."; the client's peak RSS stays low.
. "$(dirname "$0")/../lib/common.sh"
require_client
CLIENT_TIMEOUT=30

# ---- SSH_MSG_DEBUG flood before USERAUTH_SUCCESS
start_hostile debug debug-flood
run_client -o LogLevel=INFO -- echo hi
expect_exit 0 "debug-flood: login goes on"
expect_stdout_eq "hello" "debug-flood: output"
expect_stderr_lines_at_most 5 "debug-flood: server debug messages are not shown at the default log level"
run_client -o LogLevel=VERBOSE -- echo hi
expect_exit 0 "debug-flood, -v: login goes on"
expect_stderr_matches 'debug message from the server' "debug-flood, -v: the server's debug messages are shown"

# ---- USERAUTH_BANNER flood
start_hostile banner banner-flood
run_client -o LogLevel=INFO -- echo hi
expect_exit 0 "banner-flood: login goes on"
expect_stdout_eq "hello" "banner-flood: output"
banner_bytes=$(grep -v 'suppressed' "$ERR" | tr -d '\r' | wc -c)
if ((banner_bytes <= 65536)); then
	pass "banner-flood: $banner_bytes bytes of banner text shown (at most 65536)"
else
	fail "banner-flood: $banner_bytes bytes of banner text shown, at most 65536 expected (30 x 8 KiB sent)"
fi
if ((banner_bytes >= 8192)); then
	pass "banner-flood: the banners are shown at all"
else
	fail "banner-flood: only $banner_bytes bytes of banner text shown"
fi
expect_eq "banner-flood: one line says the rest was suppressed" 1 "$(grep -c 'suppressed' "$ERR" || true)"
expect_file_not_matches "$ERR" '^x509ssh: (connect|kex|hostkey|x509|auth|pkcs11|config|channel): ' \
	"banner-flood: no error line"

# ---- global requests while the server never reads
start_hostile normal normal
run_client_rss -- echo hi
expect_exit 0 "normal login (baseline for the memory check)"
base_kb=$RSS_KB

CLIENT_TIMEOUT=20
start_hostile global global-flood
run_client_rss -o LogLevel=INFO -- echo hi
expect_no_crash "global-flood"
expect_exit 255 "global-flood"
expect_error_line connect "global-flood"
expect_x509ssh_line '^x509ssh: connect: the server stopped reading' "global-flood: says the server stopped reading"
# the queue is capped at 4 MiB of wire bytes: allow that twice over the normal run's peak
# (40 MB with a release build; the baseline keeps it meaningful under ASan too)
limit_kb=$((base_kb + 32 * 1024))
if ((limit_kb < 40 * 1024)); then
	limit_kb=$((40 * 1024))
fi
if ((RSS_KB > 0 && RSS_KB < limit_kb)); then
	pass "global-flood: peak RSS ${RSS_KB} KiB (normal run ${base_kb} KiB, limit ${limit_kb} KiB)"
else
	fail "global-flood: peak RSS ${RSS_KB} KiB, limit ${limit_kb} KiB (normal run ${base_kb} KiB)"
fi
hostile_diag
t_done
