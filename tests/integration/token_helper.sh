#!/bin/bash
# The token helper: PKCS#11 modules run in a process of their own, not in x509ssh. With the
# test-only p11mock module (built next to the client) against a throwaway sshd that accepts the
# mock's RSA key: a login signs through the helper, and the module was loaded by a child of
# x509ssh (P11MOCK_WHERE names the loading process's parent); a module that crashes in C_Sign
# (P11MOCK_FLAGS=crash-sign) gives one error line, "x509ssh: pkcs11: the token module crashed
# (signal SEGV)", exit status 255 and no crash of x509ssh. With PKCS11Helper=no the module is
# in x509ssh itself, and the same crash kills it (what the helper prevents).
. "$(dirname "$0")/../lib/common.sh"
require_client
MOCK="$X509SSH_BUILD/p11mock.so"
[[ -r "$MOCK" ]] || die "p11mock.so not built in $X509SSH_BUILD"
make_keys
KEY="$T_DIR/mock_key.pem"
install -m 600 "$X509SSH_SRC/tests/unit/data/key_rsa_pkcs8.pem" "$KEY"
ssh-keygen -y -f "$KEY" >"$T_DIR/authorized_keys"
start_sshd
URI="pkcs11:token=mock%20token?module-path=$MOCK&pin-value=1234"
WHERE="$T_DIR/where"
MOCKENV=(P11MOCK_KEY="$KEY" P11MOCK_WHERE="$WHERE" HOME="$T_DIR")
cd "$T_DIR" # a core file would land here

# login: the signature comes from the helper; the module was loaded by x509ssh's child
rm -f "$WHERE"
CLIENT_ENV=("${MOCKENV[@]}")
run_client_bare -I "$URI" -l "$(id -un)" -- 'echo helper ok'
expect_exit 0 "helper: exit status"
expect_stdout_eq "helper ok" "helper: output"
expect_file_matches "$WHERE" "^pid [0-9]+ parent-comm x509ssh\$" "helper: the module was loaded by a child of x509ssh"

# a module that prints while logging in and signing (P11MOCK_NOISE: C_Login and C_Sign write
# a line on stderr and one on stdout): none of it reaches our stderr or the session's stdout;
# with -v the lines are debug lines
CLIENT_ENV=("${MOCKENV[@]}" P11MOCK_NOISE=1)
run_client_bare -I "$URI" -l "$(id -un)" -- 'echo quiet ok'
expect_exit 0 "noisy login: exit status"
expect_stdout_eq "quiet ok" "noisy login: the session's output alone"
expect_eq "noisy login: nothing on stderr" "" "$(cat "$ERR")"
CLIENT_ENV=("${MOCKENV[@]}" P11MOCK_NOISE=1)
run_client_bare -v -I "$URI" -l "$(id -un)" -- 'echo quiet ok'
expect_exit 0 "noisy login, -v: exit status"
expect_stdout_eq "quiet ok" "noisy login, -v: the session's output alone"
for l in "C_Login on stderr" "C_Login on stdout" "C_Sign on stderr" "C_Sign on stdout"; do
	expect_stderr_matches "^debug1: pkcs11: module said: mock-noise: $l\$" "noisy login, -v: '$l' as a debug line"
done
expect_eq "noisy login, -v: no raw module line" "0" "$(grep -c '^mock-noise' "$ERR" || true)"

# the module crashes in C_Sign: one clear error, x509ssh itself goes on to exit 255
CLIENT_ENV=("${MOCKENV[@]}" P11MOCK_FLAGS=crash-sign)
run_client_bare -I "$URI" -l "$(id -un)" -- 'echo not reached'
expect_exit 255 "crash in the helper: exit status"
expect_no_crash "crash in the helper"
expect_error_line pkcs11 "crash in the helper"
expect_stderr_matches "^x509ssh: pkcs11: the token module crashed \\(signal SEGV\\)\$" "crash in the helper: the error line"
expect_eq "crash in the helper: nothing on stdout" "" "$(cat "$OUT")"
expect_eq "crash in the helper: no core file" "" "$(find "$T_DIR" -maxdepth 1 -name 'core*' -print)"

# in-process (PKCS11Helper no): the module is in x509ssh, whose parent is timeout(1)
rm -f "$WHERE"
CLIENT_ENV=("${MOCKENV[@]}")
run_client_bare -o PKCS11Helper=no -I "$URI" -l "$(id -un)" -- 'echo in-process ok'
expect_exit 0 "in-process: exit status"
expect_stdout_eq "in-process ok" "in-process: output"
expect_file_not_matches "$WHERE" "parent-comm x509ssh\$" "in-process: the module was loaded by x509ssh itself"

# ... and the same crash takes x509ssh down: no error line of ours
CLIENT_ENV=("${MOCKENV[@]}" P11MOCK_FLAGS=crash-sign ASAN_OPTIONS=handle_segv=0)
run_client_bare -o PKCS11Helper=no -I "$URI" -l "$(id -un)" -- 'echo not reached'
expect_ne "in-process crash: not x509ssh's own failure" 255 "$RC"
expect_ne "in-process crash: not a success" 0 "$RC"
expect_stderr_not_matches "token module crashed" "in-process crash: no helper error line"
t_done
