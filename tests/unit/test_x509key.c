/*
 * RFC 6187 blobs (x509key.c) and the x509v3 rows of sshkey.c. Fixtures from
 * data/x509_make_fixtures.sh: certificates made with the openssl CLI, host-key blobs and
 * signatures captured from asyncssh (the blobs equal the K_S of a live asyncssh server).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "err.h"
#include "sshkey.h"
#include "t.h"
#include "t_sign.h"
#include "x509key.h"

#define FIX_DATA "x509ssh fixture: exchange hash H"

struct fixture {
	const char *alg;   /* negotiated name */
	const char *base;  /* data/<base>.bin, .sig */
	const char *key;   /* data/x509_<key>.key.pem, .der */
	size_t ncerts;     /* leaf + intermediate, or the bare leaf */
	int deterministic; /* our signature must equal asyncssh's byte for byte (RSA) */
};

static const struct fixture fixtures[] = {
    {"x509v3-ssh-rsa", "x509_ssh_rsa", "rsa2048", 2, 1},
    {"x509v3-rsa2048-sha256", "x509_rsa2048_sha256", "rsa2048", 2, 1},
    {"x509v3-ecdsa-sha2-nistp256", "x509_nistp256", "ec256", 2, 0},
    {"x509v3-ecdsa-sha2-nistp384", "x509_nistp384", "ec384", 2, 0},
    {"x509v3-ecdsa-sha2-nistp521", "x509_nistp521", "ec521", 2, 0},
    {"x509v3-ssh-rsa", "x509_rsa1024_ssh_rsa", "rsa1024", 2, 1},
    {"x509v3-sign-rsa", "x509_sign_rsa", "rsa2048", 1, 1},
};
#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static uint8_t *loadf(const char *fmt, const char *a, size_t *len)
{
	char path[256];

	snprintf(path, sizeof(path), fmt, a);
	return t_slurp(path, len);
}

static EVP_PKEY *load_priv(const char *key)
{
	char path[256];
	EVP_PKEY *pk = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "data/x509_%s.key.pem", key);
	if ((f = fopen(path, "r")) == NULL) {
		return NULL;
	}
	pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return pk;
}

static const uint8_t *fix_data(void)
{
	return (const uint8_t *)FIX_DATA;
}

/* ---- the table rows ---- */

static void test_rows(void)
{
	static const struct {
		const char *name, *sig, *digest;
		int type;
		const char *curve;
	} rows[] = {
	    {"x509v3-ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", "SHA256", EVP_PKEY_EC, "P-256"},
	    {"x509v3-ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", "SHA384", EVP_PKEY_EC, "P-384"},
	    {"x509v3-ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521", "SHA512", EVP_PKEY_EC, "P-521"},
	    {"x509v3-rsa2048-sha256", "rsa2048-sha256", "SHA256", EVP_PKEY_RSA, NULL},
	    {"x509v3-ssh-rsa", "ssh-rsa", "SHA1", EVP_PKEY_RSA, NULL},
	    {"x509v3-sign-rsa", "x509v3-sign-rsa", "SHA1", EVP_PKEY_RSA, NULL},
	};
	const struct hostkey_alg *a;
	size_t i, nx = 0;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		a = hostkey_alg_by_name(rows[i].name);
		CHECK(a != NULL);
		if (a == NULL) {
			continue;
		}
		CHECK_STR(a->blob_name, rows[i].name);
		CHECK_STR(a->sig_name, rows[i].sig);
		CHECK_STR(a->digest, rows[i].digest);
		CHECK_EQ_INT(a->pkey_type, rows[i].type);
		CHECK(rows[i].curve == NULL
		          ? a->curve == NULL
		          : a->curve != NULL && strcmp(a->curve, rows[i].curve) == 0);
		/* the pre-RFC row alone has a bare-certificate blob */
		CHECK_EQ_INT(a->flags,
		    HK_FLAG_DEFAULT | HK_FLAG_X509 |
		        (strcmp(rows[i].name, "x509v3-sign-rsa") == 0 ? HK_FLAG_SINGLE_CERT : 0));
		CHECK_EQ_INT((int)a->field_len, rows[i].curve == NULL                 ? 0
		                                : strcmp(rows[i].curve, "P-256") == 0 ? 32
		                                : strcmp(rows[i].curve, "P-384") == 0 ? 48
		                                                                      : 66);
		CHECK_EQ_INT(
		    a->min_bits, strcmp(rows[i].name, "x509v3-rsa2048-sha256") == 0 ? 2048 : 0);
	}
	/* the plain rows come first, all x509v3 rows after them */
	for (i = 0; (a = hostkey_alg_at(i)) != NULL; i++) {
		if ((a->flags & HK_FLAG_X509) != 0) {
			nx++;
			CHECK(strncmp(a->name, "x509v3-", 7) == 0);
		} else {
			CHECK_EQ_INT(nx, 0);
		}
	}
	CHECK_EQ_INT(nx, 6);
}

/* ---- fixtures: parse, leaf key, build, signatures ---- */

static void check_fixture(const struct fixture *fx)
{
	const struct hostkey_alg *a = hostkey_alg_by_name(fx->alg);
	struct x509_blob b;
	struct buf out, sig;
	uint8_t *blob = NULL, *s = NULL, *leaf = NULL, *inter = NULL;
	size_t blen, slen, leaflen, interlen;
	EVP_PKEY *pk = NULL, *priv = NULL;
	char *desc = NULL, cn[64];

	buf_init(&out);
	buf_init(&sig);
	blob = loadf("data/%s.bin", fx->base, &blen);
	s = loadf("data/%s.sig", fx->base, &slen);
	leaf = loadf("data/x509_%s.der", fx->key, &leaflen);
	inter = t_slurp("data/x509_inter.der", &interlen);
	priv = load_priv(fx->key);
	CHECK(a != NULL && blob != NULL && s != NULL && leaf != NULL && inter != NULL &&
	      priv != NULL);
	if (a == NULL || blob == NULL || s == NULL || leaf == NULL || inter == NULL ||
	    priv == NULL) {
		goto out;
	}
	/* parse */
	CHECK_EQ_INT(x509blob_parse(a, blob, blen, 0, &b), 0);
	CHECK(b.alg == a);
	CHECK_EQ_INT(b.ncerts, fx->ncerts);
	CHECK_EQ_INT(b.nocsp, 0);
	/* the blob alone names its row (an agent's key list) */
	CHECK(x509blob_row_of(blob, blen) == a);
	CHECK(b.cert_len[0] == leaflen && memcmp(b.cert[0], leaf, leaflen) == 0);
	if (fx->ncerts == 2) {
		CHECK(b.cert_len[1] == interlen && memcmp(b.cert[1], inter, interlen) == 0);
	} else {
		CHECK(b.cert[0] == blob && b.cert_len[0] == blen);
	}
	/* the chain cap */
	CHECK_EQ_INT(x509blob_parse(a, blob, blen, fx->ncerts, &b), 0);
	if (fx->ncerts > 1) {
		CHECK_EQ_INT(x509blob_parse(a, blob, blen, fx->ncerts - 1, &b), SSH_ERR_TOO_LARGE);
		CHECK_EQ_INT(b.ncerts, 0);
		CHECK_EQ_INT(x509blob_parse(a, blob, blen, 0, &b), 0);
	}
	/* the leaf's key is the fixture's key */
	CHECK_EQ_INT(x509blob_leaf_key(&b, &pk), 0);
	CHECK(pk != NULL && EVP_PKEY_eq(pk, priv) == 1);
	CHECK(sshkey_fits_alg(pk, a));
	/* build == the captured bytes */
	CHECK_EQ_INT(x509blob_build(a, b.cert, b.cert_len, b.ncerts, &out), 0);
	CHECK(buf_len(&out) == blen && memcmp(buf_ptr(&out), blob, blen) == 0);
	/* asyncssh's signature verifies; other data or a cut signature does not */
	CHECK_EQ_INT(sshsig_verify(a, pk, s, slen, fix_data(), strlen(FIX_DATA)), 0);
	CHECK_EQ_INT(
	    sshsig_verify(a, pk, s, slen, fix_data(), strlen(FIX_DATA) - 1), SSH_ERR_SIGNATURE);
	CHECK(sshsig_verify(a, pk, s, slen - 1, fix_data(), strlen(FIX_DATA)) != 0);
	/* ours verifies, and RSA (deterministic) equals asyncssh's byte for byte */
	CHECK_EQ_INT(sshsig_sign(a, priv, fix_data(), strlen(FIX_DATA), &sig), 0);
	CHECK_EQ_INT(
	    sshsig_verify(a, pk, buf_ptr(&sig), buf_len(&sig), fix_data(), strlen(FIX_DATA)), 0);
	if (fx->deterministic) {
		CHECK(buf_len(&sig) == slen && memcmp(buf_ptr(&sig), s, slen) == 0);
	}
	/* description names the leaf */
	CHECK_EQ_INT(x509blob_describe(&b, &desc), 0);
	snprintf(cn, sizeof(cn), "CN=%s.x509ssh.test", fx->key);
	CHECK(desc != NULL && strncmp(desc, fx->alg, strlen(fx->alg)) == 0 && strstr(desc, cn));
out:
	free(desc);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(priv);
	buf_free(&out);
	buf_free(&sig);
	free(blob);
	free(s);
	free(leaf);
	free(inter);
}

static void test_fixtures(void)
{
	size_t i;

	for (i = 0; i < N_FIXTURES; i++) {
		check_fixture(&fixtures[i]);
	}
}

/* blobs that are no X.509 key blob: no row */
static void test_row_of(void)
{
	static const uint8_t ed[] = {
	    0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5', '1', '9', 0, 0, 0, 1, 0};
	/* "x509v3-sign-rsa" as a name string: that row's blob is the bare certificate */
	static const uint8_t named[] = {0, 0, 0, 15, 'x', '5', '0', '9', 'v', '3', '-', 's', 'i',
	    'g', 'n', '-', 'r', 's', 'a', 0x30, 0};
	static const uint8_t shortder[] = {0x30, 0x05, 0x02, 0x01};
	size_t len;
	uint8_t *blob = loadf("data/%s.bin", "x509_sign_rsa", &len);

	CHECK(x509blob_row_of(ed, sizeof(ed)) == NULL);
	CHECK(x509blob_row_of(named, sizeof(named)) == NULL);
	CHECK(x509blob_row_of(shortder, sizeof(shortder)) == NULL);
	CHECK(x509blob_row_of(NULL, 0) == NULL);
	CHECK(blob != NULL && len > 1);
	if (blob != NULL && len > 1) {
		/* a certificate with a byte more or less is no bare certificate */
		CHECK(x509blob_row_of(blob, len - 1) == NULL);
		CHECK(x509blob_row_of(blob, len) == hostkey_alg_by_name("x509v3-sign-rsa"));
	}
	free(blob);
}

/* x509_der_stack: certificates in order; one that does not decode exactly fails the whole */
static void test_der_stack(void)
{
	size_t lens[2], padlen;
	uint8_t *der[2], *pad;
	STACK_OF(X509) *st = NULL;

	der[0] = t_slurp("data/x509_rsa2048.der", &lens[0]);
	der[1] = t_slurp("data/x509_inter.der", &lens[1]);
	CHECK(der[0] != NULL && der[1] != NULL);
	if (der[0] == NULL || der[1] == NULL) {
		goto out;
	}
	CHECK_EQ_INT(x509_der_stack((const uint8_t *const *)der, lens, 2, &st), 0);
	CHECK(st != NULL && sk_X509_num(st) == 2);
	if (st != NULL && sk_X509_num(st) == 2) {
		X509 *leaf = NULL;
		const unsigned char *p = der[0];
		CHECK((leaf = d2i_X509(NULL, &p, (long)lens[0])) != NULL);
		CHECK(leaf != NULL && X509_cmp(leaf, sk_X509_value(st, 0)) == 0);
		X509_free(leaf);
	}
	sk_X509_pop_free(st, X509_free);
	st = NULL;
	CHECK_EQ_INT(x509_der_stack((const uint8_t *const *)der, lens, 0, &st), 0);
	CHECK(st != NULL && sk_X509_num(st) == 0);
	sk_X509_pop_free(st, X509_free);
	st = NULL;
	/* a byte after the second certificate */
	if ((pad = malloc(lens[1] + 1)) != NULL) {
		memcpy(pad, der[1], lens[1]);
		pad[lens[1]] = 0;
		padlen = lens[1] + 1;
		const uint8_t *const bad[2] = {der[0], pad};
		const size_t badlens[2] = {lens[0], padlen};
		CHECK_EQ_INT(x509_der_stack(bad, badlens, 2, &st), SSH_ERR_FORMAT);
		CHECK(st == NULL);
		/* cut short */
		CHECK_EQ_INT(x509_der_stack((const uint8_t *const *)der,
		                 (size_t[]){lens[0] - 1, lens[1]}, 2, &st),
		    SSH_ERR_FORMAT);
		CHECK(st == NULL);
		free(pad);
	}
out:
	free(der[0]);
	free(der[1]);
}

/* the inner signature name must equal the row's exactly */
static void test_inner_names(void)
{
	const struct hostkey_alg *ssh_rsa = hostkey_alg_by_name("x509v3-ssh-rsa");
	const struct hostkey_alg *rsa2048 = hostkey_alg_by_name("x509v3-rsa2048-sha256");
	const struct hostkey_alg *sign_rsa = hostkey_alg_by_name("x509v3-sign-rsa");
	const struct hostkey_alg *plain = hostkey_alg_by_name("ssh-rsa");
	const struct hostkey_alg *p256 = hostkey_alg_by_name("x509v3-ecdsa-sha2-nistp256");
	const struct hostkey_alg *plain256 = hostkey_alg_by_name("ecdsa-sha2-nistp256");
	uint8_t *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;
	size_t l1, l2, l3, l4;
	EVP_PKEY *rsa = load_priv("rsa2048"), *ec = load_priv("ec256");
	const uint8_t *d = fix_data();
	size_t dl = strlen(FIX_DATA);
	struct rd r;
	const uint8_t *name, *raw;
	size_t nlen, rawlen;
	struct buf re;

	buf_init(&re);
	s1 = t_slurp("data/x509_ssh_rsa.sig", &l1);
	s2 = t_slurp("data/x509_rsa2048_sha256.sig", &l2);
	s3 = t_slurp("data/x509_sign_rsa.sig", &l3);
	s4 = t_slurp("data/x509_nistp256.sig", &l4);
	CHECK(s1 && s2 && s3 && s4 && rsa && ec);
	if (!(s1 && s2 && s3 && s4 && rsa && ec)) {
		goto out;
	}
	/* "ssh-rsa" under x509v3-rsa2048-sha256 and vice versa */
	CHECK_EQ_INT(sshsig_verify(rsa2048, rsa, s1, l1, d, dl), SSH_ERR_SIGNATURE);
	CHECK_EQ_INT(sshsig_verify(ssh_rsa, rsa, s2, l2, d, dl), SSH_ERR_SIGNATURE);
	CHECK_EQ_INT(sshsig_verify(sign_rsa, rsa, s1, l1, d, dl), SSH_ERR_SIGNATURE);
	CHECK_EQ_INT(sshsig_verify(ssh_rsa, rsa, s3, l3, d, dl), SSH_ERR_SIGNATURE);
	CHECK_EQ_INT(sshsig_verify(sign_rsa, rsa, s3, l3, d, dl), 0);
	/* the x509v3-ssh-rsa signature is the plain ssh-rsa encoding (same name, SHA-1) */
	CHECK_EQ_INT(sshsig_verify(plain, rsa, s1, l1, d, dl), 0);
	CHECK_EQ_INT(sshsig_verify(p256, ec, s4, l4, d, dl), 0);
	CHECK_EQ_INT(sshsig_verify(plain256, ec, s4, l4, d, dl), 0);
	/* the SHA-256 signature relabelled "ssh-rsa" fails on the hash, not the name */
	r = rd_make(s2, l2);
	CHECK_EQ_INT(rd_string(&r, &name, &nlen), 0);
	CHECK_EQ_INT(rd_string(&r, &raw, &rawlen), 0);
	CHECK_EQ_INT(buf_put_cstring(&re, "ssh-rsa"), 0);
	CHECK_EQ_INT(buf_put_string(&re, raw, rawlen), 0);
	CHECK_EQ_INT(
	    sshsig_verify(ssh_rsa, rsa, buf_ptr(&re), buf_len(&re), d, dl), SSH_ERR_SIGNATURE);
	/* case and prefix variants of the name */
	buf_reset(&re);
	CHECK_EQ_INT(buf_put_cstring(&re, "RSA2048-SHA256"), 0);
	CHECK_EQ_INT(buf_put_string(&re, raw, rawlen), 0);
	CHECK_EQ_INT(
	    sshsig_verify(rsa2048, rsa, buf_ptr(&re), buf_len(&re), d, dl), SSH_ERR_SIGNATURE);
	buf_reset(&re);
	CHECK_EQ_INT(buf_put_cstring(&re, "x509v3-rsa2048-sha256"), 0);
	CHECK_EQ_INT(buf_put_string(&re, raw, rawlen), 0);
	CHECK_EQ_INT(
	    sshsig_verify(rsa2048, rsa, buf_ptr(&re), buf_len(&re), d, dl), SSH_ERR_SIGNATURE);
	/* the same bytes under the right name verify (the checks above failed on the name) */
	buf_reset(&re);
	CHECK_EQ_INT(buf_put_cstring(&re, "rsa2048-sha256"), 0);
	CHECK_EQ_INT(buf_put_string(&re, raw, rawlen), 0);
	CHECK_EQ_INT(sshsig_verify(rsa2048, rsa, buf_ptr(&re), buf_len(&re), d, dl), 0);
out:
	buf_free(&re);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	free(s1);
	free(s2);
	free(s3);
	free(s4);
}

/* RSA-1024: fine for x509v3-ssh-rsa, refused for x509v3-rsa2048-sha256 */
static void test_rsa1024(void)
{
	const struct hostkey_alg *ssh_rsa = hostkey_alg_by_name("x509v3-ssh-rsa");
	const struct hostkey_alg *rsa2048 = hostkey_alg_by_name("x509v3-rsa2048-sha256");
	uint8_t *blob = NULL;
	size_t blen;
	struct x509_blob b, b2;
	struct buf re, sig;
	EVP_PKEY *pk = NULL, *priv = load_priv("rsa1024"), *big = load_priv("rsa2048");

	buf_init(&re);
	buf_init(&sig);
	blob = t_slurp("data/x509_rsa1024_ssh_rsa.bin", &blen);
	CHECK(blob != NULL && priv != NULL && big != NULL);
	if (blob == NULL || priv == NULL || big == NULL) {
		goto out;
	}
	CHECK_EQ_INT(x509blob_parse(ssh_rsa, blob, blen, 0, &b), 0);
	CHECK_EQ_INT(x509blob_leaf_key(&b, &pk), 0);
	CHECK(sshkey_fits_alg(pk, ssh_rsa));
	CHECK(!sshkey_fits_alg(pk, rsa2048));
	CHECK(sshkey_fits_alg(big, rsa2048));
	EVP_PKEY_free(pk);
	pk = NULL;
	/* the same chain sent as x509v3-rsa2048-sha256: the blob parses, the key is refused */
	CHECK_EQ_INT(x509blob_build(rsa2048, b.cert, b.cert_len, b.ncerts, &re), 0);
	CHECK_EQ_INT(x509blob_parse(rsa2048, buf_ptr(&re), buf_len(&re), 0, &b2), 0);
	CHECK_EQ_INT(x509blob_leaf_key(&b2, &pk), SSH_ERR_KEY_TYPE);
	CHECK(pk == NULL);
	/* and neither signing nor verifying works with it for that row */
	CHECK_EQ_INT(sshsig_sign(rsa2048, priv, fix_data(), 4, &sig), SSH_ERR_KEY_TYPE);
	CHECK_EQ_INT(buf_len(&sig), 0);
	CHECK_EQ_INT(sshsig_sign(ssh_rsa, priv, fix_data(), 4, &sig), 0);
	buf_reset(&sig);
	CHECK_EQ_INT(buf_put_cstring(&sig, "rsa2048-sha256"), 0);
	CHECK_EQ_INT(buf_put_string(&sig, blob, 128), 0);
	CHECK_EQ_INT(sshsig_verify(rsa2048, priv, buf_ptr(&sig), buf_len(&sig), fix_data(), 4),
	    SSH_ERR_KEY_TYPE);
out:
	EVP_PKEY_free(pk);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(big);
	buf_free(&re);
	buf_free(&sig);
	free(blob);
}

/* a leaf of the wrong type or curve for the row */
static void test_wrong_key_type(void)
{
	const struct hostkey_alg *p256 = hostkey_alg_by_name("x509v3-ecdsa-sha2-nistp256");
	const struct hostkey_alg *p384 = hostkey_alg_by_name("x509v3-ecdsa-sha2-nistp384");
	const struct hostkey_alg *ssh_rsa = hostkey_alg_by_name("x509v3-ssh-rsa");
	uint8_t *ec = NULL, *rsa = NULL;
	size_t eclen, rsalen;
	const uint8_t *certs[1];
	size_t lens[1];
	struct buf bb;
	struct x509_blob b;
	EVP_PKEY *pk = NULL;

	buf_init(&bb);
	ec = t_slurp("data/x509_ec256.der", &eclen);
	rsa = t_slurp("data/x509_rsa2048.der", &rsalen);
	CHECK(ec != NULL && rsa != NULL);
	if (ec == NULL || rsa == NULL) {
		goto out;
	}
	certs[0] = ec;
	lens[0] = eclen;
	CHECK_EQ_INT(x509blob_build(p384, certs, lens, 1, &bb), 0);
	CHECK_EQ_INT(x509blob_parse(p384, buf_ptr(&bb), buf_len(&bb), 0, &b), 0);
	CHECK_EQ_INT(x509blob_leaf_key(&b, &pk), SSH_ERR_KEY_TYPE);
	buf_reset(&bb);
	CHECK_EQ_INT(x509blob_build(ssh_rsa, certs, lens, 1, &bb), 0);
	CHECK_EQ_INT(x509blob_parse(ssh_rsa, buf_ptr(&bb), buf_len(&bb), 0, &b), 0);
	CHECK_EQ_INT(x509blob_leaf_key(&b, &pk), SSH_ERR_KEY_TYPE);
	buf_reset(&bb);
	certs[0] = rsa;
	lens[0] = rsalen;
	CHECK_EQ_INT(x509blob_build(p256, certs, lens, 1, &bb), 0);
	CHECK_EQ_INT(x509blob_parse(p256, buf_ptr(&bb), buf_len(&bb), 0, &b), 0);
	CHECK_EQ_INT(x509blob_leaf_key(&b, &pk), SSH_ERR_KEY_TYPE);
	CHECK(pk == NULL);
out:
	EVP_PKEY_free(pk);
	buf_free(&bb);
	free(ec);
	free(rsa);
}

/* ---- hand-made blobs ---- */

/* name, count, count x cert, nocsp, nocsp x ocsp */
static void make(struct buf *o, const char *name, uint32_t count, uint32_t ncert_written,
    const uint8_t *cert, size_t clen, uint32_t nocsp, uint32_t nocsp_written)
{
	uint32_t i;
	static const uint8_t resp[] = {0x30, 0x03, 0x0a, 0x01, 0x00};

	buf_reset(o);
	CHECK_EQ_INT(buf_put_cstring(o, name), 0);
	CHECK_EQ_INT(buf_put_u32(o, count), 0);
	for (i = 0; i < ncert_written; i++) {
		CHECK_EQ_INT(buf_put_string(o, cert, clen), 0);
	}
	CHECK_EQ_INT(buf_put_u32(o, nocsp), 0);
	for (i = 0; i < nocsp_written; i++) {
		CHECK_EQ_INT(buf_put_string(o, resp, i % 2 == 0 ? sizeof(resp) : 0), 0);
	}
}

static void test_malformed(void)
{
	const char *n = "x509v3-ssh-rsa";
	const struct hostkey_alg *a = hostkey_alg_by_name(n);
	const struct hostkey_alg *sr = hostkey_alg_by_name("x509v3-sign-rsa");
	const struct hostkey_alg *plain = hostkey_alg_by_name("rsa-sha2-256");
	const struct hostkey_alg *r2 = hostkey_alg_by_name("x509v3-rsa2048-sha256");
	static const uint8_t notcert[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	static const uint8_t indef[] = {0x30, 0x80, 0x02, 0x01, 0x00, 0x00, 0x00};
	static const uint8_t longform[] = {0x30, 0x81, 0x03, 0x02, 0x01, 0x00};
	static const uint8_t notseq[] = {0x31, 0x03, 0x02, 0x01, 0x00};
	static const uint8_t shortbody[] = {0x30, 0x04, 0x02, 0x01, 0x00};
	static const uint8_t extra[] = {0x30, 0x03, 0x02, 0x01, 0x00, 0x00};
	uint8_t *leaf = NULL, *blob = NULL, *tmp = NULL;
	size_t leaflen, blen, i;
	struct buf o;
	struct x509_blob b;
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;

	buf_init(&o);
	leaf = t_slurp("data/x509_rsa2048.der", &leaflen);
	blob = t_slurp("data/x509_ssh_rsa.bin", &blen);
	CHECK(leaf != NULL && blob != NULL && a != NULL && sr != NULL);
	if (leaf == NULL || blob == NULL || a == NULL || sr == NULL) {
		goto out;
	}
	/* the baseline is good */
	make(&o, n, 1, 1, leaf, leaflen, 0, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), 0);
	CHECK_EQ_INT(b.ncerts, 1);
	/* count 0 */
	make(&o, n, 0, 0, leaf, leaflen, 0, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_FORMAT);
	/* over the cap: 17 > X509_BLOB_MAX; 11 > max_chain 10; exactly 16 is fine */
	make(&o, n, 17, 17, leaf, leaflen, 0, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_TOO_LARGE);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 64, &b), SSH_ERR_TOO_LARGE);
	make(&o, n, 11, 11, leaf, leaflen, 0, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 10, &b), SSH_ERR_TOO_LARGE);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 11, &b), 0);
	make(&o, n, 16, 16, leaf, leaflen, 16, 16);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), 0);
	CHECK_EQ_INT(b.ncerts, 16);
	CHECK_EQ_INT(b.nocsp, 16);
	CHECK_EQ_INT(b.ocsp_len[0], 5);
	CHECK_EQ_INT(b.ocsp_len[1], 0);
	CHECK(b.ocsp[14] > b.cert[15] && b.ocsp[14] + 5 <= buf_ptr(&o) + buf_len(&o));
	/* a count announcing more than is there */
	make(&o, n, 0xffffffffu, 1, leaf, leaflen, 0, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_TOO_LARGE);
	make(&o, n, 3, 2, leaf, leaflen, 0, 0);
	CHECK(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b) < 0);
	/* OCSP responses: up to the certificate count, not more */
	make(&o, n, 2, 2, leaf, leaflen, 2, 2);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), 0);
	CHECK_EQ_INT(b.nocsp, 2);
	make(&o, n, 2, 2, leaf, leaflen, 3, 3);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_FORMAT);
	make(&o, n, 1, 1, leaf, leaflen, 0xffffffffu, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_FORMAT);
	make(&o, n, 2, 2, leaf, leaflen, 2, 1);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_INCOMPLETE);
	/* trailing bytes */
	make(&o, n, 1, 1, leaf, leaflen, 0, 0);
	CHECK_EQ_INT(buf_put_u8(&o, 0), 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_FORMAT);
	tmp = malloc(blen + 1);
	CHECK(tmp != NULL);
	if (tmp != NULL) {
		memcpy(tmp, blob, blen);
		tmp[blen] = 0;
		CHECK_EQ_INT(x509blob_parse(a, tmp, blen + 1, 0, &b), SSH_ERR_FORMAT);
		CHECK_EQ_INT(b.ncerts, 0);
	}
	/* wrong name: another x509v3 row, a plain row, a prefix, a case variant */
	CHECK_EQ_INT(x509blob_parse(r2, blob, blen, 0, &b), SSH_ERR_KEY_TYPE);
	CHECK_EQ_INT(x509blob_parse(plain, blob, blen, 0, &b), SSH_ERR_KEY_TYPE);
	CHECK_EQ_INT(x509blob_parse(NULL, blob, blen, 0, &b), SSH_ERR_KEY_TYPE);
	make(&o, "x509v3-ssh-rs", 1, 1, leaf, leaflen, 0, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_KEY_TYPE);
	make(&o, "X509v3-ssh-rsa", 1, 1, leaf, leaflen, 0, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_KEY_TYPE);
	/* certificates: empty, not one DER SEQUENCE */
	make(&o, n, 1, 1, leaf, 0, 0, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_FORMAT);
	make(&o, n, 1, 1, indef, sizeof(indef), 0, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_FORMAT);
	make(&o, n, 1, 1, longform, sizeof(longform), 0, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_FORMAT);
	make(&o, n, 1, 1, notseq, sizeof(notseq), 0, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_FORMAT);
	make(&o, n, 1, 1, shortbody, sizeof(shortbody), 0, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_FORMAT);
	make(&o, n, 1, 1, extra, sizeof(extra), 0, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_FORMAT);
	make(&o, n, 1, 1, leaf, leaflen - 1, 0, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), SSH_ERR_FORMAT);
	/* a SEQUENCE that is no certificate: parses, but has no leaf key */
	make(&o, n, 1, 1, notcert, sizeof(notcert), 0, 0);
	CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), 0);
	CHECK_EQ_INT(x509blob_leaf_key(&b, &pk), SSH_ERR_FORMAT);
	CHECK_EQ_INT(x509blob_leaf_cert(&b, &x), SSH_ERR_FORMAT);
	CHECK(pk == NULL && x == NULL);
	/* x509v3-sign-rsa: exactly one bare DER certificate */
	CHECK_EQ_INT(x509blob_parse(sr, leaf, leaflen, 0, &b), 0);
	CHECK(b.cert[0] == leaf && b.ncerts == 1 && b.nocsp == 0);
	CHECK_EQ_INT(x509blob_parse(sr, leaf, leaflen - 1, 0, &b), SSH_ERR_FORMAT);
	CHECK_EQ_INT(x509blob_parse(sr, blob, blen, 0, &b), SSH_ERR_FORMAT);
	CHECK_EQ_INT(x509blob_parse(sr, leaf, 0, 0, &b), SSH_ERR_FORMAT);
	CHECK_EQ_INT(x509blob_parse(sr, indef, sizeof(indef), 0, &b), SSH_ERR_FORMAT);
	if (tmp != NULL) {
		memcpy(tmp, leaf, leaflen);
		tmp[leaflen] = 0x30;
		CHECK_EQ_INT(x509blob_parse(sr, tmp, leaflen + 1, 0, &b), SSH_ERR_FORMAT);
	}
	/* build: refusals leave the buffer alone */
	{
		const uint8_t *c[X509_BLOB_MAX + 1];
		size_t l[X509_BLOB_MAX + 1];

		for (i = 0; i < X509_BLOB_MAX + 1; i++) {
			c[i] = leaf;
			l[i] = leaflen;
		}
		buf_reset(&o);
		CHECK_EQ_INT(buf_put_u8(&o, 7), 0);
		CHECK_EQ_INT(x509blob_build(a, c, l, 0, &o), SSH_ERR_INTERNAL);
		CHECK_EQ_INT(x509blob_build(a, c, l, X509_BLOB_MAX + 1, &o), SSH_ERR_TOO_LARGE);
		CHECK_EQ_INT(x509blob_build(plain, c, l, 1, &o), SSH_ERR_KEY_TYPE);
		l[1] = 0;
		CHECK_EQ_INT(x509blob_build(a, c, l, 2, &o), SSH_ERR_FORMAT);
		l[1] = leaflen - 1;
		CHECK_EQ_INT(x509blob_build(a, c, l, 2, &o), SSH_ERR_FORMAT);
		CHECK_EQ_INT(buf_len(&o), 1);
		l[1] = leaflen;
		/* sign-rsa writes the leaf only */
		CHECK_EQ_INT(x509blob_build(sr, c, l, 2, &o), 0);
		CHECK(buf_len(&o) == 1 + leaflen && memcmp(buf_ptr(&o) + 1, leaf, leaflen) == 0);
		/* a full cap round trip */
		buf_reset(&o);
		CHECK_EQ_INT(x509blob_build(a, c, l, X509_BLOB_MAX, &o), 0);
		CHECK_EQ_INT(x509blob_parse(a, buf_ptr(&o), buf_len(&o), 0, &b), 0);
		CHECK_EQ_INT(b.ncerts, X509_BLOB_MAX);
	}
out:
	buf_free(&o);
	free(leaf);
	free(blob);
	free(tmp);
}

/* the view points into the blob, in order, and covers it */
static int view_consistent(const struct x509_blob *b, const uint8_t *p, size_t n)
{
	size_t i;

	if (b->ncerts == 0 || b->ncerts > X509_BLOB_MAX || b->nocsp > b->ncerts) {
		return 0;
	}
	for (i = 0; i < b->ncerts; i++) {
		if (b->cert[i] < p || b->cert_len[i] == 0 || b->cert[i] + b->cert_len[i] > p + n ||
		    b->cert[i][0] != 0x30) {
			return 0;
		}
	}
	for (i = 0; i < b->nocsp; i++) {
		if (b->ocsp[i] < p || b->ocsp[i] + b->ocsp_len[i] > p + n) {
			return 0;
		}
	}
	return 1;
}

/* every truncation fails; single-bit flips never crash and give an error or a consistent view
 * (whose leaf, when it decodes, yields a key that fits the row or a refusal) */
static void sweep(const struct fixture *fx)
{
	const struct hostkey_alg *a = hostkey_alg_by_name(fx->alg);
	uint8_t *blob = NULL, *m = NULL, *s = NULL;
	size_t blen, slen, i, bad = 0, ok = 0;
	struct x509_blob b;
	EVP_PKEY *pk = NULL;
	int e;

	blob = loadf("data/%s.bin", fx->base, &blen);
	s = loadf("data/%s.sig", fx->base, &slen);
	CHECK(blob != NULL && s != NULL && a != NULL);
	if (blob == NULL || s == NULL || a == NULL) {
		goto out;
	}
	for (i = 0; i < blen; i = t_sweep_next(i, blen)) {
		/* a fresh allocation of exactly i bytes so ASan sees any over-read */
		m = malloc(i + 1);
		memcpy(m, blob, i);
		if (x509blob_parse(a, m, i, 0, &b) == 0) {
			bad++;
		}
		free(m);
		m = NULL;
	}
	CHECK_EQ_INT(bad, 0);
	m = malloc(blen);
	for (i = 0; i < blen * 8; i = t_sweep_next_bit(i, blen * 8)) {
		memcpy(m, blob, blen);
		m[i / 8] ^= (uint8_t)(1u << (i % 8));
		e = x509blob_parse(a, m, blen, 0, &b);
		if (e != 0) {
			bad += e > 0 || b.ncerts != 0;
			continue;
		}
		ok++;
		bad += !view_consistent(&b, m, blen);
		/* decode the leaf for a deterministic sample of the flips (all of them would
		 * make valgrind runs long); a sampled sweep (t.h) decodes every flip it visits */
		if (t_sweep_step() == 1 && i % 31 != 0) {
			continue;
		}
		if ((e = x509blob_leaf_key(&b, &pk)) == 0) {
			bad += !sshkey_fits_alg(pk, a);
			/* a flipped key or signature never verifies; an untouched key still can */
			e = sshsig_verify(a, pk, s, slen, fix_data(), strlen(FIX_DATA));
			bad += e != 0 && e != SSH_ERR_SIGNATURE;
			EVP_PKEY_free(pk);
			pk = NULL;
		} else {
			bad += e != SSH_ERR_FORMAT && e != SSH_ERR_KEY_TYPE;
		}
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(ok > 0); /* flips inside certificate bodies keep the outer structure */
out:
	free(m);
	free(blob);
	free(s);
}

static void test_sweeps(void)
{
	size_t i;

	for (i = 0; i < N_FIXTURES; i++) {
		sweep(&fixtures[i]);
	}
}

/* ---- signatures for every x509v3 row ---- */

static void test_sign_all_rows(void)
{
	const struct hostkey_alg *a;
	struct buf sig, blob;
	EVP_PKEY *priv = NULL;
	size_t i;
	static const uint8_t d[] = "exchange hash H";

	buf_init(&sig);
	buf_init(&blob);
	for (i = 0; (a = hostkey_alg_at(i)) != NULL; i++) {
		if ((a->flags & HK_FLAG_X509) == 0) {
			continue;
		}
		/* the fixture keys (key generation would make the test slow) */
		priv = load_priv(a->pkey_type == EVP_PKEY_RSA     ? "rsa2048"
		                 : strcmp(a->curve, "P-256") == 0 ? "ec256"
		                 : strcmp(a->curve, "P-384") == 0 ? "ec384"
		                                                  : "ec521");
		CHECK(priv != NULL);
		t_sshsig_sign_ok(a, priv, d, sizeof(d), &sig); /* named for the row, verifies */
		CHECK_EQ_INT(sshsig_verify(a, priv, buf_ptr(&sig), buf_len(&sig), d, sizeof(d) - 1),
		    SSH_ERR_SIGNATURE);
		/* certificate rows have no plain key blob */
		buf_reset(&blob);
		CHECK_EQ_INT(sshkey_to_blob(priv, a, &blob), SSH_ERR_KEY_TYPE);
		CHECK_EQ_INT(buf_len(&blob), 0);
		EVP_PKEY_free(priv);
		priv = NULL;
	}
	buf_free(&sig);
	buf_free(&blob);
}

/* (issue 8 #5) each cap of a host-key blob has its own message: a certificate over 64 KiB is
 * not "more certificates than X509MaxChain" */
static void test_cap_messages(void)
{
	const struct hostkey_alg *a = hostkey_alg_by_name("x509v3-ssh-rsa");
	const struct hostkey_alg *sr = hostkey_alg_by_name("x509v3-sign-rsa");
	static const uint8_t small[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	size_t biglen = X509_BLOB_ITEM_MAX + 8, i;
	uint8_t *big = calloc(1, biglen);
	struct x509_blob b;
	struct buf o;
	char why[256];
	int r;

	buf_init(&o);
	CHECK(big != NULL && a != NULL && sr != NULL);
	if (big == NULL || a == NULL || sr == NULL) {
		goto out;
	}
	/* one DER SEQUENCE of biglen bytes */
	big[0] = 0x30;
	big[1] = 0x83;
	big[2] = (uint8_t)((biglen - 5) >> 16);
	big[3] = (uint8_t)((biglen - 5) >> 8);
	big[4] = (uint8_t)(biglen - 5);
	/* one certificate of 65544 bytes in a chain of two */
	make(&o, a->name, 2, 0, small, 0, 0, 0);
	buf_consume_end(&o, 4); /* drop the OCSP count: certificates go in by hand */
	buf_put_string(&o, small, sizeof(small));
	buf_put_string(&o, big, biglen);
	buf_put_u32(&o, 0);
	r = x509blob_parse(a, buf_ptr(&o), buf_len(&o), 10, &b);
	CHECK_EQ_INT(r, SSH_ERR_TOO_LARGE);
	CHECK_EQ_INT(b.cap, X509_CAP_CERT_SIZE);
	CHECK_EQ_INT(b.ncerts, 0);
	x509blob_error_str(&b, r, why, sizeof(why));
	CHECK_STR(why, "certificate 1 is 65544 bytes (the cap is 65536 bytes)");
	/* the pre-RFC form: the blob is the certificate */
	r = x509blob_parse(sr, big, biglen, 10, &b);
	CHECK_EQ_INT(r, SSH_ERR_TOO_LARGE);
	x509blob_error_str(&b, r, why, sizeof(why));
	CHECK_STR(why, "certificate 0 is 65544 bytes (the cap is 65536 bytes)");
	/* too many certificates */
	make(&o, a->name, 11, 11, small, sizeof(small), 0, 0);
	r = x509blob_parse(a, buf_ptr(&o), buf_len(&o), 10, &b);
	CHECK_EQ_INT(r, SSH_ERR_TOO_LARGE);
	x509blob_error_str(&b, r, why, sizeof(why));
	CHECK_STR(why, "11 certificates, more than X509MaxChain 10");
	/* more OCSP responses than certificates */
	make(&o, a->name, 2, 2, small, sizeof(small), 3, 3);
	r = x509blob_parse(a, buf_ptr(&o), buf_len(&o), 10, &b);
	CHECK_EQ_INT(r, SSH_ERR_FORMAT);
	x509blob_error_str(&b, r, why, sizeof(why));
	CHECK_STR(why, "3 OCSP responses for 2 certificates");
	/* one OCSP response over the cap */
	make(&o, a->name, 1, 1, small, sizeof(small), 1, 0);
	buf_put_string(&o, big, biglen);
	r = x509blob_parse(a, buf_ptr(&o), buf_len(&o), 10, &b);
	CHECK_EQ_INT(r, SSH_ERR_TOO_LARGE);
	x509blob_error_str(&b, r, why, sizeof(why));
	CHECK_STR(why, "OCSP response 0 is 65544 bytes (the cap is 65536 bytes)");
	/* the whole blob over its cap */
	make(&o, a->name, 1, 1, small, sizeof(small), 1, 1);
	for (i = 0; buf_len(&o) <= X509_BLOB_TOTAL_MAX; i++) {
		buf_put(&o, big, biglen); /* trailing bytes: the size is checked first */
	}
	r = x509blob_parse(a, buf_ptr(&o), buf_len(&o), 10, &b);
	CHECK_EQ_INT(r, SSH_ERR_TOO_LARGE);
	CHECK_EQ_INT(b.cap, X509_CAP_TOTAL);
	x509blob_error_str(&b, r, why, sizeof(why));
	CHECK(strstr(why, "(the cap is 262144 bytes)") != NULL);
	/* an error that is no cap: the generic text */
	make(&o, a->name, 0, 0, small, sizeof(small), 0, 0);
	r = x509blob_parse(a, buf_ptr(&o), buf_len(&o), 10, &b);
	CHECK_EQ_INT(r, SSH_ERR_FORMAT);
	CHECK_EQ_INT(b.cap, X509_CAP_NONE);
	x509blob_error_str(&b, r, why, sizeof(why));
	CHECK_STR(why, "invalid format");
	/* the shared default */
	CHECK_EQ_INT(X509_MAX_CHAIN_DEFAULT, 10);
out:
	free(big);
	buf_free(&o);
}

int main(void)
{
	test_rows();
	test_fixtures();
	test_row_of();
	test_der_stack();
	test_inner_names();
	test_rsa1024();
	test_wrong_key_type();
	test_malformed();
	test_sign_all_rows();
	test_sweeps();
	test_cap_messages();
	T_DONE();
}
