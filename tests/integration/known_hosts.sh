#!/bin/bash
# known_hosts decisions: accept-new, yes, no, unknown hosts in BatchMode, changed host keys.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd

ed_b64=$(cut -d' ' -f2 "$T_DIR/keys/host_ed25519.pub")
want_line="[127.0.0.1]:$SSHD_PORT ssh-ed25519 $ed_b64"

# ---- accept-new on an empty (missing) file writes the key, then "yes" accepts it.
kh="$T_DIR/kh_accept"
KNOWN_HOSTS=$kh run_client -o StrictHostKeyChecking=accept-new -o HostKeyAlgorithms=ssh-ed25519 -- echo first
expect_exit 0 "accept-new: first connection"
expect_stdout_eq first "accept-new: output"
if [[ -f "$kh" ]]; then
	pass "accept-new: known_hosts created"
	expect_eq "accept-new: one line written" 1 "$(grep -cv '^[[:space:]]*\(#\|$\)' "$kh" || true)"
	# The written line names the host as [host]:port and carries the server's key.
	expect_eq "accept-new: the line is host, type and key" "$want_line" \
		"$(grep -v '^#' "$kh" | awk '{print $1, $2, $3}' | head -n 1)"
else
	fail "accept-new: $kh was not created"
fi
KNOWN_HOSTS=$kh run_client -o StrictHostKeyChecking=yes -o HostKeyAlgorithms=ssh-ed25519 -- echo second
expect_exit 0 "yes: the key written by accept-new is accepted"
expect_stdout_eq second "yes: output"
KNOWN_HOSTS=$kh run_client -o StrictHostKeyChecking=accept-new -o HostKeyAlgorithms=ssh-ed25519 -- true
expect_exit 0 "accept-new: known key accepted again"
expect_eq "accept-new: no duplicate line" 1 "$(grep -cv '^[[:space:]]*\(#\|$\)' "$kh" || true)"

# ---- unknown host in BatchMode (StrictHostKeyChecking left at its default): 255, nothing written.
kh="$T_DIR/kh_empty"
: >"$kh"
KNOWN_HOSTS=$kh run_client -- echo never
expect_exit 255 "unknown host in BatchMode"
expect_eq "unknown host: command not run" "" "$(cat "$OUT")"
expect_error_line hostkey "unknown host in BatchMode"
expect_eq "unknown host: known_hosts untouched" 0 "$(stat -c %s "$kh")"

KNOWN_HOSTS=$kh run_client -o StrictHostKeyChecking=yes -- echo never
expect_exit 255 "unknown host with StrictHostKeyChecking=yes"
expect_error_line hostkey "unknown host, yes"

# ---- StrictHostKeyChecking=no connects to an unknown host.
KNOWN_HOSTS="$T_DIR/kh_no" run_client -o StrictHostKeyChecking=no -- echo connected
expect_exit 0 "StrictHostKeyChecking=no: unknown host"
expect_stdout_eq connected "StrictHostKeyChecking=no: output"

# ---- changed host key: a different ed25519 key is on file for this host.
ssh-keygen -q -t ed25519 -N '' -f "$T_DIR/keys/other" </dev/null
kh="$T_DIR/kh_changed"
printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1,2 "$T_DIR/keys/other.pub")" >"$kh"
before=$(sha256_of "$kh")

# Control: a good connection does show a userauth request in the server log (so the grep below
# would see one if the client went on to authenticate).
log_mark
run_client -o HostKeyAlgorithms=ssh-ed25519 -- true
expect_exit 0 "control connection"
log_since_mark >"$T_DIR/slice"
expect_file_matches "$T_DIR/slice" 'userauth-request' "control: sshd logs userauth requests"

for mode in yes accept-new; do
	log_mark
	KNOWN_HOSTS=$kh run_client -o StrictHostKeyChecking=$mode -o HostKeyAlgorithms=ssh-ed25519 -- echo never
	expect_exit 255 "changed host key ($mode)"
	expect_eq "changed host key ($mode): command not run" "" "$(cat "$OUT")"
	expect_error_line hostkey "changed host key ($mode)"
	log_since_mark >"$T_DIR/slice"
	expect_file_matches "$T_DIR/slice" "Connection from 127\.0\.0\.1" "changed host key ($mode): sshd saw the connection"
	expect_file_matches "$T_DIR/slice" "kex: host key algorithm: ssh-ed25519" "changed host key ($mode): kex reached the host key"
	expect_file_not_matches "$T_DIR/slice" "userauth-request|Accepted publickey|Postponed publickey" \
		"changed host key ($mode): no userauth request reached sshd"
	expect_eq "changed host key ($mode): known_hosts untouched" "$before" "$(sha256_of "$kh")"
done

t_done
