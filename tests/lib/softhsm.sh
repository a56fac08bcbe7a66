#!/usr/bin/env bash
# softhsm.sh: SoftHSM2 tokens for the PKCS#11 tests, in a private directory (nothing is written
# outside it, never /etc). Run it to provision the standard tokens; source it for the functions.
#
#   bash softhsm.sh DIR        provision the standard tokens below (DIR is created)
#   . softhsm.sh               in a test script that sources common.sh, then:
#   softhsm_use [DIR]          provision into DIR (default $T_DIR/p11; log DIR.log; die on
#                              failure) and load DIR/env: exports SOFTHSM2_CONF, sets the P11_*
#                              variables and P (DIR), M (the module), PIN (the user PIN) and TOK
#                              (pkcs11:token=x509ssh-test)
#
# The building blocks (each returns non-zero on the first failing step):
#   softhsm_conf DIR                      a configuration with its tokens in DIR/tokens
#   softhsm_token CONF LABEL              a new token (PIN 123456, SO PIN 12345678)
#   softhsm_key CONF TOKEN ID LABEL [--import KEY.pem | --generate TYPE] [--always-auth]
#               [--pub OUT.pem] [--cert CERT.pem]
#       one key object pair: a software key imported, or one generated on the token (TYPE as
#       pkcs11-tool's --key-type: rsa:2048, EC:edwards25519; with --always-auth, and
#       CKA_ALWAYS_AUTHENTICATE); --pub writes the token's public key as PEM; --cert stores a
#       certificate object with the same id and label (with neither --import nor --generate: a
#       certificate alone, e.g. a CA's)
#   softhsm_issue DIR NAME SUBJECT EXT KEY.pem [PUB.pem]
#       DIR/NAME.pem issued by the intermediate (DIR/inter.pem, DIR/work/inter.key) with the
#       extensions EXT of DIR/work/ext.cnf; the request is signed by KEY.pem, the certificate
#       carries PUB.pem when given (a key made on a token), else KEY.pem's public key
#
# The standard tokens, with PIN 123456 and SO PIN 12345678:
#   token "x509ssh-test" (config DIR/softhsm2.conf, tokens in DIR/tokens):
#     id 01 "rsa"    RSA-2048 key pair + certificate (issued by the intermediate)
#     id 02 "ec"     P-256 key pair + certificate (issued by the intermediate)
#     id 03 "aa"     RSA-2048 key pair generated on the token with CKA_ALWAYS_AUTHENTICATE, no cert
#     id 04 "ed"     Ed25519 key pair generated on the token (when the module can), no cert
#     id 10 "inter", id 11 "root": the issuing CA certificates
#   token "x509ssh-two" (same config): id 02 "ec", the P-256 key again, without certificate
#   token "x509ssh-bad" (config DIR/bad/softhsm2.conf): id 01 "bad", an RSA key pair whose
#     certificate object holds the certificate of another key (must be refused)
#   token "x509ssh-users" (config DIR/users/softhsm2.conf, apart so the tokens above keep their
#     key counts), every certificate issued by the intermediate, EKU clientAuth+secureShellClient:
#     id 01 "aacert" RSA-2048 generated on the token with CKA_ALWAYS_AUTHENTICATE, certificate
#                    CN "aa user" (no subjectAltName)
#     id 02 "upn"    P-256, certificate CN "UPN Holder" with subjectAltName otherName UPN
#                    (1.3.6.1.4.1.311.20.2.3) "upnuser@example.com" and the same rfc822Name
#     id 03 "bob"    P-256, certificate CN "bob" (another user)
#     id 10 "inter", id 11 "root"
# Files: DIR/{root,inter,rsa,ec,aacert,upn,bob}.pem (certificates), DIR/{rsa,ec,aa,ed,aacert,upn,
# bob}.pub.pem (public keys), DIR/{rsa,ec,upn,bob}.key (PKCS#8), DIR/pin (the PIN and a newline),
# DIR/env (the variables below). Prints the variables as shell assignments:
#   SOFTHSM2_CONF, SOFTHSM_MODULE, P11_PIN, P11_DIR, P11_HAVE_ED25519, P11_USERS_CONF

SOFTHSM_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/softhsm.sh
SOFTHSM_MODULE=${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
SOFTHSM_PIN=123456
SOFTHSM_SOPIN=12345678

softhsm_ossl() { openssl "$@" 2>/dev/null; }

softhsm_conf() { # softhsm_conf DIR
	mkdir -p "$1/tokens" || return
	cat >"$1/softhsm2.conf" <<CONF
directories.tokendir = $1/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
}

softhsm_token() { # softhsm_token CONF LABEL
	SOFTHSM2_CONF=$1 softhsm2-util --init-token --free --label "$2" --pin "$SOFTHSM_PIN" \
		--so-pin "$SOFTHSM_SOPIN" >/dev/null
}

softhsm_p11() { # softhsm_p11 CONF TOKEN pkcs11-tool-arguments...: logged in as the user
	SOFTHSM2_CONF=$1 pkcs11-tool --module "$SOFTHSM_MODULE" --token-label "$2" --login \
		--pin "$SOFTHSM_PIN" "${@:3}" >/dev/null 2>&1
}

softhsm_key() { # softhsm_key CONF TOKEN ID LABEL [options]: see the top of this file
	local conf=$1 tok=$2 id=$3 label=$4 import="" gen="" aa=() pub="" cert="" tmp
	shift 4
	while (($#)); do
		case $1 in
		--import) import=$2 && shift ;;
		--generate) gen=$2 && shift ;;
		--always-auth) aa=(--always-auth) ;;
		--pub) pub=$2 && shift ;;
		--cert) cert=$2 && shift ;;
		*) echo "softhsm_key: unknown option $1" >&2 && return 2 ;;
		esac
		shift
	done
	tmp=$(mktemp -d) || return
	{
		if [[ -n "$import" ]]; then
			SOFTHSM2_CONF=$conf softhsm2-util --import "$import" --token "$tok" --label "$label" \
				--id "$id" --pin "$SOFTHSM_PIN" >/dev/null
		elif [[ -n "$gen" ]]; then
			softhsm_p11 "$conf" "$tok" --keypairgen --key-type "$gen" --id "$id" --label "$label" "${aa[@]}" \
				--usage-sign
		fi
	} && {
		[[ -z "$pub" ]] ||
			{ softhsm_p11 "$conf" "$tok" --read-object --type pubkey --id "$id" -o "$tmp/pub" &&
				softhsm_ossl pkey -pubin -in "$tmp/pub" -out "$pub"; }
	} && {
		[[ -z "$cert" ]] ||
			{ softhsm_ossl x509 -in "$cert" -outform DER -out "$tmp/cert.der" &&
				softhsm_p11 "$conf" "$tok" --write-object "$tmp/cert.der" --type cert --id "$id" --label "$label"; }
	}
	local rc=$?
	rm -rf "$tmp"
	return $rc
}

softhsm_issue() { # softhsm_issue DIR NAME SUBJECT EXT KEY.pem [PUB.pem]
	local dir=$1 name=$2 subj=$3 ext=$4 key=$5 force=()
	[[ -z "${6:-}" ]] || force=(-force_pubkey "$6")
	softhsm_ossl req -new -key "$key" -subj "$subj" -out "$dir/work/$name.csr" &&
		softhsm_ossl x509 -req -in "$dir/work/$name.csr" "${force[@]}" -CA "$dir/inter.pem" \
			-CAkey "$dir/work/inter.key" -set_serial "$((SOFTHSM_SERIAL++))" -days 825 \
			-extfile "$dir/work/ext.cnf" -extensions "$ext" -out "$dir/$name.pem"
}

softhsm_use() { # softhsm_use [DIR]: see the top of this file
	P=${1:-$T_DIR/p11}
	bash "$SOFTHSM_LIB" "$P" >"$P.env.out" 2>"$P.log" ||
		die "softhsm.sh failed: $(tail -n 3 "$P.log")"
	. "$P/env"
	export SOFTHSM2_CONF
	M=$SOFTHSM_MODULE
	PIN=$P11_PIN
	TOK="pkcs11:token=x509ssh-test"
}

softhsm_spy() { # softhsm_spy: $SPY, OpenSC's pkcs11-spy module (C_Login counts); dies without it
	SPY=${PKCS11_SPY_MODULE:-/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so}
	[[ -f "$SPY" ]] || die "OpenSC's pkcs11-spy.so not found at $SPY (apt-get install opensc)"
}

# softhsm_peer AUTHORIZED_KEYS_TEXT: a fresh asyncssh server (stopping the last one) trusting the
# token root for client certificates, with a plain ed25519 host key; its port in PEER_PORT, its
# log in $PLOG
SOFTHSM_PN=0
softhsm_peer() {
	SOFTHSM_PN=$((SOFTHSM_PN + 1))
	printf '%s\n' "$1" >"$T_DIR/ak.$SOFTHSM_PN"
	stop_peer
	start_peer "x$SOFTHSM_PN" x509_server.py --key "$T_DIR/keys/host_ed25519" \
		--client-ca "$P/root.pem" --authorized-keys "$T_DIR/ak.$SOFTHSM_PN" \
		--log "$T_DIR/auth.$SOFTHSM_PN.log" --log-connections
	PLOG="$T_DIR/auth.$SOFTHSM_PN.log"
}

# ---- the standard tokens ----
softhsm_standard() { # softhsm_standard DIR (under set -e)
	local DIR=$1 W k c have_ed=0
	mkdir -p "$DIR/work"
	DIR=$(cd "$DIR" && pwd)
	W=$DIR/work
	local C=$DIR/softhsm2.conf BC=$DIR/bad/softhsm2.conf UC=$DIR/users/softhsm2.conf
	softhsm_conf "$DIR"
	softhsm_conf "$DIR/bad"
	softhsm_conf "$DIR/users"

	# certificates: root -> inter -> rsa, ec, aacert, upn, bob; "bad" is a key without its own
	local leaf='basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth,1.3.6.1.5.5.7.3.21
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid'
	cat >"$W/ext.cnf" <<CNF
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
$leaf
[upn]
$leaf
subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:upnuser@example.com,email:upnuser@example.com
CNF
	softhsm_ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/root.key"
	softhsm_ossl req -new -x509 -key "$W/root.key" -subj "/O=x509ssh test/CN=Token Test Root" \
		-days 3650 -set_serial 1 -out "$DIR/root.pem" -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign
	softhsm_ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/inter.key"
	softhsm_ossl req -new -key "$W/inter.key" -subj "/O=x509ssh test/CN=Token Test Intermediate" \
		-out "$W/inter.csr"
	softhsm_ossl x509 -req -in "$W/inter.csr" -CA "$DIR/root.pem" -CAkey "$W/root.key" \
		-set_serial 2 -days 3650 -extfile "$W/ext.cnf" -extensions ca -out "$DIR/inter.pem"
	softhsm_ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$DIR/rsa.key"
	softhsm_ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/ec.key"
	softhsm_ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/bad.key"
	for k in upn bob; do
		softhsm_ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/$k.key"
	done
	for k in rsa ec upn bob; do
		softhsm_ossl pkey -in "$DIR/$k.key" -pubout -out "$DIR/$k.pub.pem"
	done
	SOFTHSM_SERIAL=10
	for k in rsa ec; do
		softhsm_issue "$DIR" "$k" "/C=DE/O=x509ssh test/OU=tokens+UID=$k/CN=$k user" leaf "$DIR/$k.key"
	done

	# token x509ssh-test
	softhsm_token "$C" x509ssh-test
	softhsm_key "$C" x509ssh-test 01 rsa --import "$DIR/rsa.key" --cert "$DIR/rsa.pem"
	softhsm_key "$C" x509ssh-test 02 ec --import "$DIR/ec.key" --cert "$DIR/ec.pem"
	softhsm_key "$C" x509ssh-test 10 inter --cert "$DIR/inter.pem"
	softhsm_key "$C" x509ssh-test 11 root --cert "$DIR/root.pem"
	softhsm_key "$C" x509ssh-test 03 aa --generate rsa:2048 --always-auth --pub "$DIR/aa.pub.pem"
	if softhsm_key "$C" x509ssh-test 04 ed --generate EC:edwards25519 --pub "$DIR/ed.pub.pem"; then
		have_ed=1
	fi

	# token x509ssh-two: the P-256 key again under the same label (an ambiguous object=ec)
	softhsm_token "$C" x509ssh-two
	softhsm_key "$C" x509ssh-two 02 ec --import "$DIR/ec.key"

	# token x509ssh-bad: a certificate that does not belong to the key with its id
	softhsm_token "$BC" x509ssh-bad
	softhsm_key "$BC" x509ssh-bad 01 bad --import "$W/bad.key" --cert "$DIR/rsa.pem"

	# token x509ssh-users (its own config). The always-authenticate key is made on the token;
	# its certificate carries the token's public key (the request is signed by a throwaway key)
	softhsm_token "$UC" x509ssh-users
	softhsm_key "$UC" x509ssh-users 01 aacert --generate rsa:2048 --always-auth \
		--pub "$DIR/aacert.pub.pem"
	softhsm_issue "$DIR" aacert "/C=DE/O=x509ssh test/CN=aa user" leaf "$W/bad.key" \
		"$DIR/aacert.pub.pem"
	softhsm_issue "$DIR" upn "/C=DE/O=x509ssh test/CN=UPN Holder" upn "$DIR/upn.key"
	softhsm_issue "$DIR" bob "/C=DE/O=x509ssh test/CN=bob" leaf "$DIR/bob.key"
	softhsm_key "$UC" x509ssh-users 01 aacert --cert "$DIR/aacert.pem"
	softhsm_key "$UC" x509ssh-users 02 upn --import "$DIR/upn.key" --cert "$DIR/upn.pem"
	softhsm_key "$UC" x509ssh-users 03 bob --import "$DIR/bob.key" --cert "$DIR/bob.pem"
	softhsm_key "$UC" x509ssh-users 10 inter --cert "$DIR/inter.pem"
	softhsm_key "$UC" x509ssh-users 11 root --cert "$DIR/root.pem"

	printf '%s\n' "$SOFTHSM_PIN" >"$DIR/pin"
	chmod 600 "$DIR/pin"
	cat >"$DIR/env" <<ENV
SOFTHSM2_CONF=$C
SOFTHSM_MODULE=$SOFTHSM_MODULE
P11_PIN=$SOFTHSM_PIN
P11_DIR=$DIR
P11_HAVE_ED25519=$have_ed
P11_USERS_CONF=$UC
ENV
	cat "$DIR/env"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	set -euo pipefail
	softhsm_standard "${1:?usage: softhsm.sh DIR}"
fi
