#!/bin/bash
# Quiet modules and module selection, with the test-only p11mock module (built next to the
# client) and no server (a closed port: the keys are loaded before connecting). A module that
# prints on stderr while it is loaded (P11MOCK_NOISE: three lines from C_Initialize) does not
# reach the user's stderr; with -v its lines are debug lines. As root: a module registered with
# p11-kit in /etc/pkcs11/modules/ is found by a URI without module-path, and
# `disable-in: x509ssh` keeps it out (the file is removed again by the trap).
. "$(dirname "$0")/../lib/common.sh"
require_client
MOCK="$X509SSH_BUILD/p11mock.so"
[[ -r "$MOCK" ]] || die "p11mock.so not built in $X509SSH_BUILD"
CLIENT_PORT=$(free_port)
URI="pkcs11:token=mock%20token?module-path=$MOCK"
MOCKENV=(P11MOCK_NOISE=1 P11MOCK_KEY="$X509SSH_SRC/tests/unit/data/key_rsa_pkcs8.pem" HOME="$T_DIR")

CLIENT_ENV=("${MOCKENV[@]}")
run_client_bare -I "$URI" -- true
expect_exit 255 "noisy module: exit status (closed port)"
expect_error_line connect "noisy module"
expect_stderr_not_matches "mock-noise" "noisy module: nothing of it on stderr"

CLIENT_ENV=("${MOCKENV[@]}")
run_client_bare -o LogLevel=DEBUG1 -I "$URI" -- true
expect_stderr_matches "^debug1: pkcs11: module said: mock-noise: ERROR:tcti:connect failed\$" "-v: the module's first line as a debug line"
expect_stderr_matches "^debug1: pkcs11: module said: mock-noise: \\?\\[31mcolour\\?\\[0m\$" "-v: control bytes replaced"
expect_eq "-v: no raw module line" "0" "$(grep -c '^mock-noise' "$ERR" || true)"

# ---- p11-kit's disable-in (root only: p11-kit ignores user module files for root) ----
if [[ "$(id -u)" == 0 ]]; then
	MODFILE=/etc/pkcs11/modules/x509ssh-test-mock.module
	[[ -e "$MODFILE" ]] && die "$MODFILE exists already"
	mkdir -p /etc/pkcs11/modules
	trap 'rm -f "$MODFILE"; t_cleanup' EXIT
	printf 'module: %s\n' "$MOCK" >"$MODFILE"
	CLIENT_ENV=("${MOCKENV[@]}")
	run_client_bare -I "pkcs11:token=mock%20token" -- true
	expect_error_line connect "registered module: found without module-path"
	printf 'module: %s\ndisable-in: x509ssh x509ssh-token\n' "$MOCK" >"$MODFILE"
	CLIENT_ENV=("${MOCKENV[@]}")
	run_client_bare -I "pkcs11:token=mock%20token" -- true
	expect_exit 255 "disable-in: exit status"
	expect_error_line pkcs11 "disable-in"
	expect_stderr_matches "no token matches pkcs11:token=mock%20token" "disable-in: the module is not loaded"
	rm -f "$MODFILE"
fi
t_done
