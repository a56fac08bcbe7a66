/*
 * Signers (signer.h) seen from the engine: algorithm fit, key blobs, requests, and the SSH
 * signature blob from raw primitive output (sshsig.h).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "err.h"
#include "sshsig.h"
#include "x509key.h"

#define ED25519_SIG_LEN 64

/* the primitive of each key type */
static const struct {
	int pkey_type;
	enum signer_prim prim;
} prims[] = {
    {.pkey_type = EVP_PKEY_RSA, .prim = SIGNER_RSA_PKCS1},
    {.pkey_type = EVP_PKEY_EC, .prim = SIGNER_ECDSA},
    {.pkey_type = EVP_PKEY_ED25519, .prim = SIGNER_ED25519},
};

/* the engine's code for each signer result (messages stay those of the engine) */
static const struct {
	int signer;
	int ssh;
} errs[] = {
    {.signer = SIGNER_OK, .ssh = 0},
    {.signer = SIGNER_AGAIN, .ssh = SSH_ERR_AGAIN},
    {.signer = SIGNER_ERR_INTERNAL, .ssh = SSH_ERR_INTERNAL},
    {.signer = SIGNER_ERR_ALLOC, .ssh = SSH_ERR_ALLOC},
    {.signer = SIGNER_ERR_UNSUPPORTED, .ssh = SSH_ERR_KEY_TYPE},
    {.signer = SIGNER_ERR_PASSPHRASE, .ssh = SSH_ERR_PASSPHRASE},
    {.signer = SIGNER_ERR_KEY_MISMATCH, .ssh = SSH_ERR_KEY_TYPE},
    {.signer = SIGNER_ERR_DEVICE, .ssh = SSH_ERR_INTERNAL},
    {.signer = SIGNER_ERR_SYSTEM, .ssh = SSH_ERR_SYSTEM},
    {.signer = SIGNER_ERR_LIBCRYPTO, .ssh = SSH_ERR_LIBCRYPTO},
    {.signer = SIGNER_ERR_BAD_OUTPUT, .ssh = SSH_ERR_SIGNATURE},
    {.signer = SIGNER_ERR_DECLINED, .ssh = SSH_ERR_SIGNATURE},
};

int sshsig_signer_err(int signer_result)
{
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		if (errs[i].signer == signer_result) {
			return errs[i].ssh;
		}
	}
	return SSH_ERR_INTERNAL;
}

int sshsig_key_fits(const EVP_PKEY *pub, int with_chain, const struct hostkey_alg *alg)
{
	if (pub == NULL || alg == NULL || ((alg->flags & HK_FLAG_X509) != 0 && !with_chain)) {
		return 0;
	}
	return sshkey_fits_alg(pub, alg);
}

static int has_chain(struct signer *s)
{
	const uint8_t *const *der;
	const size_t *len;

	return signer_chain(s, &der, &len) > 0;
}

int signer_fits(struct signer *s, const struct hostkey_alg *alg)
{
	if (s == NULL || s->ops == NULL || s->ops->pubkey == NULL) {
		return 0;
	}
	return sshsig_key_fits(s->ops->pubkey(s), has_chain(s), alg);
}

/* x509v3-sign-rsa is a host-key default only (OPTIONS.md) */
static int user_default(const struct hostkey_alg *alg)
{
	return (alg->flags & HK_FLAG_DEFAULT) != 0 && strcmp(alg->name, "x509v3-sign-rsa") != 0;
}

int sshsig_key_usable(const EVP_PKEY *pub, int with_chain, const char *const *names)
{
	const struct hostkey_alg *alg;
	size_t i;

	if (names == NULL) {
		for (i = 0; (alg = hostkey_alg_at(i)) != NULL; i++) {
			if (user_default(alg) && sshsig_key_fits(pub, with_chain, alg)) {
				return 1;
			}
		}
		return 0;
	}
	for (i = 0; names[i] != NULL; i++) {
		if (sshsig_key_fits(pub, with_chain, hostkey_alg_by_name(names[i]))) {
			return 1;
		}
	}
	return 0;
}

int signer_key_blob(struct signer *s, const struct hostkey_alg *alg, struct buf *out)
{
	const uint8_t *const *der;
	const size_t *len;
	size_t n;

	if (!signer_fits(s, alg)) {
		return alg == NULL ? SSH_ERR_NO_ALGO : SSH_ERR_KEY_TYPE;
	}
	if ((alg->flags & HK_FLAG_X509) == 0) {
		return sshkey_to_blob(s->ops->pubkey(s), alg, out);
	}
	n = signer_chain(s, &der, &len);
	return x509blob_build(alg, der, len, n, out);
}

int sshsig_request(
    const struct hostkey_alg *alg, const uint8_t *data, size_t len, struct signer_req *req)
{
	size_t i;

	memset(req, 0, sizeof(*req));
	if (alg == NULL) {
		return SSH_ERR_NO_ALGO;
	}
	for (i = 0; i < sizeof(prims) / sizeof(prims[0]); i++) {
		if (prims[i].pkey_type == alg->pkey_type) {
			req->prim = prims[i].prim;
			req->digest = alg->digest;
			req->data = data;
			req->len = len;
			return 0;
		}
	}
	return SSH_ERR_NO_ALGO;
}

static size_t key_bytes(const EVP_PKEY *pk)
{
	int bits = EVP_PKEY_get_bits(pk);

	return bits > 0 ? ((size_t)bits + 7) / 8 : 0;
}

int sshsig_from_raw(const struct hostkey_alg *alg, const EVP_PKEY *pub, const uint8_t *raw,
    size_t len, struct buf *out)
{
	struct buf sig;
	size_t modlen, mark;
	uint8_t *p;
	int e;

	if (alg == NULL || pub == NULL || raw == NULL || !sshkey_fits_alg(pub, alg)) {
		return SSH_ERR_KEY_TYPE;
	}
	buf_init(&sig);
	switch (alg->pkey_type) {
	case EVP_PKEY_RSA:
		/* always exactly the modulus length (RFC 8332 3) */
		modlen = key_bytes(pub);
		if (len == 0 || len > modlen) {
			e = SSH_ERR_SIGNATURE;
			goto out;
		}
		if ((e = buf_reserve(&sig, modlen, &p)) != 0) {
			goto out;
		}
		memset(p, 0, modlen - len);
		memcpy(p + (modlen - len), raw, len);
		break;
	case EVP_PKEY_EC:
		if (len / 2 > key_bytes(pub)) {
			e = SSH_ERR_SIGNATURE;
			goto out;
		}
		if ((e = sshsig_ecdsa_raw_to_ssh(raw, len, &sig)) != 0) {
			e = SSH_ERR_SIGNATURE;
			goto out;
		}
		break;
	case EVP_PKEY_ED25519:
		if (len != ED25519_SIG_LEN) {
			e = SSH_ERR_SIGNATURE;
			goto out;
		}
		if ((e = buf_put(&sig, raw, len)) != 0) {
			goto out;
		}
		break;
	default:
		e = SSH_ERR_KEY_TYPE;
		goto out;
	}
	mark = buf_mark(out);
	if ((e = buf_put_cstring(out, alg->sig_name)) != 0 || (e = buf_put_buf(out, &sig)) != 0) {
		buf_rollback(out, mark); /* the name may have gone in: take it back */
		goto out;
	}
out:
	buf_free(&sig);
	return e;
}

/* the fixed-width r || s of a DER ECDSA signature; half is the field size */
static int ecdsa_der_to_raw(const uint8_t *der, size_t len, size_t half, uint8_t **out)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = NULL;
	uint8_t *rs = NULL;
	int r = SIGNER_ERR_LIBCRYPTO;

	*out = NULL;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL || p != der + len) {
		goto out;
	}
	if ((rs = malloc(2 * half)) == NULL) {
		r = SIGNER_ERR_ALLOC;
		goto out;
	}
	if (BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, (int)half) != (int)half ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + half, (int)half) != (int)half) {
		goto out;
	}
	*out = rs;
	rs = NULL;
	r = SIGNER_OK;
out:
	ERR_clear_error();
	free(rs);
	ECDSA_SIG_free(es);
	return r;
}

/* the key type each primitive needs */
static int prim_key_type(enum signer_prim prim)
{
	size_t i;

	for (i = 0; i < sizeof(prims) / sizeof(prims[0]); i++) {
		if (prims[i].prim == prim) {
			return prims[i].pkey_type;
		}
	}
	return EVP_PKEY_NONE;
}

int sshsig_raw_sign(EVP_PKEY *priv, const struct signer_req *req, uint8_t **sig, size_t *len)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *s = NULL;
	size_t slen = 0;
	int r = SIGNER_ERR_LIBCRYPTO;

	*sig = NULL;
	*len = 0;
	if (priv == NULL || req == NULL || (req->data == NULL && req->len != 0)) {
		return SIGNER_ERR_INTERNAL;
	}
	if (EVP_PKEY_get_base_id(priv) != prim_key_type(req->prim) ||
	    (req->prim == SIGNER_ED25519) != (req->digest == NULL)) {
		return SIGNER_ERR_UNSUPPORTED;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(md, &pctx, req->digest, NULL, NULL, priv, NULL) != 1) {
		goto out;
	}
	if (req->prim == SIGNER_RSA_PKCS1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
		goto out;
	}
	if (EVP_DigestSign(md, NULL, &slen, req->data, req->len) != 1 || slen == 0) {
		goto out;
	}
	if ((s = malloc(slen)) == NULL) {
		r = SIGNER_ERR_ALLOC;
		goto out;
	}
	if (EVP_DigestSign(md, s, &slen, req->data, req->len) != 1) {
		goto out;
	}
	if (req->prim == SIGNER_ECDSA) {
		uint8_t *rs = NULL;
		size_t half = key_bytes(priv);

		if ((r = ecdsa_der_to_raw(s, slen, half, &rs)) != SIGNER_OK) {
			goto out;
		}
		free(s);
		s = rs;
		slen = 2 * half;
	}
	*sig = s;
	*len = slen;
	s = NULL;
	r = SIGNER_OK;
out:
	ERR_clear_error();
	free(s);
	EVP_MD_CTX_free(md);
	return r;
}

/* sshkey.h: the signature blob with a private key in memory, as a signer would give it */
int sshsig_sign(const struct hostkey_alg *alg, EVP_PKEY *priv, const uint8_t *data, size_t dlen,
    struct buf *out)
{
	struct signer_req req;
	uint8_t *raw = NULL;
	size_t len = 0;
	int r;

	if (alg == NULL || !sshkey_fits_alg(priv, alg)) {
		return SSH_ERR_KEY_TYPE;
	}
	if ((r = sshsig_request(alg, data, dlen, &req)) != 0) {
		return r;
	}
	if ((r = sshsig_raw_sign(priv, &req, &raw, &len)) != SIGNER_OK) {
		return sshsig_signer_err(r);
	}
	r = sshsig_from_raw(alg, priv, raw, len, out);
	free(raw);
	return r;
}
