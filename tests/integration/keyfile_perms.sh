#!/bin/bash
# A private key file others may read is ignored, as OpenSSH does ("permissions 0644 are too
# open"); the same file with mode 0600 logs in.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd

cp "$CLIENT_KEY" "$T_DIR/open_key"
chmod 644 "$T_DIR/open_key"
# the standard command line without its -i (it names the test's good key)
client_argv -- echo x
argv=()
for ((i = 0; i < ${#CLIENT_ARGV[@]}; i++)); do
	if [[ "${CLIENT_ARGV[$i]}" == -i ]]; then
		((i++))
		continue
	fi
	argv+=("${CLIENT_ARGV[$i]}")
done
set +e
env -u SSH_AUTH_SOCK timeout 30 "${argv[0]}" -i "$T_DIR/open_key" -o LogLevel=INFO "${argv[@]:1}" \
	</dev/null >"$OUT" 2>"$ERR"
RC=$?
set -e
expect_exit 255 "key file mode 0644: refused"
if is_x509ssh; then
	expect_file_matches "$ERR" "permissions 0644 are too open" "key file mode 0644: the reason"
fi
expect_eq "key file mode 0644: nothing ran" "" "$(cat "$OUT")"

chmod 600 "$T_DIR/open_key"
set +e
env -u SSH_AUTH_SOCK timeout 30 "${argv[0]}" -i "$T_DIR/open_key" "${argv[@]:1}" </dev/null >"$OUT" 2>"$ERR"
RC=$?
set -e
expect_exit 0 "key file mode 0600: used"
expect_eq "key file mode 0600: output" "x" "$(cat "$OUT")"
t_done
