/*
 * Public-key algorithm table, plain key blobs (RFC 4253 6.6, RFC 5656 3.1, RFC 8709 4) and
 * signature blobs (RFC 8332, RFC 5656 3.1.2, RFC 8709 6, RFC 6187 3) on EVP keys. The x509v3
 * rows sign like the plain rows under their own inner names; their certificate blobs are
 * x509key.c's.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "err.h"
#include "sshkey.h"

#define RSA_MIN_BITS    1024
#define RSA_MAX_BITS    16384
#define EC_MAX_FIELD    66 /* bytes of a P-521 coordinate */
#define ED25519_LEN     32
#define ED25519_SIG_LEN 64

const struct hostkey_alg *hostkey_alg_by_blob_name(const uint8_t *p, size_t n)
{
	const struct hostkey_alg *a;
	size_t i;

	for (i = 0; (a = hostkey_alg_at(i)) != NULL; i++) {
		if ((a->flags & HK_FLAG_X509) == 0 && str_eq(p, n, a->blob_name)) {
			return a;
		}
	}
	return NULL;
}

static int key_curve_nid(const EVP_PKEY *pk)
{
	char name[64];
	size_t n = 0;
	int nid;

	if (!EVP_PKEY_get_utf8_string_param(
	        pk, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &n)) {
		return NID_undef;
	}
	if ((nid = EC_curve_nist2nid(name)) != NID_undef) {
		return nid;
	}
	return OBJ_sn2nid(name);
}

int sshkey_fits_alg(const EVP_PKEY *pk, const struct hostkey_alg *alg)
{
	int bits;

	if (pk == NULL || alg == NULL || EVP_PKEY_get_base_id(pk) != alg->pkey_type) {
		return 0;
	}
	switch (alg->pkey_type) {
	case EVP_PKEY_ED25519:
		return 1;
	case EVP_PKEY_EC:
		if (alg->curve == NULL) {
			return 0;
		}
		return key_curve_nid(pk) == EC_curve_nist2nid(alg->curve);
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(pk);
		return bits >= RSA_MIN_BITS && bits >= alg->min_bits && bits <= RSA_MAX_BITS;
	}
	return 0;
}

/* ---- key blobs: decoding ---- */

static int ed25519_from_rd(struct rd *r, EVP_PKEY **out)
{
	const uint8_t *pk;
	size_t n;
	int e;

	if ((e = rd_string(r, &pk, &n)) != 0) {
		return e;
	}
	if (n != ED25519_LEN) {
		return SSH_ERR_FORMAT;
	}
	if ((e = rd_end(r)) != 0) {
		return e;
	}
	if ((*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, n)) == NULL) {
		return SSH_ERR_LIBCRYPTO;
	}
	return 0;
}

int sshkey_from_params(const char *type, int selection, OSSL_PARAM_BLD *bld, EVP_PKEY **out)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	int r = SSH_ERR_LIBCRYPTO;

	*out = NULL;
	ERR_set_mark();
	if (type == NULL || bld == NULL || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1) {
		goto out;
	}
	/* for a public EC key this decodes the point, which checks that it lies on the curve */
	if (EVP_PKEY_fromdata(ctx, &pk, selection, params) != 1 || pk == NULL) {
		r = SSH_ERR_FORMAT;
		goto out;
	}
	*out = pk;
	pk = NULL;
	r = 0;
out:
	if (r == SSH_ERR_FORMAT) {
		ERR_pop_to_mark(); /* refused values are the caller's cause, not an OpenSSL failure
		                    */
	} else {
		ERR_clear_last_mark(); /* SSH_ERR_LIBCRYPTO: OpenSSL's reason stays for ssh_err_why
		                        */
	}
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return r;
}

/* full validation: a public key's point (on the curve, not infinity, right order), or a key pair
 * (the same, the scalar in range, d * G == Q) */
static int ec_check(EVP_PKEY *pk, int pair)
{
	EVP_PKEY_CTX *ctx = NULL;
	int r = SSH_ERR_LIBCRYPTO;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL) {
		goto out;
	}
	if ((pair ? EVP_PKEY_check(ctx) : EVP_PKEY_public_check(ctx)) != 1) {
		ERR_clear_error();
		r = SSH_ERR_FORMAT;
		goto out;
	}
	r = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

int sshkey_ec_from_point(
    const struct hostkey_alg *alg, const uint8_t *q, size_t qlen, const BIGNUM *d, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pk = NULL;
	int e = SSH_ERR_LIBCRYPTO;

	*out = NULL;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, alg->curve, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q, qlen) ||
	    (d != NULL && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d))) {
		goto out;
	}
	if ((e = sshkey_from_params(
	         "EC", d != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, bld, &pk)) != 0 ||
	    (e = ec_check(pk, d != NULL)) != 0) {
		goto out;
	}
	*out = pk;
	pk = NULL;
out:
	EVP_PKEY_free(pk);
	OSSL_PARAM_BLD_free(bld);
	return e;
}

static int ecdsa_from_rd(const struct hostkey_alg *alg, struct rd *r, EVP_PKEY **out)
{
	const uint8_t *curve, *q;
	size_t curvelen, qlen, flen = alg->field_len;
	int e;

	if ((e = rd_string(r, &curve, &curvelen)) != 0 || (e = rd_string(r, &q, &qlen)) != 0 ||
	    (e = rd_end(r)) != 0) {
		return e;
	}
	if (!str_eq(curve, curvelen, alg->ssh_curve) || flen == 0 || qlen != 1 + 2 * flen ||
	    q[0] != 0x04) {
		return SSH_ERR_FORMAT;
	}
	return sshkey_ec_from_point(alg, q, qlen, NULL, out);
}

/* n odd, e odd and > 1, size within [RSA_MIN_BITS, RSA_MAX_BITS] */
static int rsa_public_sane(const BIGNUM *n, const BIGNUM *e)
{
	int bits = BN_num_bits(n);

	if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
		return SSH_ERR_KEY_TYPE;
	}
	if (!BN_is_odd(n) || !BN_is_odd(e) || BN_is_one(e) || BN_cmp(e, n) >= 0) {
		return SSH_ERR_FORMAT;
	}
	return 0;
}

int sshkey_rsa_from_parts(const struct sshkey_rsa_parts *k, EVP_PKEY **out)
{
	const struct {
		const char *name;
		const BIGNUM *v;
	} parts[] = {
	    {.name = OSSL_PKEY_PARAM_RSA_N, .v = k->n},
	    {.name = OSSL_PKEY_PARAM_RSA_E, .v = k->e},
	    /* the key pair only */
	    {.name = OSSL_PKEY_PARAM_RSA_D, .v = k->d},
	    {.name = OSSL_PKEY_PARAM_RSA_FACTOR1, .v = k->p},
	    {.name = OSSL_PKEY_PARAM_RSA_FACTOR2, .v = k->q},
	    {.name = OSSL_PKEY_PARAM_RSA_EXPONENT1, .v = k->dmp1},
	    {.name = OSSL_PKEY_PARAM_RSA_EXPONENT2, .v = k->dmq1},
	    {.name = OSSL_PKEY_PARAM_RSA_COEFFICIENT1, .v = k->iqmp},
	};
	size_t i, n = k->d != NULL ? sizeof(parts) / sizeof(parts[0]) : 2;
	OSSL_PARAM_BLD *bld = NULL;
	int e = SSH_ERR_INTERNAL;

	*out = NULL;
	for (i = 0; i < n; i++) {
		if (parts[i].v == NULL) {
			goto out;
		}
	}
	e = SSH_ERR_LIBCRYPTO;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!OSSL_PARAM_BLD_push_BN(bld, parts[i].name, parts[i].v)) {
			goto out;
		}
	}
	e = sshkey_from_params(
	    "RSA", k->d != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, bld, out);
out:
	OSSL_PARAM_BLD_free(bld);
	return e;
}

static int rsa_from_rd(struct rd *r, EVP_PKEY **out)
{
	BIGNUM *n = NULL, *e = NULL;
	int err;

	if ((err = rd_bignum(r, &e)) != 0 || (err = rd_bignum(r, &n)) != 0 ||
	    (err = rd_end(r)) != 0) {
		goto out;
	}
	if ((err = rsa_public_sane(n, e)) != 0) {
		goto out;
	}
	err = sshkey_rsa_from_parts(&(struct sshkey_rsa_parts){.n = n, .e = e}, out);
out:
	BN_free(n);
	BN_free(e);
	return err;
}

int sshkey_from_blob(const uint8_t *blob, size_t len, EVP_PKEY **out, char **type_out)
{
	struct rd r = rd_make(blob, len);
	const struct hostkey_alg *alg;
	const uint8_t *type;
	size_t typelen;
	EVP_PKEY *pk = NULL;
	char *tname = NULL;
	int e;

	*out = NULL;
	if (type_out != NULL) {
		*type_out = NULL;
	}
	if ((e = rd_string(&r, &type, &typelen)) != 0) {
		goto out;
	}
	if ((alg = hostkey_alg_by_blob_name(type, typelen)) == NULL) {
		e = SSH_ERR_NO_ALGO;
		goto out;
	}
	switch (alg->pkey_type) {
	case EVP_PKEY_ED25519:
		e = ed25519_from_rd(&r, &pk);
		break;
	case EVP_PKEY_EC:
		e = ecdsa_from_rd(alg, &r, &pk);
		break;
	case EVP_PKEY_RSA:
		e = rsa_from_rd(&r, &pk);
		break;
	default:
		e = SSH_ERR_INTERNAL;
		break;
	}
	if (e != 0) {
		goto out;
	}
	if (type_out != NULL) {
		if ((tname = strdup(alg->blob_name)) == NULL) {
			e = SSH_ERR_ALLOC;
			goto out;
		}
		*type_out = tname;
		tname = NULL;
	}
	*out = pk;
	pk = NULL;
	e = 0;
out:
	free(tname);
	EVP_PKEY_free(pk);
	return e;
}

/* ---- key blobs: encoding ---- */

static int put_bn_param(const EVP_PKEY *pk, const char *name, struct buf *out)
{
	BIGNUM *bn = NULL;
	int e;

	if (!EVP_PKEY_get_bn_param(pk, name, &bn)) {
		return SSH_ERR_LIBCRYPTO;
	}
	e = buf_put_bignum(out, bn);
	BN_free(bn);
	return e;
}

static int ec_put_point(const EVP_PKEY *pk, const struct hostkey_alg *alg, struct buf *out)
{
	BIGNUM *x = NULL, *y = NULL;
	uint8_t q[1 + 2 * EC_MAX_FIELD];
	size_t flen = alg->field_len;
	int e = SSH_ERR_LIBCRYPTO;

	if (flen == 0 || flen > EC_MAX_FIELD) {
		return SSH_ERR_INTERNAL;
	}
	if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y)) {
		goto out;
	}
	q[0] = 0x04;
	if (BN_bn2binpad(x, q + 1, (int)flen) < 0 || BN_bn2binpad(y, q + 1 + flen, (int)flen) < 0) {
		goto out;
	}
	e = buf_put_string(out, q, 1 + 2 * flen);
out:
	BN_free(x);
	BN_free(y);
	return e;
}

int sshkey_to_blob(const EVP_PKEY *pk, const struct hostkey_alg *alg, struct buf *out)
{
	size_t mark = buf_mark(out);
	uint8_t raw[ED25519_LEN];
	size_t rawlen = sizeof(raw);
	int e;

	if (!sshkey_fits_alg(pk, alg) || (alg->flags & HK_FLAG_X509) != 0) {
		return SSH_ERR_KEY_TYPE;
	}
	if ((e = buf_put_cstring(out, alg->blob_name)) != 0) {
		goto out;
	}
	switch (alg->pkey_type) {
	case EVP_PKEY_ED25519:
		if (!EVP_PKEY_get_raw_public_key(pk, raw, &rawlen) || rawlen != ED25519_LEN) {
			e = SSH_ERR_LIBCRYPTO;
			goto out;
		}
		e = buf_put_string(out, raw, rawlen);
		break;
	case EVP_PKEY_EC:
		if ((e = buf_put_cstring(out, alg->ssh_curve)) != 0) {
			goto out;
		}
		e = ec_put_point(pk, alg, out);
		break;
	case EVP_PKEY_RSA:
		if ((e = put_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, out)) != 0) {
			goto out;
		}
		e = put_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, out);
		break;
	default:
		e = SSH_ERR_INTERNAL;
		break;
	}
out:
	if (e != 0) {
		buf_rollback(out, mark);
	}
	return e;
}

int sshkey_fingerprint(const uint8_t *blob, size_t len, char **out)
{
	static const char prefix[] = "SHA256:";
	uint8_t md[32];
	unsigned int mdlen = 0;
	char *s = NULL;
	size_t plen = sizeof(prefix) - 1, n;
	int e = SSH_ERR_LIBCRYPTO;

	*out = NULL;
	if (EVP_Digest(blob, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != sizeof(md)) {
		goto out;
	}
	/* base64 of 32 bytes is 44 characters with one '=' */
	if ((s = malloc(plen + 44 + 1)) == NULL) {
		e = SSH_ERR_ALLOC;
		goto out;
	}
	memcpy(s, prefix, plen);
	if (EVP_EncodeBlock((unsigned char *)s + plen, md, (int)mdlen) != 44) {
		goto out;
	}
	n = plen + 44;
	while (n > plen && s[n - 1] == '=') {
		n--;
	}
	s[n] = '\0';
	*out = s;
	s = NULL;
	e = 0;
out:
	free(s);
	return e;
}

/* ---- ECDSA signature conversions ---- */

int sshsig_ecdsa_der_to_ssh(const uint8_t *der, size_t len, struct buf *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = NULL;
	size_t mark = buf_mark(out);
	int e = SSH_ERR_FORMAT;

	if (len == 0 || len > 256) {
		return SSH_ERR_FORMAT;
	}
	if ((sig = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL || p != der + len) {
		ERR_clear_error();
		goto out;
	}
	if ((e = buf_put_bignum(out, ECDSA_SIG_get0_r(sig))) != 0 ||
	    (e = buf_put_bignum(out, ECDSA_SIG_get0_s(sig))) != 0) {
		goto out;
	}
	e = 0;
out:
	if (e != 0) {
		buf_rollback(out, mark);
	}
	ECDSA_SIG_free(sig);
	return e;
}

int sshsig_ecdsa_raw_to_ssh(const uint8_t *rs, size_t len, struct buf *out)
{
	size_t mark = buf_mark(out), half = len / 2;
	int e;

	if (len == 0 || len % 2 != 0 || half > EC_MAX_FIELD) {
		return SSH_ERR_FORMAT;
	}
	if ((e = buf_put_mpint_bytes(out, rs, half)) != 0 ||
	    (e = buf_put_mpint_bytes(out, rs + half, half)) != 0) {
		buf_rollback(out, mark);
		return e;
	}
	return 0;
}

/* mpint r, mpint s (each at most the field size) -> DER; *der is malloc'd */
static int ecdsa_ssh_to_der(
    const struct hostkey_alg *alg, const uint8_t *p, size_t n, uint8_t **der, size_t *derlen)
{
	struct rd r = rd_make(p, n);
	const uint8_t *rp, *sp;
	size_t rlen, slen, flen = alg->field_len;
	BIGNUM *br = NULL, *bs = NULL;
	ECDSA_SIG *sig = NULL;
	unsigned char *d = NULL;
	int e, dl;

	*der = NULL;
	*derlen = 0;
	if ((e = rd_mpint_bytes(&r, &rp, &rlen)) != 0 ||
	    (e = rd_mpint_bytes(&r, &sp, &slen)) != 0 || (e = rd_end(&r)) != 0) {
		goto out;
	}
	if (rlen == 0 || slen == 0 || rlen > flen || slen > flen) {
		e = SSH_ERR_SIGNATURE;
		goto out;
	}
	e = SSH_ERR_LIBCRYPTO;
	if ((br = BN_bin2bn(rp, (int)rlen, NULL)) == NULL ||
	    (bs = BN_bin2bn(sp, (int)slen, NULL)) == NULL || (sig = ECDSA_SIG_new()) == NULL ||
	    !ECDSA_SIG_set0(sig, br, bs)) {
		goto out;
	}
	br = bs = NULL;
	if ((dl = i2d_ECDSA_SIG(sig, &d)) <= 0) {
		goto out;
	}
	*der = d;
	*derlen = (size_t)dl;
	d = NULL;
	e = 0;
out:
	OPENSSL_free(d);
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(sig);
	return e;
}

/* ---- signatures ---- */

static int digest_verify(const struct hostkey_alg *alg, EVP_PKEY *pk, const uint8_t *sig,
    size_t siglen, const uint8_t *data, size_t dlen)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int e = SSH_ERR_LIBCRYPTO, v;

	if ((md = EVP_MD_CTX_new()) == NULL) {
		goto out;
	}
	if (EVP_DigestVerifyInit_ex(md, &pctx, alg->digest, NULL, NULL, pk, NULL) != 1) {
		goto out;
	}
	if (alg->pkey_type == EVP_PKEY_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
		goto out;
	}
	v = EVP_DigestVerify(md, sig, siglen, data, dlen);
	e = v == 1 ? 0 : SSH_ERR_SIGNATURE;
out:
	if (e != 0) {
		ERR_clear_error();
	}
	EVP_MD_CTX_free(md);
	return e;
}

int sshsig_verify(const struct hostkey_alg *alg, EVP_PKEY *pk, const uint8_t *sig, size_t siglen,
    const uint8_t *data, size_t dlen)
{
	struct rd r = rd_make(sig, siglen);
	const uint8_t *name, *s;
	size_t namelen, slen, modlen;
	uint8_t *tmp = NULL;
	size_t tmplen = 0;
	int e;

	if (alg == NULL || !sshkey_fits_alg(pk, alg)) {
		return SSH_ERR_KEY_TYPE;
	}
	if ((e = rd_string(&r, &name, &namelen)) != 0 || (e = rd_string(&r, &s, &slen)) != 0 ||
	    (e = rd_end(&r)) != 0) {
		return SSH_ERR_FORMAT;
	}
	if (!str_eq(name, namelen, alg->sig_name)) {
		return SSH_ERR_SIGNATURE;
	}
	switch (alg->pkey_type) {
	case EVP_PKEY_ED25519:
		if (slen != ED25519_SIG_LEN) {
			return SSH_ERR_SIGNATURE;
		}
		return digest_verify(alg, pk, s, slen, data, dlen);
	case EVP_PKEY_RSA:
		modlen = (size_t)(EVP_PKEY_get_bits(pk) + 7) / 8;
		if (slen == 0 || slen > modlen) {
			return SSH_ERR_SIGNATURE;
		}
		if (slen == modlen) {
			return digest_verify(alg, pk, s, slen, data, dlen);
		}
		/* some implementations send k - 1 bytes when the top byte is zero */
		if ((tmp = calloc(1, modlen)) == NULL) {
			return SSH_ERR_ALLOC;
		}
		memcpy(tmp + (modlen - slen), s, slen);
		e = digest_verify(alg, pk, tmp, modlen, data, dlen);
		free(tmp);
		return e;
	case EVP_PKEY_EC:
		if ((e = ecdsa_ssh_to_der(alg, s, slen, &tmp, &tmplen)) != 0) {
			return e == SSH_ERR_ALLOC || e == SSH_ERR_LIBCRYPTO ? e : SSH_ERR_SIGNATURE;
		}
		e = digest_verify(alg, pk, tmp, tmplen, data, dlen);
		OPENSSL_free(tmp);
		return e;
	}
	return SSH_ERR_INTERNAL;
}
