#!/bin/bash
# HashKnownHosts: with "yes" the entry that accept-new writes is OpenSSH's hashed form
# |1|base64(salt)|base64(HMAC-SHA1(salt, "[127.0.0.1]:port")), which ssh-keygen -F finds and
# OpenSSH's ssh accepts; with "no" (the default) it stays plain. Hashed entries written by
# ssh-keygen -H are read.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd

name="[127.0.0.1]:$SSHD_PORT"
ed_b64=$(cut -d' ' -f2 "$T_DIR/keys/host_ed25519.pub")

# lines of a known_hosts file that are not comments or empty
entries() {
	grep -cv '^[[:space:]]*\(#\|$\)' "$1" || true
}

# ---- HashKnownHosts=yes on the command line: a hashed line, nothing in the clear.
kh="$T_DIR/kh_hashed"
KNOWN_HOSTS=$kh run_client -o StrictHostKeyChecking=accept-new -o HashKnownHosts=yes \
	-o HostKeyAlgorithms=ssh-ed25519 -- echo first
expect_exit 0 "hashed: accept-new connects"
expect_stdout_eq first "hashed: output"
expect_eq "hashed: one line written" 1 "$(entries "$kh")"
line=$(grep -v '^#' "$kh" | head -n 1)
expect_file_matches "$kh" '^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}= ssh-ed25519 ' \
	"hashed: |1|salt|hash ssh-ed25519 key"
expect_file_not_matches "$kh" '127\.0\.0\.1' "hashed: the host is not in the clear"
expect_eq "hashed: the key is the server's" "$ed_b64" "$(awk '{print $3}' <<<"$line")"

# the hash is HMAC-SHA1 keyed with the salt over "[127.0.0.1]:port" (computed independently)
want=$("$PYTHON" - "$(awk '{print $1}' <<<"$line")" "$name" <<'EOF'
import base64, hmac, hashlib, sys
_, _, salt, _ = sys.argv[1].split("|")
mac = hmac.new(base64.b64decode(salt), sys.argv[2].encode(), hashlib.sha1).digest()
print("|1|%s|%s" % (salt, base64.b64encode(mac).decode()))
EOF
)
expect_eq "hashed: HMAC-SHA1(salt, host)" "$want" "$(awk '{print $1}' <<<"$line")"

# ssh-keygen finds it under the host's name, not under another port
if ssh-keygen -F "$name" -f "$kh" >"$T_DIR/found" 2>&1 && grep -q "ssh-ed25519 $ed_b64" "$T_DIR/found"; then
	pass "hashed: ssh-keygen -F finds the entry"
else
	fail "hashed: ssh-keygen -F $name did not find the entry: $(cat "$T_DIR/found")"
fi
if ssh-keygen -F "[127.0.0.1]:1" -f "$kh" >/dev/null 2>&1; then
	fail "hashed: ssh-keygen -F found the entry under another port"
else
	pass "hashed: not found under another port"
fi

# we read it back
before=$(sha256_of "$kh")
KNOWN_HOSTS=$kh run_client -o StrictHostKeyChecking=yes -o HostKeyAlgorithms=ssh-ed25519 -- echo second
expect_exit 0 "hashed: StrictHostKeyChecking=yes accepts our hashed entry"
expect_stdout_eq second "hashed: second output"
expect_eq "hashed: nothing added" "$before" "$(sha256_of "$kh")"

# OpenSSH's ssh accepts it as it is
set +e
env -u SSH_AUTH_SOCK timeout -k 5 "$CLIENT_TIMEOUT" /usr/bin/ssh -F /dev/null \
	-o UserKnownHostsFile="$kh" -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
	-o UpdateHostKeys=no -o BatchMode=yes -o IdentitiesOnly=yes -o HostKeyAlgorithms=ssh-ed25519 \
	-i "$CLIENT_KEY" -l "$(id -un)" -p "$SSHD_PORT" 127.0.0.1 echo openssh </dev/null \
	>"$T_DIR/ossh.out" 2>"$T_DIR/ossh.err"
rc=$?
set -e
expect_eq "hashed: OpenSSH ssh accepts our entry (exit)" 0 "$rc"
expect_eq "hashed: OpenSSH ssh output" openssh "$(cat "$T_DIR/ossh.out")"
expect_eq "hashed: OpenSSH added nothing" "$before" "$(sha256_of "$kh")"

# a second hashed entry uses a fresh salt
kh2="$T_DIR/kh_hashed2"
KNOWN_HOSTS=$kh2 run_client -o StrictHostKeyChecking=accept-new -o HashKnownHosts=yes \
	-o HostKeyAlgorithms=ssh-ed25519 -- true
expect_exit 0 "hashed again: connects"
expect_ne "hashed again: another salt" "$(awk '{print $1}' <<<"$line")" \
	"$(grep -v '^#' "$kh2" | awk '{print $1}' | head -n 1)"

# ---- HashKnownHosts from a config file (Host block), as Debian's ssh_config sets it
kh="$T_DIR/kh_cfg"
cat >"$T_DIR/hash.conf" <<EOF
Host 127.0.0.1
    HashKnownHosts yes
EOF
run_cmd env -u SSH_AUTH_SOCK "$X509SSH" -F "$T_DIR/hash.conf" -o "UserKnownHostsFile=$kh" \
	-o GlobalKnownHostsFile=/dev/null -o BatchMode=yes -o IdentitiesOnly=yes \
	-o StrictHostKeyChecking=accept-new -o HostKeyAlgorithms=ssh-ed25519 -i "$CLIENT_KEY" \
	-l "$(id -un)" -p "$SSHD_PORT" 127.0.0.1 echo cfg
expect_exit 0 "config file: accept-new connects"
expect_stdout_eq cfg "config file: output"
expect_file_matches "$kh" '^\|1\|' "config file: HashKnownHosts yes there hashes the entry"

# ---- HashKnownHosts=no (the default): plain name
kh="$T_DIR/kh_plain"
KNOWN_HOSTS=$kh run_client -o StrictHostKeyChecking=accept-new -o HostKeyAlgorithms=ssh-ed25519 -- true
expect_exit 0 "plain: accept-new connects"
expect_eq "plain: the line names the host" "$name ssh-ed25519 $ed_b64" \
	"$(grep -v '^#' "$kh" | awk '{print $1, $2, $3}' | head -n 1)"

# ---- entries hashed by ssh-keygen -H are read
kh="$T_DIR/kh_keygen"
trust_host_keys "$kh"
ssh-keygen -q -H -f "$kh" >/dev/null 2>&1
rm -f "$kh.old"
expect_file_not_matches "$kh" '127\.0\.0\.1' "ssh-keygen -H: hashed every line"
KNOWN_HOSTS=$kh run_client -o StrictHostKeyChecking=yes -o HostKeyAlgorithms=ecdsa-sha2-nistp256 -- echo keygen
expect_exit 0 "ssh-keygen -H: our client reads the hashed entries"
expect_stdout_eq keygen "ssh-keygen -H: output"

t_done
