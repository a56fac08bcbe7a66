/* Public-key algorithm table, key blobs, fingerprints and signatures (client/ssh/sshkey.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "ssh/buf.h"
#include "ssh/err.h"
#include "ssh/sshkey.h"
#include "t.h"
#include "t_sign.h"

/* Known answers made with Python "cryptography" from the fixture keys over KA_DATA. */
#define KA_DATA      "x509ssh known-answer data"
#define KA_SHORT_MSG "short 759"
static const char ka_ed25519[] =
    "0000000b7373682d65643235353139000000402cbf65134668196cc6d0d4cf7ff67ad6fd7a120f1d0f16ced0"
    "b7c1a77afddbb1e10be955c62c8807191f4298324887b06afbdd9a595205698b52cc7d2b89740a";
static const char ka_rsa_sha2_256[] =
    "0000000c7273612d736861322d32353600000100a1438b5404a656d05e4fe2ee82f1aee691779e45ce27a0ef"
    "dedef547203f082c51a631764d6f20cbc156bf64348223bda21f26bd52422225f0a5e636a6864f6dd544ebbd"
    "2383eb3d6ff8c33db1cc7231603de36f791ea90beb61977e299e586edca9c41c1167a45bdc17a2431847c90b"
    "a4703e4519481221de57bcd97f97095c9b9d1b481f8fa69bcba8c3c2d50234df5416218c4c4134cbf87e5547"
    "b1417187f9fb5f44675fdd3847026acb6bab17fc80ebb15e9114e19f65c9dc34dbe68a18cb5740a709beaaef"
    "f37ec2d5535f62605b3c4b57a94418c147e9f9c60e844a63ccec59cd41edd4c740575e70e9d55fc0a052cebf"
    "c153ca1a60533ad4ef454867";
static const char ka_rsa_sha2_512[] =
    "0000000c7273612d736861322d353132000001001edf4fb024f2ebd8481d41f79b0e60dde69941aca4c30ee0"
    "9b3977cc291b41bc54801dc5c7e733846a92c51fccd5acd6bd858e44650813e56660a887ae879059ba469faa"
    "e6810a27604684cde76bae2be4567ad5f183bc09bc8cf9ee8ce4e2226d296b21fbcf293a769a61d7579d41bb"
    "54ae129d4a82a68b1478ae51f1174800e3a454326e093468f59e3729953a4c0ce7b537b72efe7d27548adb1c"
    "ecd03d119e9ccb40834db2d8572aa80f2047f2beb20149ee3a46b301661692ac7cb48a40a617931cfd80e210"
    "5a8f146c8a116c2501bb2c2b575b012f440ca43e01eba96495b8e786a3f4544cbfcf0d6a2ffcc1527cdff238"
    "d0a772973fa59a943b693e62";
static const char ka_ssh_rsa[] =
    "000000077373682d7273610000010089ec5d83f7e222d6b86eb14b3594dadb34dd91f5f1140f5669544a1109"
    "34c43adb33201340577d17ab5a58be390791a07d713dfd979edf1cae52cd1e75dca542b1d0bd88c664ae1ef6"
    "9ece464011fe581ae5a6cc565190516256e28bd826b0443c5e9168beb062198f18d6a0e56322aa7baf05e430"
    "97a60cf04edbb2169a7c619b8023a7869f77e04fa913e0558b6d268f04068aa00c62ce3b728add7927be18f8"
    "ed787ca7cb4e56b31cc2ae5e1568bb6debe49656ac4b2ebe2b5e25aaf05dcc554f74d9b7c17c84523177cb1d"
    "c4f5614ddc631c497fc4110d5931356956fa8f3da2195f1b3ffbefb831516ada312c4c6fbf36fbcf3dcaf69c"
    "1f390c274c0422";
static const char ka_ecdsa_sha2_nistp256[] =
    "0000001365636473612d736861322d6e69737470323536000000480000002017613db19b148814a8948ba00a"
    "6aaa57aab6b3d12c408dbefe0e2b958bc9d75d000000204563ef9506ec9afd1ec92223fe5995ca284b3cdaca"
    "6df97ed2e3e44b886f7a06";
static const char ka_ecdsa_sha2_nistp521[] =
    "0000001365636473612d736861322d6e697374703532310000008c000000420098ef18daa71738e14e766c40"
    "a3185678b5f27eb38460cdd48f69349dc7f353bcb9a649384232bb0c6f8ac9ecc372e53aa6810e5d6f367747"
    "df750e2e0b48e721da0000004201c8c3ec60b19595af8cd9d47933470b98f2697b758fbdd5a2538b5d661609"
    "774c36e7a0d8c43b90081109e980dd875acd3c6b9495b26915cbf5fc372d27db8894c8";
static const char ka_rsa_short[] =
    "0000000c7273612d736861322d323536000000ff86af284aa3d18ef2c9cade01db189f3b2e6b78a906801173"
    "90b7dd3240f7eb54a39c8f4d53a815ca4208b2582e7240bad81f0fbfe41e49afa0dee04cfaface04f2b2c5d1"
    "6cb309643f16c9435e9fd9771a0e9e3a30794b11de47af0b862cbb249188b8bd789138019d980ee0d649ce4f"
    "85aaa9a3eb0718b3564a4a89e0065850e29178e8d7db96f12c3c98e525f411d2fadd5ecae1fab4904d0d8574"
    "e1b86c3d2e67f63df6e1a2ba1d3426447a44bf3f37a63838300b3a497f6cc5b0a1fbfbfa89b57e82bbf6b156"
    "ff2330ab3be6aa114f958a81dddb13706077775defa5b2a0d0cee061588a21ea68c17c88673226975d9897d6"
    "e51b1ef676fc1e59eb4aa2";

static size_t unhex_alloc(const char *hex, uint8_t **out)
{
	size_t n = strlen(hex) / 2;

	*out = malloc(n + 1);
	return t_unhex(hex, *out, n);
}

/* the fingerprint field of an `ssh-keygen -lf` output line */
static int read_fp(const char *path, char *out, size_t max)
{
	char bits[16], fp[128], *text = t_slurp_text(path);
	int n = text != NULL ? sscanf(text, "%15s %127s", bits, fp) : 0;

	free(text);
	if (n != 2 || strlen(fp) >= max) {
		return -1;
	}
	strcpy(out, fp);
	return 0;
}

static void test_table(void)
{
	static const char *order[] = {"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	    "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa",
	    "x509v3-ecdsa-sha2-nistp256", "x509v3-ecdsa-sha2-nistp384",
	    "x509v3-ecdsa-sha2-nistp521", "x509v3-rsa2048-sha256", "x509v3-ssh-rsa",
	    "x509v3-sign-rsa"};
	const struct hostkey_alg *a;
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		a = hostkey_alg_at(i);
		CHECK(a != NULL);
		if (a == NULL) {
			return;
		}
		CHECK_STR(a->name, order[i]);
		CHECK(hostkey_alg_by_name(order[i]) == a);
		if (strncmp(order[i], "x509v3-", 7) == 0) {
			/* RFC 6187 rows (test_x509key.c, which checks HK_FLAG_SINGLE_CERT) */
			CHECK_EQ_INT(
			    a->flags & ~HK_FLAG_SINGLE_CERT, HK_FLAG_DEFAULT | HK_FLAG_X509);
			continue;
		}
		CHECK_EQ_INT(
		    a->flags, strcmp(order[i], "ssh-rsa") == 0 ? HK_FLAG_LEGACY : HK_FLAG_DEFAULT);
	}
	CHECK(hostkey_alg_at(i) == NULL);
	CHECK(hostkey_alg_by_name("ssh-dss") == NULL);
	CHECK(hostkey_alg_by_name(NULL) == NULL);
	a = hostkey_alg_by_name("rsa-sha2-256");
	CHECK_STR(a->blob_name, "ssh-rsa");
	CHECK_STR(a->sig_name, "rsa-sha2-256");
	CHECK_STR(a->digest, "SHA256");
	CHECK_EQ_INT(a->pkey_type, EVP_PKEY_RSA);
	a = hostkey_alg_by_name("ssh-rsa");
	CHECK_STR(a->digest, "SHA1");
	a = hostkey_alg_by_name("ecdsa-sha2-nistp384");
	CHECK_STR(a->curve, "P-384");
	CHECK_STR(a->ssh_curve, "nistp384");
	CHECK_STR(a->digest, "SHA384");
	a = hostkey_alg_by_name("ecdsa-sha2-nistp521");
	CHECK_STR(a->digest, "SHA512");
	a = hostkey_alg_by_name("ssh-ed25519");
	CHECK(a->digest == NULL && a->curve == NULL);
}

struct pubfix {
	const char *base; /* data/<base>.pub and data/<base>.fp */
	const char *alg;  /* a row for this key */
};

static const struct pubfix pubs[] = {
    {"key_ed25519", "ssh-ed25519"},
    {"key_ed25519_pkcs8", "ssh-ed25519"},
    {"key_ecdsa256", "ecdsa-sha2-nistp256"},
    {"key_ec_trad", "ecdsa-sha2-nistp256"},
    {"key_ecdsa384", "ecdsa-sha2-nistp384"},
    {"key_ec_pkcs8", "ecdsa-sha2-nistp384"},
    {"key_ecdsa521", "ecdsa-sha2-nistp521"},
    {"key_rsa2048", "rsa-sha2-256"},
    {"key_rsa_trad", "rsa-sha2-512"},
    {"key_rsa_pkcs8", "ssh-rsa"},
};

static void test_blobs(void)
{
	uint8_t blob[2048];
	char path[256], fp[128], *type = NULL, *got = NULL;
	size_t i, n;
	EVP_PKEY *pk = NULL;
	const struct hostkey_alg *a, *b;
	struct buf out;

	buf_init(&out);
	for (i = 0; i < sizeof(pubs) / sizeof(pubs[0]); i++) {
		snprintf(path, sizeof(path), "data/%s.pub", pubs[i].base);
		n = t_pub_blob(path, blob, sizeof(blob));
		CHECK(n > 0);
		a = hostkey_alg_by_name(pubs[i].alg);
		CHECK_EQ_INT(sshkey_from_blob(blob, n, &pk, &type), 0);
		CHECK_STR(type, a->blob_name);
		CHECK(sshkey_fits_alg(pk, a));
		/* re-encoding gives the same bytes for every row of the key */
		for (size_t j = 0; (b = hostkey_alg_at(j)) != NULL; j++) {
			buf_reset(&out);
			if ((b->flags & HK_FLAG_X509) != 0) {
				continue; /* certificate blobs: test_x509key.c */
			}
			if (strcmp(b->blob_name, a->blob_name) == 0 &&
			    (b->curve == NULL || strcmp(b->curve, a->curve) == 0)) {
				CHECK(sshkey_fits_alg(pk, b));
				CHECK_EQ_INT(sshkey_to_blob(pk, b, &out), 0);
				CHECK_EQ_INT(buf_len(&out), n);
				CHECK(buf_len(&out) == n && memcmp(buf_ptr(&out), blob, n) == 0);
			} else {
				CHECK(!sshkey_fits_alg(pk, b));
				CHECK_EQ_INT(sshkey_to_blob(pk, b, &out), SSH_ERR_KEY_TYPE);
				CHECK_EQ_INT(buf_len(&out), 0);
			}
		}
		/* fingerprint equals ssh-keygen -lf */
		snprintf(path, sizeof(path), "data/%s.fp", pubs[i].base);
		CHECK_EQ_INT(read_fp(path, fp, sizeof(fp)), 0);
		CHECK_EQ_INT(sshkey_fingerprint(blob, n, &got), 0);
		CHECK_STR(got, fp);
		/* a trailing byte is refused */
		blob[n] = 0;
		EVP_PKEY_free(pk);
		pk = NULL;
		CHECK(sshkey_from_blob(blob, n + 1, &pk, NULL) != 0);
		CHECK(pk == NULL);
		free(type);
		free(got);
		type = got = NULL;
	}
	buf_free(&out);
}

static void test_bad_blobs(void)
{
	uint8_t blob[2048], b2[2048];
	size_t n;
	EVP_PKEY *pk = NULL;
	char *type = NULL;
	struct buf w;

	buf_init(&w);
	/* RSA-768 */
	n = t_pub_blob("data/key_rsa768.pub", blob, sizeof(blob));
	CHECK(n > 0);
	CHECK_EQ_INT(sshkey_from_blob(blob, n, &pk, &type), SSH_ERR_KEY_TYPE);
	CHECK(pk == NULL && type == NULL);
	/* unknown type */
	buf_put_cstring(&w, "ssh-dss");
	buf_put_string(&w, "x", 1);
	CHECK_EQ_INT(sshkey_from_blob(buf_ptr(&w), buf_len(&w), &pk, NULL), SSH_ERR_NO_ALGO);
	CHECK_EQ_INT(sshkey_from_blob(NULL, 0, &pk, NULL), SSH_ERR_INCOMPLETE);
	/* nistp256 key whose curve string says nistp384 */
	n = t_pub_blob("data/key_ecdsa256.pub", blob, sizeof(blob));
	CHECK_EQ_INT(n, 4 + 19 + 4 + 8 + 4 + 65);
	memcpy(b2, blob, n);
	memcpy(b2 + 4 + 19 + 4, "nistp384", 8);
	CHECK_EQ_INT(sshkey_from_blob(b2, n, &pk, NULL), SSH_ERR_FORMAT);
	/* a point off the curve */
	memcpy(b2, blob, n);
	b2[n - 1] ^= 1;
	CHECK_EQ_INT(sshkey_from_blob(b2, n, &pk, NULL), SSH_ERR_FORMAT);
	/* compressed point (right length for a compressed one) */
	buf_reset(&w);
	buf_put_cstring(&w, "ecdsa-sha2-nistp256");
	buf_put_cstring(&w, "nistp256");
	b2[0] = 0x02 | (blob[n - 1] & 1);
	memcpy(b2 + 1, blob + n - 64, 32);
	buf_put_string(&w, b2, 33);
	CHECK_EQ_INT(sshkey_from_blob(buf_ptr(&w), buf_len(&w), &pk, NULL), SSH_ERR_FORMAT);
	/* ed25519 with 31 bytes */
	buf_reset(&w);
	buf_put_cstring(&w, "ssh-ed25519");
	buf_put_string(&w, b2, 31);
	CHECK_EQ_INT(sshkey_from_blob(buf_ptr(&w), buf_len(&w), &pk, NULL), SSH_ERR_FORMAT);
	/* RSA with an even exponent */
	n = t_pub_blob("data/key_rsa2048.pub", blob, sizeof(blob));
	CHECK_EQ_INT(blob[4 + 7 + 4 + 2], 0x01); /* e = 65537 */
	blob[4 + 7 + 4 + 2] = 0x02;
	CHECK_EQ_INT(sshkey_from_blob(blob, n, &pk, NULL), SSH_ERR_FORMAT);
	CHECK(pk == NULL);
	buf_free(&w);
}

static EVP_PKEY *pub_key(const char *base)
{
	uint8_t blob[2048];
	char path[256];
	size_t n;
	EVP_PKEY *pk = NULL;

	snprintf(path, sizeof(path), "data/%s.pub", base);
	n = t_pub_blob(path, blob, sizeof(blob));
	if (sshkey_from_blob(blob, n, &pk, NULL) != 0) {
		return NULL;
	}
	return pk;
}

static void ka_check(const char *base, const char *alg, const char *hex)
{
	const struct hostkey_alg *a = hostkey_alg_by_name(alg), *b;
	EVP_PKEY *pk = pub_key(base);
	uint8_t *sig = NULL;
	size_t n = unhex_alloc(hex, &sig), i;
	const uint8_t *d = (const uint8_t *)KA_DATA;
	size_t dl = strlen(KA_DATA);

	CHECK(pk != NULL);
	CHECK_EQ_INT(sshsig_verify(a, pk, sig, n, d, dl), 0);
	CHECK_EQ_INT(sshsig_verify(a, pk, sig, n, d, dl - 1), SSH_ERR_SIGNATURE);
	/* other rows of the same key refuse it (inner name; x509v3-ssh-rsa shares ssh-rsa's) */
	for (i = 0; (b = hostkey_alg_at(i)) != NULL; i++) {
		if (b != a && sshkey_fits_alg(pk, b) && strcmp(b->sig_name, a->sig_name) != 0) {
			CHECK_EQ_INT(sshsig_verify(b, pk, sig, n, d, dl), SSH_ERR_SIGNATURE);
		}
	}
	/* trailing byte after the blob */
	sig = realloc(sig, n + 1);
	sig[n] = 0;
	CHECK_EQ_INT(sshsig_verify(a, pk, sig, n + 1, d, dl), SSH_ERR_FORMAT);
	free(sig);
	EVP_PKEY_free(pk);
}

static void test_known_answers(void)
{
	EVP_PKEY *pk;
	uint8_t *sig = NULL, *sig2 = NULL;
	size_t n;
	const struct hostkey_alg *a = hostkey_alg_by_name("rsa-sha2-256");

	ka_check("key_ed25519", "ssh-ed25519", ka_ed25519);
	ka_check("key_rsa2048", "rsa-sha2-256", ka_rsa_sha2_256);
	ka_check("key_rsa2048", "rsa-sha2-512", ka_rsa_sha2_512);
	ka_check("key_rsa2048", "ssh-rsa", ka_ssh_rsa);
	ka_check("key_ecdsa256", "ecdsa-sha2-nistp256", ka_ecdsa_sha2_nistp256);
	ka_check("key_ecdsa521", "ecdsa-sha2-nistp521", ka_ecdsa_sha2_nistp521);

	/* an RSA signature one byte shorter than the modulus is left-padded */
	pk = pub_key("key_rsa2048");
	n = unhex_alloc(ka_rsa_short, &sig);
	CHECK_EQ_INT(n, 4 + 12 + 4 + 255);
	CHECK_EQ_INT(
	    sshsig_verify(a, pk, sig, n, (const uint8_t *)KA_SHORT_MSG, strlen(KA_SHORT_MSG)), 0);
	/* one byte longer than the modulus is refused, even with a leading zero */
	sig2 = malloc(n + 2);
	memcpy(sig2, sig, 16);
	poke_u32(sig2 + 16, 257);
	sig2[20] = 0;
	sig2[21] = 0;
	memcpy(sig2 + 22, sig + 20, 255);
	CHECK_EQ_INT(
	    sshsig_verify(a, pk, sig2, n + 2, (const uint8_t *)KA_SHORT_MSG, strlen(KA_SHORT_MSG)),
	    SSH_ERR_SIGNATURE);
	/* the same with exactly the modulus length verifies */
	poke_u32(sig2 + 16, 256);
	memmove(sig2 + 20, sig2 + 21, 256);
	CHECK_EQ_INT(
	    sshsig_verify(a, pk, sig2, n + 1, (const uint8_t *)KA_SHORT_MSG, strlen(KA_SHORT_MSG)),
	    0);
	free(sig);
	free(sig2);
	EVP_PKEY_free(pk);
}

static void test_ecdsa_conv(void)
{
	uint8_t raw[64], der[80], exp[80];
	size_t dl, el;
	struct buf b;

	buf_init(&b);
	/* r with the top bit set gets a 0x00, s with leading zeros loses them */
	memset(raw, 0, sizeof(raw));
	raw[0] = 0x80;
	raw[31] = 0x01;
	raw[62] = 0x12;
	raw[63] = 0x34;
	CHECK_EQ_INT(sshsig_ecdsa_raw_to_ssh(raw, 64, &b), 0);
	el = t_unhex("00000021"
	             "008000000000000000000000000000000000000000000000000000000000000001"
	             "000000021234",
	    exp, sizeof(exp));
	CHECK_EQ_INT(buf_len(&b), el);
	CHECK(buf_len(&b) == el && memcmp(buf_ptr(&b), exp, el) == 0);
	CHECK_EQ_INT(sshsig_ecdsa_raw_to_ssh(raw, 63, &b), SSH_ERR_FORMAT);
	CHECK_EQ_INT(sshsig_ecdsa_raw_to_ssh(raw, 0, &b), SSH_ERR_FORMAT);
	CHECK_EQ_INT(buf_len(&b), el);
	/* DER SEQUENCE { INTEGER 0x00ff, INTEGER 0x05 } */
	buf_reset(&b);
	dl = t_unhex("3007020200ff020105", der, sizeof(der));
	CHECK_EQ_INT(sshsig_ecdsa_der_to_ssh(der, dl, &b), 0);
	el = t_unhex("0000000200ff0000000105", exp, sizeof(exp));
	CHECK(buf_len(&b) == el && memcmp(buf_ptr(&b), exp, el) == 0);
	buf_reset(&b);
	CHECK(sshsig_ecdsa_der_to_ssh(der, dl - 1, &b) != 0);
	CHECK_EQ_INT(buf_len(&b), 0);
	der[dl] = 0;
	CHECK(sshsig_ecdsa_der_to_ssh(der, dl + 1, &b) != 0);
	CHECK_EQ_INT(buf_len(&b), 0);
	buf_free(&b);
}

static EVP_PKEY *gen_key(const struct hostkey_alg *a)
{
	switch (a->pkey_type) {
	case EVP_PKEY_ED25519:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	case EVP_PKEY_EC:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", a->curve);
	case EVP_PKEY_RSA:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	}
	return NULL;
}

/* every truncation and every single-bit flip of a signature blob is refused */
static void sweep_sig(
    const struct hostkey_alg *a, EVP_PKEY *pk, const struct buf *sig, const uint8_t *d, size_t dl)
{
	size_t n = buf_len(sig), i, bad = 0;
	uint8_t *m = malloc(n);

	for (i = 0; i < n; i = t_sweep_next(i, n)) {
		if (sshsig_verify(a, pk, buf_ptr(sig), i, d, dl) == 0) {
			bad++;
		}
	}
	for (i = 0; i < n * 8; i = t_sweep_next_bit(i, n * 8)) {
		memcpy(m, buf_ptr(sig), n);
		m[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (sshsig_verify(a, pk, m, n, d, dl) == 0) {
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
	free(m);
}

static void test_roundtrip(void)
{
	const struct hostkey_alg *a, *b;
	const uint8_t d[] = "exchange hash H";
	EVP_PKEY *priv, *pub;
	struct buf sig, blob;
	size_t i, j;

	buf_init(&sig);
	buf_init(&blob);
	for (i = 0; (a = hostkey_alg_at(i)) != NULL; i++) {
		if ((a->flags & HK_FLAG_X509) != 0) {
			continue; /* certificate blobs: test_x509key.c */
		}
		priv = gen_key(a);
		pub = NULL;
		CHECK(priv != NULL);
		buf_reset(&blob);
		t_sshsig_sign_ok(a, priv, d, sizeof(d), &sig); /* named for the row, verifies */
		/* verify with the public key that went through the blob codec */
		CHECK_EQ_INT(sshkey_to_blob(priv, a, &blob), 0);
		CHECK_EQ_INT(sshkey_from_blob(buf_ptr(&blob), buf_len(&blob), &pub, NULL), 0);
		CHECK_EQ_INT(sshsig_verify(a, pub, buf_ptr(&sig), buf_len(&sig), d, sizeof(d)), 0);
		CHECK_EQ_INT(sshsig_verify(a, pub, buf_ptr(&sig), buf_len(&sig), d, sizeof(d) - 1),
		    SSH_ERR_SIGNATURE);
		if (a->pkey_type == EVP_PKEY_RSA) {
			/* exactly the modulus length: 4 + name + 4 + 256 */
			CHECK_EQ_INT(buf_len(&sig), 4 + strlen(a->sig_name) + 4 + 256);
		}
		for (j = 0; (b = hostkey_alg_at(j)) != NULL; j++) {
			if (b != a && sshkey_fits_alg(pub, b) &&
			    strcmp(b->sig_name, a->sig_name) == 0) {
				CHECK_EQ_INT(sshsig_verify(b, pub, buf_ptr(&sig), buf_len(&sig), d,
				                 sizeof(d)),
				    0);
			} else if (b != a && sshkey_fits_alg(pub, b)) {
				CHECK_EQ_INT(sshsig_verify(b, pub, buf_ptr(&sig), buf_len(&sig), d,
				                 sizeof(d)),
				    SSH_ERR_SIGNATURE);
			} else if (b != a) {
				CHECK_EQ_INT(sshsig_verify(b, pub, buf_ptr(&sig), buf_len(&sig), d,
				                 sizeof(d)),
				    SSH_ERR_KEY_TYPE);
				buf_reset(&blob);
				CHECK_EQ_INT(
				    sshsig_sign(b, priv, d, sizeof(d), &blob), SSH_ERR_KEY_TYPE);
				CHECK_EQ_INT(buf_len(&blob), 0);
			}
		}
		sweep_sig(a, pub, &sig, d, sizeof(d));
		EVP_PKEY_free(priv);
		EVP_PKEY_free(pub);
	}
	buf_free(&sig);
	buf_free(&blob);
}

static void test_rsa_sizes(void)
{
	const struct hostkey_alg *a = hostkey_alg_by_name("rsa-sha2-256");
	EVP_PKEY *k1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *k768 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)768);
	struct buf b;

	buf_init(&b);
	CHECK(sshkey_fits_alg(k1024, a));
	CHECK(!sshkey_fits_alg(k768, a));
	CHECK_EQ_INT(sshkey_to_blob(k768, a, &b), SSH_ERR_KEY_TYPE);
	CHECK_EQ_INT(sshsig_sign(a, k768, (const uint8_t *)"x", 1, &b), SSH_ERR_KEY_TYPE);
	CHECK_EQ_INT(sshsig_sign(a, k1024, (const uint8_t *)"x", 1, &b), 0);
	CHECK_EQ_INT(buf_len(&b), 4 + 12 + 4 + 128);
	buf_free(&b);
	EVP_PKEY_free(k1024);
	EVP_PKEY_free(k768);
}

/* every truncation and bit flip of each fixture blob: an error, or a key that re-encodes to
 * exactly the mutated bytes */
static void test_blob_sweep(void)
{
	uint8_t blob[2048], m[2048];
	char path[256];
	size_t i, k, n, ok, bad;
	EVP_PKEY *pk = NULL;
	char *type = NULL;
	const struct hostkey_alg *a;
	struct buf out;

	buf_init(&out);
	for (k = 0; k < sizeof(pubs) / sizeof(pubs[0]); k++) {
		snprintf(path, sizeof(path), "data/%s.pub", pubs[k].base);
		n = t_pub_blob(path, blob, sizeof(blob));
		a = hostkey_alg_by_name(pubs[k].alg);
		ok = bad = 0;
		for (i = 0; i < n; i = t_sweep_next(i, n)) {
			if (sshkey_from_blob(blob, i, &pk, &type) == 0) {
				bad++;
				EVP_PKEY_free(pk);
				free(type);
			}
			if (pk != NULL || type != NULL) {
				bad++;
			}
		}
		for (i = 0; i < n * 8; i = t_sweep_next_bit(i, n * 8)) {
			memcpy(m, blob, n);
			m[i / 8] ^= (uint8_t)(1u << (i % 8));
			if (sshkey_from_blob(m, n, &pk, &type) != 0) {
				bad += pk != NULL || type != NULL;
				continue;
			}
			ok++;
			buf_reset(&out);
			if (strcmp(type, a->blob_name) != 0 || sshkey_to_blob(pk, a, &out) != 0 ||
			    buf_len(&out) != n || memcmp(buf_ptr(&out), m, n) != 0) {
				bad++;
			}
			EVP_PKEY_free(pk);
			free(type);
			pk = NULL;
			type = NULL;
		}
		CHECK_EQ_INT(bad, 0);
		/* ECDSA: a flipped point is never on the curve; others do accept some */
		if (a->pkey_type == EVP_PKEY_EC) {
			CHECK_EQ_INT(ok, 0);
		} else {
			CHECK(ok > 0);
		}
	}
	buf_free(&out);
}

/* A failed write leaves the buffer as it was even when the write compacted it first (the unread
 * bytes moved to the front): the undo is relative to the unread bytes, not to the storage end. */
static void test_rollback_after_compaction(void)
{
	uint8_t raw[64], fill[250];
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(fill); i++) {
		fill[i] = (uint8_t)i;
	}
	memset(raw, 0x80, sizeof(raw)); /* both halves get a 0x00: 2 x 37 bytes */
	buf_init(&b);
	CHECK_EQ_INT(buf_put(&b, fill, sizeof(fill)), 0);
	CHECK_EQ_INT(buf_consume(&b, 200), 0); /* 50 unread, well past the middle */
	buf_set_max(&b, 100);                  /* r fits (87), s does not (124) */
	CHECK_EQ_INT(sshsig_ecdsa_raw_to_ssh(raw, 64, &b), SSH_ERR_TOO_LARGE);
	CHECK_EQ_INT(buf_len(&b), 50);
	CHECK(buf_len(&b) == 50 && memcmp(buf_ptr(&b), fill + 200, 50) == 0);
	buf_free(&b);
}

/* sshkey_from_params, the one OSSL_PARAM key builder: refused values are SSH_ERR_FORMAT and leave
 * OpenSSL's error queue as it was before the call (an earlier error stays, none is added); an
 * OpenSSL failure is SSH_ERR_LIBCRYPTO with OpenSSL's reason kept for ssh_err_why */
static void test_from_params(void)
{
	uint8_t off_curve[65];
	const unsigned long stale = ERR_PACK(ERR_LIB_USER, 0, 77);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pk = NULL;
	char why[256];

	memset(off_curve, 0x01, sizeof(off_curve));
	off_curve[0] = 0x04;
	CHECK(bld != NULL &&
	      OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) &&
	      OSSL_PARAM_BLD_push_octet_string(
	          bld, OSSL_PKEY_PARAM_PUB_KEY, off_curve, sizeof(off_curve)));
	ERR_clear_error();
	ERR_raise(ERR_LIB_USER, 77);
	CHECK_EQ_INT(sshkey_from_params("EC", EVP_PKEY_PUBLIC_KEY, bld, &pk), SSH_ERR_FORMAT);
	CHECK(pk == NULL);
	CHECK_EQ_INT(ERR_peek_error(), stale);
	CHECK_EQ_INT(ERR_peek_last_error(), stale);
	ERR_clear_error();

	CHECK_EQ_INT(sshkey_from_params("NO-SUCH-KEYTYPE", EVP_PKEY_PUBLIC_KEY, bld, &pk),
	    SSH_ERR_LIBCRYPTO);
	CHECK(pk == NULL);
	CHECK(ERR_peek_error() != 0);
	ssh_err_why(SSH_ERR_LIBCRYPTO, why, sizeof(why));
	CHECK_MSG(strcmp(why, ssh_err_str(SSH_ERR_LIBCRYPTO)) != 0, "reason: %s", why);
	CHECK_EQ_INT(ERR_peek_error(), 0);
	OSSL_PARAM_BLD_free(bld);
}

/* the key builders the blob decoder and the key file reader share: RSA from its numbers (public
 * from n, e; the pair only with every CRT part), ECDSA from the point (and the scalar), checked
 * in full */
static void test_builders(void)
{
	static const char *const names[] = {
	    OSSL_PKEY_PARAM_RSA_N,
	    OSSL_PKEY_PARAM_RSA_E,
	    OSSL_PKEY_PARAM_RSA_D,
	    OSSL_PKEY_PARAM_RSA_FACTOR1,
	    OSSL_PKEY_PARAM_RSA_FACTOR2,
	    OSSL_PKEY_PARAM_RSA_EXPONENT1,
	    OSSL_PKEY_PARAM_RSA_EXPONENT2,
	    OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	const struct hostkey_alg *p256 = hostkey_alg_by_name("ecdsa-sha2-nistp256");
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIGNUM *bn[8] = {NULL}, *d = NULL, *d1 = NULL;
	struct sshkey_rsa_parts parts;
	uint8_t q[65];
	size_t i, qlen = 0;
	EVP_PKEY *pk = NULL;

	CHECK(rsa != NULL && ec != NULL && p256 != NULL);
	for (i = 0; rsa != NULL && i < 8; i++) {
		CHECK_MSG(EVP_PKEY_get_bn_param(rsa, names[i], &bn[i]) == 1, "%s", names[i]);
	}
	parts = (struct sshkey_rsa_parts){.n = bn[0], .e = bn[1]};
	CHECK_EQ_INT(sshkey_rsa_from_parts(&parts, &pk), 0);
	CHECK(pk != NULL && EVP_PKEY_eq(pk, rsa) == 1);
	CHECK(pk != NULL && !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_D, &d));
	EVP_PKEY_free(pk);
	ERR_clear_error();
	parts = (struct sshkey_rsa_parts){.n = bn[0],
	    .e = bn[1],
	    .d = bn[2],
	    .p = bn[3],
	    .q = bn[4],
	    .dmp1 = bn[5],
	    .dmq1 = bn[6],
	    .iqmp = bn[7]};
	CHECK_EQ_INT(sshkey_rsa_from_parts(&parts, &pk), 0);
	CHECK(pk != NULL && EVP_PKEY_eq(pk, rsa) == 1);
	CHECK(pk != NULL && EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_D, &d) == 1 &&
	      BN_cmp(d, bn[2]) == 0);
	EVP_PKEY_free(pk);
	BN_clear_free(d);
	d = NULL;
	parts.dmq1 = NULL; /* a pair without all its parts */
	CHECK_EQ_INT(sshkey_rsa_from_parts(&parts, &pk), SSH_ERR_INTERNAL);
	CHECK(pk == NULL);

	CHECK(ec != NULL &&
	      EVP_PKEY_get_octet_string_param(ec, OSSL_PKEY_PARAM_PUB_KEY, q, sizeof(q), &qlen) ==
	          1 &&
	      qlen == sizeof(q) && EVP_PKEY_get_bn_param(ec, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1);
	CHECK_EQ_INT(sshkey_ec_from_point(p256, q, qlen, NULL, &pk), 0);
	CHECK(pk != NULL && EVP_PKEY_eq(pk, ec) == 1);
	EVP_PKEY_free(pk);
	CHECK_EQ_INT(sshkey_ec_from_point(p256, q, qlen, d, &pk), 0);
	CHECK(pk != NULL && EVP_PKEY_eq(pk, ec) == 1);
	EVP_PKEY_free(pk);
	/* a scalar that is not the point's: d * G != Q */
	CHECK((d1 = BN_dup(d)) != NULL && BN_add_word(d1, 1));
	CHECK_EQ_INT(sshkey_ec_from_point(p256, q, qlen, d1, &pk), SSH_ERR_FORMAT);
	CHECK(pk == NULL);
	/* a point off the curve */
	q[qlen - 1] ^= 1;
	CHECK_EQ_INT(sshkey_ec_from_point(p256, q, qlen, NULL, &pk), SSH_ERR_FORMAT);
	CHECK(pk == NULL);
	CHECK_EQ_INT(ERR_peek_error(), 0);

	for (i = 0; i < 8; i++) {
		BN_clear_free(bn[i]);
	}
	BN_clear_free(d);
	BN_clear_free(d1);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

int main(void)
{
	test_rollback_after_compaction();
	test_table();
	test_blobs();
	test_bad_blobs();
	test_known_answers();
	test_ecdsa_conv();
	test_roundtrip();
	test_rsa_sizes();
	test_blob_sweep();
	test_from_params();
	test_builders();
	T_DONE();
}
