#!/usr/bin/env bash
# softhsm.sh: provision SoftHSM2 tokens for the PKCS#11 tests, in a private directory.
#
#   softhsm.sh DIR        (DIR is created; nothing is written outside it, never /etc)
#
# Makes, with PIN 123456 and SO PIN 12345678:
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
set -euo pipefail

DIR=${1:?usage: softhsm.sh DIR}
MODULE=${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
PIN=123456
SOPIN=12345678
mkdir -p "$DIR/tokens" "$DIR/bad/tokens" "$DIR/users/tokens" "$DIR/work"
DIR=$(cd "$DIR" && pwd)
W=$DIR/work

for d in "$DIR" "$DIR/bad" "$DIR/users"; do
	cat >"$d/softhsm2.conf" <<CONF
directories.tokendir = $d/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
done

# ---- certificates: root -> inter -> rsa, ec; "other" for the mismatch ----
ossl() { openssl "$@" 2>/dev/null; }
cat >"$W/ext.cnf" <<'CNF'
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth,1.3.6.1.5.5.7.3.21
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[upn]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth,1.3.6.1.5.5.7.3.21
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:upnuser@example.com,email:upnuser@example.com
CNF
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/root.key"
ossl req -new -x509 -key "$W/root.key" -subj "/O=x509ssh test/CN=Token Test Root" -days 3650 \
	-set_serial 1 -out "$DIR/root.pem" -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/inter.key"
ossl req -new -key "$W/inter.key" -subj "/O=x509ssh test/CN=Token Test Intermediate" -out "$W/inter.csr"
ossl x509 -req -in "$W/inter.csr" -CA "$DIR/root.pem" -CAkey "$W/root.key" -set_serial 2 \
	-days 3650 -extfile "$W/ext.cnf" -extensions ca -out "$DIR/inter.pem"
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$DIR/rsa.key"
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/ec.key"
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/bad.key"
serial=10
for k in rsa ec; do
	ossl req -new -key "$DIR/$k.key" -subj "/C=DE/O=x509ssh test/OU=tokens+UID=$k/CN=$k user" \
		-out "$W/$k.csr"
	ossl x509 -req -in "$W/$k.csr" -CA "$DIR/inter.pem" -CAkey "$W/inter.key" \
		-set_serial $((serial++)) -days 825 -extfile "$W/ext.cnf" -extensions leaf -out "$DIR/$k.pem"
	ossl pkey -in "$DIR/$k.key" -pubout -out "$DIR/$k.pub.pem"
done
for c in root inter rsa ec; do
	ossl x509 -in "$DIR/$c.pem" -outform DER -out "$W/$c.der"
done

# ---- token x509ssh-test ----
export SOFTHSM2_CONF=$DIR/softhsm2.conf
softhsm2-util --init-token --free --label x509ssh-test --pin $PIN --so-pin $SOPIN >/dev/null
p11() { pkcs11-tool --module "$MODULE" --token-label "$1" --login --pin $PIN "${@:2}" >/dev/null 2>&1; }
softhsm2-util --import "$DIR/rsa.key" --token x509ssh-test --label rsa --id 01 --pin $PIN >/dev/null
softhsm2-util --import "$DIR/ec.key" --token x509ssh-test --label ec --id 02 --pin $PIN >/dev/null
p11 x509ssh-test --write-object "$W/rsa.der" --type cert --id 01 --label rsa
p11 x509ssh-test --write-object "$W/ec.der" --type cert --id 02 --label ec
p11 x509ssh-test --write-object "$W/inter.der" --type cert --id 10 --label inter
p11 x509ssh-test --write-object "$W/root.der" --type cert --id 11 --label root
p11 x509ssh-test --keypairgen --key-type rsa:2048 --id 03 --label aa --always-auth --usage-sign
p11 x509ssh-test --read-object --type pubkey --id 03 -o "$W/aa.pub.der"
ossl pkey -pubin -inform DER -in "$W/aa.pub.der" -out "$DIR/aa.pub.pem"
HAVE_ED=0
if p11 x509ssh-test --keypairgen --key-type EC:edwards25519 --id 04 --label ed --usage-sign &&
	p11 x509ssh-test --read-object --type pubkey --id 04 -o "$W/ed.pub.der" &&
	ossl pkey -pubin -in "$W/ed.pub.der" -out "$DIR/ed.pub.pem"; then # pkcs11-tool writes PEM for this one
	HAVE_ED=1
fi

# ---- token x509ssh-two: the P-256 key again under the same label (an ambiguous object=ec) ----
softhsm2-util --init-token --free --label x509ssh-two --pin $PIN --so-pin $SOPIN >/dev/null
softhsm2-util --import "$DIR/ec.key" --token x509ssh-two --label ec --id 02 --pin $PIN >/dev/null

# ---- token x509ssh-bad: a certificate that does not belong to the key with its id ----
SOFTHSM2_CONF=$DIR/bad/softhsm2.conf softhsm2-util --init-token --free --label x509ssh-bad \
	--pin $PIN --so-pin $SOPIN >/dev/null
SOFTHSM2_CONF=$DIR/bad/softhsm2.conf softhsm2-util --import "$W/bad.key" --token x509ssh-bad \
	--label bad --id 01 --pin $PIN >/dev/null
SOFTHSM2_CONF=$DIR/bad/softhsm2.conf p11 x509ssh-bad --write-object "$W/rsa.der" --type cert \
	--id 01 --label bad

# ---- token x509ssh-users (its own config) ----
UC=$DIR/users/softhsm2.conf
SOFTHSM2_CONF=$UC softhsm2-util --init-token --free --label x509ssh-users --pin $PIN \
	--so-pin $SOPIN >/dev/null
up11() { SOFTHSM2_CONF=$UC p11 x509ssh-users "$@"; }
# the always-authenticate key is made on the token; its certificate carries the token's public
# key (the request is signed by a throwaway key, -force_pubkey puts the right one in)
up11 --keypairgen --key-type rsa:2048 --id 01 --label aacert --always-auth --usage-sign
up11 --read-object --type pubkey --id 01 -o "$W/aacert.pub.der"
ossl pkey -pubin -inform DER -in "$W/aacert.pub.der" -out "$DIR/aacert.pub.pem"
ossl req -new -key "$W/bad.key" -subj "/C=DE/O=x509ssh test/CN=aa user" -out "$W/aacert.csr"
ossl x509 -req -in "$W/aacert.csr" -force_pubkey "$DIR/aacert.pub.pem" -CA "$DIR/inter.pem" \
	-CAkey "$W/inter.key" -set_serial $((serial++)) -days 825 -extfile "$W/ext.cnf" \
	-extensions leaf -out "$DIR/aacert.pem"
for k in upn bob; do
	ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/$k.key"
	ossl pkey -in "$DIR/$k.key" -pubout -out "$DIR/$k.pub.pem"
done
ossl req -new -key "$DIR/upn.key" -subj "/C=DE/O=x509ssh test/CN=UPN Holder" -out "$W/upn.csr"
ossl x509 -req -in "$W/upn.csr" -CA "$DIR/inter.pem" -CAkey "$W/inter.key" \
	-set_serial $((serial++)) -days 825 -extfile "$W/ext.cnf" -extensions upn -out "$DIR/upn.pem"
ossl req -new -key "$DIR/bob.key" -subj "/C=DE/O=x509ssh test/CN=bob" -out "$W/bob.csr"
ossl x509 -req -in "$W/bob.csr" -CA "$DIR/inter.pem" -CAkey "$W/inter.key" \
	-set_serial $((serial++)) -days 825 -extfile "$W/ext.cnf" -extensions leaf -out "$DIR/bob.pem"
for c in aacert upn bob; do
	ossl x509 -in "$DIR/$c.pem" -outform DER -out "$W/$c.der"
done
up11 --write-object "$W/aacert.der" --type cert --id 01 --label aacert
SOFTHSM2_CONF=$UC softhsm2-util --import "$DIR/upn.key" --token x509ssh-users --label upn --id 02 \
	--pin $PIN >/dev/null
up11 --write-object "$W/upn.der" --type cert --id 02 --label upn
SOFTHSM2_CONF=$UC softhsm2-util --import "$DIR/bob.key" --token x509ssh-users --label bob --id 03 \
	--pin $PIN >/dev/null
up11 --write-object "$W/bob.der" --type cert --id 03 --label bob
up11 --write-object "$W/inter.der" --type cert --id 10 --label inter
up11 --write-object "$W/root.der" --type cert --id 11 --label root

printf '%s\n' "$PIN" >"$DIR/pin"
chmod 600 "$DIR/pin"
cat >"$DIR/env" <<ENV
SOFTHSM2_CONF=$DIR/softhsm2.conf
SOFTHSM_MODULE=$MODULE
P11_PIN=$PIN
P11_DIR=$DIR
P11_HAVE_ED25519=$HAVE_ED
P11_USERS_CONF=$UC
ENV
cat "$DIR/env"
