#!/bin/bash
# AddKeysToAgent against OpenSSH's ssh-agent (started here) and Debian's sshd: an encrypted key
# file (FILE.pub beside it) is decrypted once the server accepts it, with the passphrase from an
# askpass that fails the test on a second call, and given to the agent; a second login with the
# key file gone signs through the agent; `ssh-add -l` lists it; a lifetime (the agent drops the
# key: 2 s, then we wait) and confirm (the agent's askpass declines: the key is refused) are
# passed as constraints; "no" and the default add nothing; a bad value is a config error. An
# unencrypted key file is added as well once it signed (as OpenSSH), a key the server refused is
# not.
. "$(dirname "$0")/../lib/common.sh"
require_client
make_keys
command -v ssh-agent >/dev/null && command -v ssh-add >/dev/null || die "ssh-agent/ssh-add missing"

K=$T_DIR/ak
mkdir -p "$K"
# encrypted PKCS#8 files (what x509ssh decrypts), each with its .pub
openssl genpkey -algorithm ED25519 -out "$K/ed25519.plain" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$K/ecdsa.plain" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/rsa.plain" 2>/dev/null
for t in ed25519 ecdsa rsa; do
	openssl pkcs8 -topk8 -in "$K/$t.plain" -out "$K/$t" -passout pass:secret -v2 aes-256-cbc
	chmod 600 "$K/$t" "$K/$t.plain"
	"$PYTHON" -c 'import sys
from cryptography.hazmat.primitives import serialization as s
k = s.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
print(k.public_key().public_bytes(s.Encoding.OpenSSH, s.PublicFormat.OpenSSH).decode())' "$K/$t.plain" >"$K/$t.pub"
	cat "$K/$t.pub" >>"$T_DIR/authorized_keys"
done
fp_re() { ssh-keygen -lf "$1" | cut -d' ' -f2 | sed 's/[+.]/\\&/g'; }

# the passphrase once: a second call is recorded and fails the test
cat >"$T_DIR/askpass" <<EOS
#!/bin/sh
echo x >>"$T_DIR/askpass.calls"
if [ "\$(wc -l <"$T_DIR/askpass.calls")" -gt 1 ]; then exit 1; fi
echo secret
EOS
chmod 755 "$T_DIR/askpass"
# the agent's own askpass (confirmations): says no
printf '#!/bin/sh\nexit 1\n' >"$T_DIR/deny"
chmod 755 "$T_DIR/deny"
AS=$T_DIR/agent.sock
env SSH_ASKPASS="$T_DIR/deny" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 ssh-agent -D -a "$AS" >/dev/null 2>&1 &
t_track_pid $!
for ((i = 0; i < 200; i++)); do [[ -S "$AS" ]] && break; sleep 0.05; done
[[ -S "$AS" ]] || die "ssh-agent did not start"
start_sshd

calls() { if [[ -f "$T_DIR/askpass.calls" ]]; then wc -l <"$T_DIR/askpass.calls"; else echo 0; fi; }
login() { # login KEYFILE [option ...]
	local k=$1
	shift
	CLIENT_ENV=(SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0)
	run_client_bare -o BatchMode=no -l "$(id -un)" -i "$k" -o "IdentityAgent=$AS" "$@" -- echo add-ok
}
listed() { SSH_AUTH_SOCK=$AS ssh-add -l 2>/dev/null || true; }

for t in ed25519 ecdsa rsa; do
	rm -f "$T_DIR/askpass.calls"
	SSH_AUTH_SOCK=$AS ssh-add -q -D 2>/dev/null || true
	login "$K/$t" -o AddKeysToAgent=yes -v
	expect_exit 0 "$t: the first login (passphrase by askpass)"
	expect_eq "$t: askpass called once" 1 "$(calls)"
	expect_eq "$t: ssh-add -l lists the added key" 1 "$(listed | grep -Ec "$(fp_re "$K/$t.pub")" || true)"
	expect_eq "$t: with the file as its comment" 1 "$(listed | grep -c " $K/$t " || true)"
	# the key file gone (its .pub kept): the agent signs, no passphrase asked
	mv "$K/$t" "$K/$t.away"
	log_mark
	login "$K/$t"
	expect_exit 0 "$t: the second login without the key file"
	expect_eq "$t: askpass not called again" 1 "$(calls)"
	log_since_mark >"$T_DIR/slice"
	expect_file_matches "$T_DIR/slice" "Accepted publickey .*$(fp_re "$K/$t.pub")" "$t: sshd accepted the agent's key"
	mv "$K/$t.away" "$K/$t"
done

# an unencrypted key file is added too once it signed for a login (as OpenSSH); a key the server
# refuses is not: it never signed
cp "$K/ecdsa.pub" "$K/ecdsa.plain.pub"
openssl genpkey -algorithm ED25519 -out "$K/stray" 2>/dev/null
chmod 600 "$K/stray"
"$PYTHON" -c 'import sys
from cryptography.hazmat.primitives import serialization as s
k = s.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
print(k.public_key().public_bytes(s.Encoding.OpenSSH, s.PublicFormat.OpenSSH).decode())' "$K/stray" >"$K/stray.pub"
rm -f "$T_DIR/askpass.calls"
SSH_AUTH_SOCK=$AS ssh-add -q -D 2>/dev/null || true
login "$K/stray" -i "$K/ecdsa.plain" -o AddKeysToAgent=yes
expect_exit 0 "unencrypted: the login (the refused key first)"
expect_eq "unencrypted: no passphrase asked" 0 "$(calls)"
expect_eq "unencrypted: ssh-add -l lists the key that signed" 1 "$(listed | grep -Ec "$(fp_re "$K/ecdsa.pub")" || true)"
expect_eq "unencrypted: with the file as its comment" 1 "$(listed | grep -c " $K/ecdsa.plain " || true)"
expect_eq "unencrypted: the refused key is not added" 0 "$(listed | grep -Ec "$(fp_re "$K/stray.pub")" || true)"
mv "$K/ecdsa.plain" "$K/ecdsa.plain.away"
log_mark
login "$K/ecdsa.plain"
expect_exit 0 "unencrypted: the second login without the key file"
log_since_mark >"$T_DIR/slice"
expect_file_matches "$T_DIR/slice" "Accepted publickey .*$(fp_re "$K/ecdsa.pub")" "unencrypted: sshd accepted the agent's key"
mv "$K/ecdsa.plain.away" "$K/ecdsa.plain"
SSH_AUTH_SOCK=$AS ssh-add -q -D 2>/dev/null || true
login "$K/ecdsa.plain" -o AddKeysToAgent=no
expect_exit 0 "unencrypted, AddKeysToAgent no: the login"
expect_eq "unencrypted, AddKeysToAgent no: the agent holds nothing" "" "$(listed | grep -v 'no identities' || true)"

# no, and the default: nothing is added
for v in no default; do
	rm -f "$T_DIR/askpass.calls"
	SSH_AUTH_SOCK=$AS ssh-add -q -D 2>/dev/null || true
	if [[ $v == no ]]; then login "$K/ed25519" -o AddKeysToAgent=no; else login "$K/ed25519"; fi
	expect_exit 0 "AddKeysToAgent $v: the login"
	expect_eq "AddKeysToAgent $v: the agent holds nothing" "" "$(listed | grep -v 'no identities' || true)"
done

# a lifetime: the agent drops the key after 2 s (its behaviour, not a timing of ours)
rm -f "$T_DIR/askpass.calls"
SSH_AUTH_SOCK=$AS ssh-add -q -D 2>/dev/null || true
login "$K/ed25519" -o "AddKeysToAgent=yes 2s"
expect_exit 0 "lifetime: the login"
expect_eq "lifetime: listed at first" 1 "$(listed | grep -Ec "$(fp_re "$K/ed25519.pub")" || true)"
for ((i = 0; i < 100; i++)); do [[ -z "$(listed | grep -E "$(fp_re "$K/ed25519.pub")" || true)" ]] && break; sleep 0.1; done
expect_eq "lifetime: gone once it expired" 0 "$(listed | grep -Ec "$(fp_re "$K/ed25519.pub")" || true)"

# confirm: each use asks the agent's askpass, which declines: the agent refuses to sign
rm -f "$T_DIR/askpass.calls"
SSH_AUTH_SOCK=$AS ssh-add -q -D 2>/dev/null || true
login "$K/ed25519" -o "AddKeysToAgent=confirm 10m"
expect_exit 0 "confirm: the login that adds it"
expect_eq "confirm: listed" 1 "$(listed | grep -Ec "$(fp_re "$K/ed25519.pub")" || true)"
mv "$K/ed25519" "$K/ed25519.away"
login "$K/ed25519" -o LogLevel=INFO
expect_exit 255 "confirm: declined by the agent's askpass, nothing else to try"
expect_file_matches "$ERR" "agent refused operation" "confirm: the agent refused"
mv "$K/ed25519.away" "$K/ed25519"

# ask: the question goes to the askpass (its second call), which declines: not added
rm -f "$T_DIR/askpass.calls"
SSH_AUTH_SOCK=$AS ssh-add -q -D 2>/dev/null || true
login "$K/ed25519" -o AddKeysToAgent=ask -v
expect_exit 0 "ask: the login"
expect_eq "ask: the askpass said no to the question (1 call for the passphrase, 1 refused question)" 2 "$(calls)"
expect_eq "ask: declined: not added" 0 "$(listed | grep -Ec "$(fp_re "$K/ed25519.pub")" || true)"

# ask, answered yes (an unencrypted file: the question is the only prompt): added
cat >"$T_DIR/askpass-yes" <<EOS
#!/bin/sh
echo "\$1" >>"$T_DIR/askpass-yes.calls"
echo yes
EOS
chmod 755 "$T_DIR/askpass-yes"
SSH_AUTH_SOCK=$AS ssh-add -q -D 2>/dev/null || true
CLIENT_ENV=(SSH_ASKPASS="$T_DIR/askpass-yes" SSH_ASKPASS_REQUIRE=force DISPLAY=:0)
run_client_bare -o BatchMode=no -l "$(id -un)" -i "$K/ecdsa.plain" -o "IdentityAgent=$AS" \
	-o AddKeysToAgent=ask -- echo add-ok
expect_exit 0 "ask, yes: the login"
expect_eq "ask, yes: asked once" 1 "$(wc -l <"$T_DIR/askpass-yes.calls")"
expect_file_matches "$T_DIR/askpass-yes.calls" "^Add key $K/ecdsa\.plain to the agent\? \(yes/no\) ?\$" \
	"ask, yes: the question names the key file"
expect_eq "ask, yes: added" 1 "$(listed | grep -Ec "$(fp_re "$K/ecdsa.pub")" || true)"

# the value is checked, and -G prints it
run_cmd "$X509SSH" -G -F /dev/null -o "AddKeysToAgent=confirm 1h30m" h.example
expect_file_matches "$OUT" '^addkeystoagent confirm 1h30m$' "-G prints addkeystoagent"
run_cmd "$X509SSH" -G -F /dev/null -o AddKeysToAgent=maybe h.example
expect_exit 255 "a bad value"
expect_error_line config "bad AddKeysToAgent value 'maybe'"

t_done
