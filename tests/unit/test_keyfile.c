/* Private key files (client/keyfile.c) and the file signer (client/signer_file.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "keyfile.h"
#include "signer_file.h"
#include "ssh/buf.h"
#include "ssh/err.h"
#include "ssh/sshkey.h"
#include "ssh/sshsig.h"
#include "t.h"
#include "t_sign.h"

/* Ed25519 is deterministic: this is Python "cryptography"'s signature with data/key_ed25519 */
#define KA_DATA "x509ssh known-answer data"
static const char ka_ed25519[] =
    "0000000b7373682d65643235353139000000402cbf65134668196cc6d0d4cf7ff67ad6fd7a120f1d0f16ced0"
    "b7c1a77afddbb1e10be955c62c8807191f4298324887b06afbdd9a595205698b52cc7d2b89740a";

#define PASS "test pass"

/* the binary openssh-key-v1 payload of an OpenSSH private key file */
static size_t read_openssh(const char *path, uint8_t *out, size_t max)
{
	char *text = t_slurp_text(path), *b, *e;
	size_t n = 0;

	if (text != NULL && (b = strstr(text, "KEY-----\n")) != NULL &&
	    (e = strstr(b, "-----END")) != NULL) {
		n = t_b64_decode(b + 9, (size_t)(e - (b + 9)), out, max);
	}
	free(text);
	return n;
}

static const struct hostkey_alg *row_for(EVP_PKEY *pk)
{
	const struct hostkey_alg *a;
	size_t i;

	for (i = 0; (a = hostkey_alg_at(i)) != NULL; i++) {
		if (sshkey_fits_alg(pk, a)) {
			return a;
		}
	}
	return NULL;
}

struct fix {
	const char *key, *pub, *pass, *alg;
};

static const struct fix fixes[] = {
    {"data/key_ed25519", "data/key_ed25519.pub", NULL, "ssh-ed25519"},
    {"data/key_ecdsa256", "data/key_ecdsa256.pub", NULL, "ecdsa-sha2-nistp256"},
    {"data/key_ecdsa384", "data/key_ecdsa384.pub", NULL, "ecdsa-sha2-nistp384"},
    {"data/key_ecdsa521", "data/key_ecdsa521.pub", NULL, "ecdsa-sha2-nistp521"},
    {"data/key_rsa2048", "data/key_rsa2048.pub", NULL, "rsa-sha2-512"},
    {"data/key_rsa_trad.pem", "data/key_rsa_trad.pub", NULL, "rsa-sha2-512"},
    {"data/key_ec_trad.pem", "data/key_ec_trad.pub", NULL, "ecdsa-sha2-nistp256"},
    {"data/key_rsa_pkcs8.pem", "data/key_rsa_pkcs8.pub", NULL, "rsa-sha2-512"},
    {"data/key_ec_pkcs8.pem", "data/key_ec_pkcs8.pub", NULL, "ecdsa-sha2-nistp384"},
    {"data/key_ed25519_pkcs8.pem", "data/key_ed25519_pkcs8.pub", NULL, "ssh-ed25519"},
    {"data/key_ec_pkcs8_enc.pem", "data/key_ec_trad.pub", PASS, "ecdsa-sha2-nistp256"},
    {"data/key_rsa_trad_enc.pem", "data/key_rsa_trad.pub", PASS, "rsa-sha2-512"},
};

static void test_load(void)
{
	uint8_t pub[2048];
	const uint8_t d[] = "userauth request";
	char err[256];
	size_t i, n;
	EVP_PKEY *pk = NULL, *pubk = NULL;
	const struct hostkey_alg *a;
	struct buf b;

	buf_init(&b);
	for (i = 0; i < sizeof(fixes) / sizeof(fixes[0]); i++) {
		err[0] = '\0';
		CHECK_EQ_INT(keyfile_load(fixes[i].key, fixes[i].pass, &pk, err, sizeof(err)), 0);
		if (pk == NULL) {
			fprintf(stderr, "%s: %s\n", fixes[i].key, err);
			continue;
		}
		CHECK(keyfile_exists(fixes[i].key));
		a = row_for(pk);
		CHECK(a != NULL && strcmp(a->name, fixes[i].alg) == 0);
		/* the public blob equals ssh-keygen's .pub */
		n = t_pub_blob(fixes[i].pub, pub, sizeof(pub));
		CHECK(n > 0);
		buf_reset(&b);
		CHECK_EQ_INT(sshkey_to_blob(pk, a, &b), 0);
		CHECK(buf_len(&b) == n && memcmp(buf_ptr(&b), pub, n) == 0);
		/* it signs, and the .pub key verifies */
		CHECK_EQ_INT(sshkey_from_blob(pub, n, &pubk, NULL), 0);
		buf_reset(&b);
		CHECK_EQ_INT(sshsig_sign(a, pk, d, sizeof(d), &b), 0);
		CHECK_EQ_INT(sshsig_verify(a, pubk, buf_ptr(&b), buf_len(&b), d, sizeof(d)), 0);
		EVP_PKEY_free(pk);
		EVP_PKEY_free(pubk);
		pk = pubk = NULL;
	}
	buf_free(&b);
}

static void test_ed25519_known_answer(void)
{
	EVP_PKEY *pk = NULL;
	uint8_t exp[100];
	size_t n = t_unhex(ka_ed25519, exp, sizeof(exp));
	struct buf b;

	buf_init(&b);
	CHECK_EQ_INT(keyfile_load("data/key_ed25519", NULL, &pk, NULL, 0), 0);
	CHECK_EQ_INT(sshsig_sign(hostkey_alg_by_name("ssh-ed25519"), pk, (const uint8_t *)KA_DATA,
	                 strlen(KA_DATA), &b),
	    0);
	CHECK_EQ_INT(buf_len(&b), n);
	CHECK(buf_len(&b) == n && memcmp(buf_ptr(&b), exp, n) == 0);
	EVP_PKEY_free(pk);
	buf_free(&b);
}

static void test_errors(void)
{
	char err[256];
	EVP_PKEY *pk = NULL;

	/* encrypted PEM: missing and wrong passphrase */
	CHECK_EQ_INT(keyfile_load("data/key_ec_pkcs8_enc.pem", NULL, &pk, err, sizeof(err)),
	    SSH_ERR_PASSPHRASE);
	CHECK(strstr(err, "required") != NULL);
	CHECK_EQ_INT(keyfile_load("data/key_ec_pkcs8_enc.pem", "wrong", &pk, err, sizeof(err)),
	    SSH_ERR_PASSPHRASE);
	CHECK(strstr(err, "incorrect") != NULL);
	CHECK(strstr(err, "bad decrypt") != NULL); /* OpenSSL's own reason */
	/* a PKCS#8 block that does not decode: OpenSSL's reason, not just "unsupported format" */
	{
		static const char bad[] = "-----BEGIN PRIVATE KEY-----\n"
		                          "MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAzzzz\n"
		                          "-----END PRIVATE KEY-----\n";
		const char *pre = "not a private key we can read: ";

		CHECK_EQ_INT(keyfile_from_bytes((const uint8_t *)bad, sizeof(bad) - 1, NULL, &pk,
		                 err, sizeof(err)),
		    SSH_ERR_FORMAT);
		CHECK(strncmp(err, pre, strlen(pre)) == 0 && strlen(err) > strlen(pre) &&
		      strstr(err, "libcrypto error") == NULL);
		CHECK(pk == NULL);
	}
	CHECK_EQ_INT(keyfile_load("data/key_rsa_trad_enc.pem", NULL, &pk, err, sizeof(err)),
	    SSH_ERR_PASSPHRASE);
	CHECK(strstr(err, "required") != NULL);
	CHECK_EQ_INT(keyfile_load("data/key_rsa_trad_enc.pem", "test pas", &pk, err, sizeof(err)),
	    SSH_ERR_PASSPHRASE);
	CHECK(keyfile_exists("data/key_rsa_trad_enc.pem"));
	/* a passphrase given for a clear key is ignored */
	CHECK_EQ_INT(keyfile_load("data/key_ec_trad.pem", "unused", &pk, err, sizeof(err)), 0);
	EVP_PKEY_free(pk);
	pk = NULL;
	/* encrypted OpenSSH key: refused with the conversion command */
	CHECK_EQ_INT(
	    keyfile_load("data/key_ed25519_enc", PASS, &pk, err, sizeof(err)), SSH_ERR_UNSUPPORTED);
	CHECK(strstr(err, "ssh-keygen -p -m PEM -f") != NULL);
	CHECK(keyfile_exists("data/key_ed25519_enc"));
	/* RSA under 1024 bits in both formats, and secp256k1 */
	CHECK_EQ_INT(
	    keyfile_load("data/key_rsa768.pem", NULL, &pk, err, sizeof(err)), SSH_ERR_KEY_TYPE);
	CHECK(strstr(err, "768 bits is too small") != NULL);
	CHECK_EQ_INT(
	    keyfile_load("data/key_rsa768_openssh", NULL, &pk, err, sizeof(err)), SSH_ERR_KEY_TYPE);
	CHECK_EQ_INT(
	    keyfile_load("data/key_ec_k256.pem", NULL, &pk, err, sizeof(err)), SSH_ERR_KEY_TYPE);
	CHECK(strstr(err, "curve") != NULL);
	/* no such file, a directory, a public key */
	CHECK_EQ_INT(
	    keyfile_load("data/key_does_not_exist", NULL, &pk, err, sizeof(err)), SSH_ERR_SYSTEM);
	CHECK(strstr(err, "No such file") != NULL);
	CHECK(!keyfile_exists("data/key_does_not_exist"));
	CHECK(keyfile_load("data", NULL, &pk, err, sizeof(err)) != 0);
	CHECK(!keyfile_exists("data"));
	CHECK_EQ_INT(
	    keyfile_load("data/key_ed25519.pub", NULL, &pk, err, sizeof(err)), SSH_ERR_FORMAT);
	CHECK(strstr(err, "not a private key") != NULL);
	CHECK(!keyfile_exists("data/key_ed25519.pub"));
	CHECK_EQ_INT(keyfile_load("data/key_ed25519.pub", NULL, &pk, NULL, 0), SSH_ERR_FORMAT);
	CHECK(pk == NULL);
	/* tiny buffer: truncated, still terminated */
	CHECK_EQ_INT(keyfile_load("data/key_does_not_exist", NULL, &pk, err, 4), SSH_ERR_SYSTEM);
	CHECK_EQ_INT(strlen(err), 3);
}

static void test_openssh_blob(void)
{
	uint8_t bin[4096], m[4096];
	size_t n;
	EVP_PKEY *pk = NULL;
	char err[256];

	n = read_openssh("data/key_ed25519", bin, sizeof(bin));
	CHECK(n > 100);
	CHECK_EQ_INT(keyfile_from_openssh_blob(bin, n, &pk, err, sizeof(err)), 0);
	EVP_PKEY_free(pk);
	pk = NULL;
	/* check-ints differ: after magic(15) "none" "none" "" nkeys pub(4+51) privlen(4) */
	memcpy(m, bin, n);
	m[15 + 8 + 8 + 4 + 4 + 4 + 51 + 4] ^= 1;
	CHECK_EQ_INT(keyfile_from_openssh_blob(m, n, &pk, err, sizeof(err)), SSH_ERR_FORMAT);
	/* last padding byte wrong */
	memcpy(m, bin, n);
	m[n - 1] ^= 0x40;
	CHECK_EQ_INT(keyfile_from_openssh_blob(m, n, &pk, err, sizeof(err)), SSH_ERR_FORMAT);
	/* clear public key of another key */
	memcpy(m, bin, n);
	m[15 + 8 + 8 + 4 + 4 + 4 + 50] ^= 1;
	CHECK_EQ_INT(keyfile_from_openssh_blob(m, n, &pk, err, sizeof(err)), SSH_ERR_FORMAT);
	CHECK(strstr(err, "do not match") != NULL);
	/* trailing byte */
	memcpy(m, bin, n);
	m[n] = 0;
	CHECK_EQ_INT(keyfile_from_openssh_blob(m, n + 1, &pk, err, sizeof(err)), SSH_ERR_FORMAT);
	CHECK(pk == NULL);
}

/* the OpenSSH armour's base64: blanks, CRLF and missing padding taken, anything else refused */
static void test_openssh_armour(void)
{
	static const char body[] =
	    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
	    "QyNTUxOQAAACB9U76Z9pPsa5IHihtVOECbSZNkkDA89gFhXb7QUvr4AQAAAJDjoq2846Kt\n"
	    "vAAAAAtzc2gtZWQyNTUxOQAAACB9U76Z9pPsa5IHihtVOECbSZNkkDA89gFhXb7QUvr4AQ\n"
	    "AAAEB3Tog/YVQXAr7YOA1k3eR0ZWJCGOPUMq7OFTMrTkkRwn1Tvpn2k+xrkgeKG1U4QJtJ\n"
	    "k2SQMDz2AWFdvtBS+vgBAAAADHRlc3QgZWQyNTUxOQE";
	static const struct {
		const char *tail; /* after body */
		const char *mid;  /* replaces the first "\n" of body, NULL = keep */
		int ok;
	} rows[] = {
	    {.tail = "=\n", .ok = 1}, {.tail = "\n", .ok = 1}, /* padding left out */
	    {.tail = "=\r\n", .mid = " \t\r\n", .ok = 1},      /* blanks and CRLF */
	    {.tail = "\n=\n", .ok = 1},                        /* padding on its own line */
	    {.tail = "==\n", .ok = 0},                         /* one '=' too many */
	    {.tail = "=A\n", .ok = 0},                         /* data after padding */
	    {.tail = "=\n", .mid = "*", .ok = 0},              /* not base64 */
	    {.tail = "=\n", .mid = "=", .ok = 0},              /* padding in the middle */
	    {.tail = "AA=\n", .ok = 0}, /* a single character past a quantum */
	};
	EVP_PKEY *ref = NULL, *pk = NULL;
	char text[2048], err[256];
	size_t i;
	int n;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *nl = strchr(body, '\n');
		n = snprintf(text, sizeof(text),
		    "-----BEGIN OPENSSH PRIVATE KEY-----\n%.*s%s%s%s"
		    "-----END OPENSSH PRIVATE KEY-----\n",
		    (int)(nl - body), body, rows[i].mid != NULL ? rows[i].mid : "\n", nl + 1,
		    rows[i].tail);
		CHECK(n > 0 && (size_t)n < sizeof(text));
		err[0] = '\0';
		if (rows[i].ok) {
			CHECK_EQ_INT(keyfile_from_bytes((const uint8_t *)text, (size_t)n, NULL, &pk,
			                 err, sizeof(err)),
			    0);
			if (ref == NULL) {
				ref = pk;
			} else {
				CHECK(pk != NULL && EVP_PKEY_eq(ref, pk) == 1);
				EVP_PKEY_free(pk);
			}
		} else {
			CHECK_EQ_INT(keyfile_from_bytes((const uint8_t *)text, (size_t)n, NULL, &pk,
			                 err, sizeof(err)),
			    SSH_ERR_FORMAT);
			CHECK(strstr(err, "invalid base64 in OpenSSH private key") != NULL);
		}
		pk = NULL;
	}
	/* an empty body decodes to nothing: the container check refuses it, not the base64 */
	n = snprintf(text, sizeof(text),
	    "-----BEGIN OPENSSH PRIVATE KEY-----\n \r\n-----END OPENSSH PRIVATE KEY-----\n");
	err[0] = '\0';
	CHECK(
	    keyfile_from_bytes((const uint8_t *)text, (size_t)n, NULL, &pk, err, sizeof(err)) != 0);
	CHECK(pk == NULL && err[0] != '\0' && strstr(err, "base64") == NULL);
	EVP_PKEY_free(ref);
}

/* every truncation and single-bit flip of the binary container: an error, or the same key */
static void sweep_openssh(const char *path, const char *pubpath, int flips)
{
	uint8_t bin[4096], m[4096], pub[2048];
	size_t n, publen, i, bad = 0, same = 0;
	EVP_PKEY *pk = NULL;
	const struct hostkey_alg *a;
	struct buf b;
	char err[128];

	buf_init(&b);
	n = read_openssh(path, bin, sizeof(bin));
	publen = t_pub_blob(pubpath, pub, sizeof(pub));
	CHECK(n > 0 && publen > 0);
	for (i = 0; i < n; i = t_sweep_next(i, n)) {
		if (keyfile_from_openssh_blob(bin, i, &pk, err, sizeof(err)) == 0 || pk != NULL) {
			bad++;
			EVP_PKEY_free(pk);
			pk = NULL;
		}
	}
	for (i = 0; flips && i < n * 8; i = t_sweep_next_bit(i, n * 8)) {
		memcpy(m, bin, n);
		m[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (keyfile_from_openssh_blob(m, n, &pk, err, sizeof(err)) != 0) {
			bad += pk != NULL;
			continue;
		}
		buf_reset(&b);
		if ((a = row_for(pk)) == NULL || sshkey_to_blob(pk, a, &b) != 0 ||
		    buf_len(&b) != publen || memcmp(buf_ptr(&b), pub, publen) != 0) {
			bad++;
		} else {
			same++;
		}
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	CHECK_EQ_INT(bad, 0);
	/* only flips inside the comment keep it loadable */
	if (flips) {
		CHECK(same > 0 && same <= 8 * 20);
	}
	buf_free(&b);
}

/* PEM text through OpenSSL: no crash, no leak, an error or a usable key */
static void sweep_pem(const char *path)
{
	size_t n = 0, i, bad = 0;
	uint8_t *text = t_slurp(path, &n), *m = malloc(n + 1);
	EVP_PKEY *pk = NULL;

	CHECK(text != NULL && n > 0 && m != NULL);
	if (text == NULL || m == NULL) {
		n = 0;
	}
	for (i = 0; i < n; i = t_sweep_next_by(i, n, 7)) {
		if (keyfile_from_bytes(text, i, NULL, &pk, NULL, 0) == 0) {
			bad += row_for(pk) == NULL;
			EVP_PKEY_free(pk);
			pk = NULL;
		}
	}
	for (i = 0; i < n * 8; i = t_sweep_next_by(i, n * 8, 3)) {
		memcpy(m, text, n);
		m[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (keyfile_from_bytes(m, n, NULL, &pk, NULL, 0) == 0) {
			bad += row_for(pk) == NULL;
			EVP_PKEY_free(pk);
			pk = NULL;
		}
	}
	CHECK_EQ_INT(bad, 0);
	free(text);
	free(m);
}

static void test_signer(void)
{
	EVP_PKEY *pk = NULL, *pubk = NULL;
	struct signer *s = NULL;
	uint8_t pub[2048];
	size_t n;
	struct buf b;
	const uint8_t d[] = "session id + request";

	buf_init(&b);
	CHECK_EQ_INT(keyfile_load("data/key_rsa2048", NULL, &pk, NULL, 0), 0);
	CHECK_EQ_INT(signer_file_new(pk, "data/key_rsa2048", &s), 0);
	pk = NULL;
	CHECK_STR(s->name, "data/key_rsa2048");
	/* what the engine offers it for: its key type, and x509v3 rows only with a chain */
	CHECK(signer_fits(s, hostkey_alg_by_name("rsa-sha2-512")));
	CHECK(signer_fits(s, hostkey_alg_by_name("rsa-sha2-256")));
	CHECK(signer_fits(s, hostkey_alg_by_name("ssh-rsa")));
	CHECK(!signer_fits(s, hostkey_alg_by_name("ssh-ed25519")));
	CHECK(!signer_fits(s, hostkey_alg_by_name("x509v3-ssh-rsa")));
	CHECK(!signer_fits(s, NULL));
	n = t_pub_blob("data/key_rsa2048.pub", pub, sizeof(pub));
	CHECK_EQ_INT(signer_key_blob(s, hostkey_alg_by_name("rsa-sha2-256"), &b), 0);
	CHECK(buf_len(&b) == n && memcmp(buf_ptr(&b), pub, n) == 0);
	buf_reset(&b);
	CHECK_EQ_INT(signer_key_blob(s, hostkey_alg_by_name("ssh-ed25519"), &b), SSH_ERR_KEY_TYPE);
	CHECK(signer_key_blob(s, hostkey_alg_by_name("x509v3-ssh-rsa"), &b) != 0); /* no cert */
	CHECK_EQ_INT(
	    t_sign_ssh(s, "ecdsa-sha2-nistp256", d, sizeof(d), &b), SIGNER_ERR_UNSUPPORTED);
	CHECK_EQ_INT(buf_len(&b), 0);
	CHECK_EQ_INT(sshkey_from_blob(pub, n, &pubk, NULL), 0);
	CHECK_EQ_INT(t_sign_ssh(s, "rsa-sha2-256", d, sizeof(d), &b), 0);
	CHECK_EQ_INT(sshsig_verify(hostkey_alg_by_name("rsa-sha2-256"), pubk, buf_ptr(&b),
	                 buf_len(&b), d, sizeof(d)),
	    0);
	CHECK_EQ_INT(sshsig_verify(hostkey_alg_by_name("rsa-sha2-512"), pubk, buf_ptr(&b),
	                 buf_len(&b), d, sizeof(d)),
	    SSH_ERR_SIGNATURE);
	signer_free(s);
	s = NULL;

	/* an ECDSA key fits its curve's row only */
	CHECK_EQ_INT(keyfile_load("data/key_ecdsa384", NULL, &pk, NULL, 0), 0);
	CHECK_EQ_INT(signer_file_new(pk, "k", &s), 0);
	pk = NULL;
	CHECK(signer_fits(s, hostkey_alg_by_name("ecdsa-sha2-nistp384")));
	CHECK(!signer_fits(s, hostkey_alg_by_name("ecdsa-sha2-nistp256")));
	CHECK(!signer_fits(s, hostkey_alg_by_name("rsa-sha2-256")));
	CHECK(!sshsig_key_usable(
	    s->ops->pubkey(s), 0, (const char *const[]){"rsa-sha2-256", "rsa-sha2-512", NULL}));
	signer_free(s);
	s = NULL;

	/* a key that fits nothing is refused (and freed) */
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	CHECK_EQ_INT(signer_file_new(pk, "k", &s), SSH_ERR_KEY_TYPE);
	CHECK(s == NULL);
	EVP_PKEY_free(pubk);
	buf_free(&b);
}

int main(void)
{
	test_load();
	test_ed25519_known_answer();
	test_errors();
	test_openssh_blob();
	test_openssh_armour();
	sweep_openssh("data/key_ed25519", "data/key_ed25519.pub", 1);
	sweep_openssh("data/key_ecdsa256", "data/key_ecdsa256.pub", 1);
	sweep_openssh("data/key_ecdsa521", "data/key_ecdsa521.pub", 1);
	sweep_openssh("data/key_rsa2048", "data/key_rsa2048.pub", 1);
	sweep_pem("data/key_ec_trad.pem");
	sweep_pem("data/key_ed25519_pkcs8.pem");
	test_signer();
	T_DONE();
}
