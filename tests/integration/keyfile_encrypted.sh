#!/bin/bash
# Encrypted key files: with FILE.pub beside it the key is offered first and its passphrase asked
# only once the server accepts it (as OpenSSH does), so a key the server does not know costs no
# prompt; without FILE.pub the passphrase is asked before the key is offered; BatchMode never
# asks; a wrong passphrase is refused; three wrong passphrases or an empty one skip the key and
# the next identity is tried, as OpenSSH does.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd "PasswordAuthentication no" "KbdInteractiveAuthentication no"

K="$T_DIR/enc"
make_encrypted_key "$K"
ASKLOG="$T_DIR/asklog"
printf '#!/bin/sh\necho "$1" >>"%s"\necho "${ASK_ANSWER:-sekrit}"\n' "$ASKLOG" >"$K/ask.sh"
chmod +x "$K/ask.sh"
ask_env() { CLIENT_ENV=(SSH_ASKPASS="$K/ask.sh" SSH_ASKPASS_REQUIRE=force "ASK_ANSWER=${1:-sekrit}"); }
calls() { if [[ -f "$ASKLOG" ]]; then wc -l <"$ASKLOG"; else echo 0; fi; }

# the server does not know the key: refused, and no passphrase was asked
rm -f "$ASKLOG"
ask_env
run_client_bare -o BatchMode=no -i "$K/key" -l "$(id -un)" -- echo in
expect_exit 255 "unknown encrypted key with .pub: refused"
expect_eq "unknown encrypted key with .pub: no passphrase asked" "0" "$(calls)"

# the server knows it: one passphrase prompt, after the server accepted the key
cat "$K/key.pub" >>"$T_DIR/authorized_keys"
rm -f "$ASKLOG"
ask_env
run_client_bare -o BatchMode=no -i "$K/key" -l "$(id -un)" -- echo in
expect_exit 0 "known encrypted key with .pub: logged in"
expect_eq "known encrypted key with .pub: output" "in" "$(cat "$OUT")"
expect_eq "known encrypted key with .pub: one passphrase prompt" "1" "$(calls)"
expect_file_matches "$ASKLOG" "passphrase for key '$K/key'" "the prompt names the key"

# without FILE.pub: asked first, then offered
rm -f "$ASKLOG"
ask_env
run_client_bare -o BatchMode=no -i "$K/nopub" -l "$(id -un)" -- echo in
expect_exit 0 "encrypted key without .pub: logged in"
expect_eq "encrypted key without .pub: one passphrase prompt" "1" "$(calls)"

# a wrong passphrase: refused after the prompts, no login
rm -f "$ASKLOG"
ask_env wrong
run_client_bare -o BatchMode=no -i "$K/key" -l "$(id -un)" -- echo in
expect_exit 255 "wrong passphrase: refused"
expect_eq "wrong passphrase: nothing ran" "" "$(cat "$OUT")"
expect_error_line auth "wrong passphrase"

# a wrong passphrase three times, then the next identity (as OpenSSH): with FILE.pub (asked once
# the server accepted the key) and without (asked before it is offered); the working key is the
# test's plain one, listed second
for k in key nopub; do
	rm -f "$ASKLOG"
	ask_env wrong
	run_client_bare -o BatchMode=no -i "$K/$k" -i "$CLIENT_KEY" -l "$(id -un)" -- echo next
	expect_exit 0 "$k: three wrong passphrases, then the next key: logged in"
	expect_eq "$k: three wrong passphrases: the next key's output" "next" "$(cat "$OUT")"
	expect_eq "$k: the passphrase asked three times" "3" "$(calls)"
done

# an empty passphrase skips the key at once, without another try
for k in key nopub; do
	rm -f "$ASKLOG"
	CLIENT_ENV=(SSH_ASKPASS="$K/ask.sh" SSH_ASKPASS_REQUIRE=force ASK_ANSWER=)
	run_client_bare -o BatchMode=no -i "$K/$k" -i "$CLIENT_KEY" -l "$(id -un)" -- echo next
	expect_exit 0 "$k: an empty passphrase, then the next key: logged in"
	expect_eq "$k: an empty passphrase: asked once" "1" "$(calls)"
done

# BatchMode: never asked
rm -f "$ASKLOG"
ask_env
run_client_bare -i "$K/key" -l "$(id -un)" -- echo in
expect_exit 255 "BatchMode with an encrypted key: refused"
expect_eq "BatchMode with an encrypted key: no prompt" "0" "$(calls)"
expect_error_line auth "BatchMode with an encrypted key"
t_done
