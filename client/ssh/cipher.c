/*
 * Ciphers and MACs of the packet layer on OpenSSL 3 EVP.
 *
 * Every context is created once per key change; cipher_crypt() and mac_compute() allocate
 * nothing. Layout of one cipher_crypt() call (as in OpenSSH): src holds aadlen bytes of
 * packet-length field, then len bytes to encrypt or decrypt, then (decrypting, AEAD) authlen
 * bytes of tag; dst receives aadlen + len bytes (+ authlen of tag when encrypting).
 */
#include "cipher.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "buf.h"
#include "err.h"

#define GCM_IV_LEN     12
#define GCM_TAG_LEN    16
#define CHACHA_KEY_LEN 32
#define POLY_KEY_LEN   32
#define POLY_TAG_LEN   16

struct cipher_row {
	struct cipher_alg alg;
	const char *ossl; /* OpenSSL cipher name */
};

static const struct cipher_row cipher_rows[] = {
    {{"chacha20-poly1305@openssh.com", CIPHER_CHACHAPOLY, 8, 64, 0, 16, 1}, "ChaCha20"},
    {{"aes128-gcm@openssh.com", CIPHER_AEAD_GCM, 16, 16, 12, 16, 1}, "AES-128-GCM"},
    {{"aes256-gcm@openssh.com", CIPHER_AEAD_GCM, 16, 32, 12, 16, 1}, "AES-256-GCM"},
    {{"aes128-ctr", CIPHER_CTR, 16, 16, 16, 0, 1}, "AES-128-CTR"},
    {{"aes192-ctr", CIPHER_CTR, 16, 24, 16, 0, 1}, "AES-192-CTR"},
    {{"aes256-ctr", CIPHER_CTR, 16, 32, 16, 0, 1}, "AES-256-CTR"},
    {{"aes128-cbc", CIPHER_CBC, 16, 16, 16, 0, 0}, "AES-128-CBC"},
    {{"aes256-cbc", CIPHER_CBC, 16, 32, 16, 0, 0}, "AES-256-CBC"},
};
#define N_CIPHERS (sizeof(cipher_rows) / sizeof(cipher_rows[0]))

static const struct mac_alg mac_rows[] = {
    {"hmac-sha2-256-etm@openssh.com", "SHA256", 32, 32, 1, 1},
    {"hmac-sha2-512-etm@openssh.com", "SHA512", 64, 64, 1, 1},
    {"hmac-sha2-256", "SHA256", 32, 32, 0, 1},
    {"hmac-sha2-512", "SHA512", 64, 64, 0, 1},
    {"hmac-sha1-etm@openssh.com", "SHA1", 20, 20, 1, 0},
    {"hmac-sha1", "SHA1", 20, 20, 0, 0},
};
#define N_MACS (sizeof(mac_rows) / sizeof(mac_rows[0]))

struct cipher_ctx {
	const struct cipher_alg *alg;
	int encrypt;
	EVP_CIPHER_CTX *evp;    /* main cipher (K_2 for chacha) */
	EVP_CIPHER_CTX *hdr;    /* chacha: K_1, encrypts the length */
	EVP_MAC_CTX *poly;      /* chacha: Poly1305 */
	uint8_t iv[GCM_IV_LEN]; /* gcm: fixed 4 bytes || 8-byte invocation counter */
};

struct mac_ctx {
	const struct mac_alg *alg;
	EVP_MAC_CTX *ctx;
};

/* ---- tables ---- */

const struct cipher_alg *cipher_alg_at(size_t i)
{
	if (i >= N_CIPHERS) {
		return NULL;
	}
	return &cipher_rows[i].alg;
}

const struct cipher_alg *cipher_alg_by_name(const char *name)
{
	size_t i;

	if (name == NULL) {
		return NULL;
	}
	for (i = 0; i < N_CIPHERS; i++) {
		if (strcmp(cipher_rows[i].alg.name, name) == 0) {
			return &cipher_rows[i].alg;
		}
	}
	return NULL;
}

static const char *cipher_ossl_name(const struct cipher_alg *alg)
{
	size_t i;

	for (i = 0; i < N_CIPHERS; i++) {
		if (alg == &cipher_rows[i].alg) {
			return cipher_rows[i].ossl;
		}
	}
	return NULL;
}

const struct mac_alg *mac_alg_at(size_t i)
{
	if (i >= N_MACS) {
		return NULL;
	}
	return &mac_rows[i];
}

const struct mac_alg *mac_alg_by_name(const char *name)
{
	size_t i;

	if (name == NULL) {
		return NULL;
	}
	for (i = 0; i < N_MACS; i++) {
		if (strcmp(mac_rows[i].name, name) == 0) {
			return &mac_rows[i];
		}
	}
	return NULL;
}

static int mac_alg_known(const struct mac_alg *alg)
{
	size_t i;

	for (i = 0; i < N_MACS; i++) {
		if (alg == &mac_rows[i]) {
			return 1;
		}
	}
	return 0;
}

/* ---- cipher contexts ---- */

void cipher_ctx_free(struct cipher_ctx *ctx)
{
	if (ctx == NULL) {
		return;
	}
	EVP_CIPHER_CTX_free(ctx->evp); /* cleanses the key schedule */
	EVP_CIPHER_CTX_free(ctx->hdr);
	EVP_MAC_CTX_free(ctx->poly);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

int cipher_ctx_new(const struct cipher_alg *alg, int encrypt, const uint8_t *key, const uint8_t *iv,
    struct cipher_ctx **out)
{
	struct cipher_ctx *ctx = NULL;
	EVP_CIPHER *evpc = NULL;
	EVP_MAC *mac = NULL;
	const char *oname;
	int r = SSH_ERR_INTERNAL;

	if (out == NULL) {
		return SSH_ERR_INTERNAL;
	}
	*out = NULL;
	if (alg == NULL || key == NULL || (oname = cipher_ossl_name(alg)) == NULL) {
		return SSH_ERR_NO_ALGO;
	}
	if (alg->iv_len > 0 && iv == NULL) {
		return SSH_ERR_INTERNAL;
	}
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
		r = SSH_ERR_ALLOC;
		goto out;
	}
	ctx->alg = alg;
	ctx->encrypt = encrypt ? 1 : 0;
	if ((evpc = EVP_CIPHER_fetch(NULL, oname, NULL)) == NULL) {
		r = SSH_ERR_LIBCRYPTO;
		goto out;
	}
	if ((ctx->evp = EVP_CIPHER_CTX_new()) == NULL) {
		r = SSH_ERR_ALLOC;
		goto out;
	}
	switch (alg->kind) {
	case CIPHER_CHACHAPOLY:
		/* K_2 (main) = key[0..32), K_1 (header) = key[32..64); IVs are set per packet */
		if ((ctx->hdr = EVP_CIPHER_CTX_new()) == NULL) {
			r = SSH_ERR_ALLOC;
			goto out;
		}
		if (EVP_CipherInit_ex(ctx->evp, evpc, NULL, key, NULL, 1) != 1 ||
		    EVP_CipherInit_ex(ctx->hdr, evpc, NULL, key + CHACHA_KEY_LEN, NULL, 1) != 1) {
			r = SSH_ERR_LIBCRYPTO;
			goto out;
		}
		if ((mac = EVP_MAC_fetch(NULL, "POLY1305", NULL)) == NULL) {
			r = SSH_ERR_LIBCRYPTO;
			goto out;
		}
		if ((ctx->poly = EVP_MAC_CTX_new(mac)) == NULL) {
			r = SSH_ERR_ALLOC;
			goto out;
		}
		break;
	case CIPHER_AEAD_GCM:
		if (alg->iv_len != GCM_IV_LEN) {
			r = SSH_ERR_INTERNAL;
			goto out;
		}
		memcpy(ctx->iv, iv, GCM_IV_LEN);
		if (EVP_CipherInit_ex(ctx->evp, evpc, NULL, NULL, NULL, ctx->encrypt) != 1 ||
		    EVP_CIPHER_CTX_ctrl(ctx->evp, EVP_CTRL_GCM_SET_IVLEN, GCM_IV_LEN, NULL) != 1 ||
		    EVP_CipherInit_ex(ctx->evp, NULL, NULL, key, NULL, ctx->encrypt) != 1) {
			r = SSH_ERR_LIBCRYPTO;
			goto out;
		}
		break;
	case CIPHER_CTR:
	case CIPHER_CBC:
		if (EVP_CipherInit_ex(ctx->evp, evpc, NULL, key, iv, ctx->encrypt) != 1 ||
		    EVP_CIPHER_CTX_set_padding(ctx->evp, 0) != 1) {
			r = SSH_ERR_LIBCRYPTO;
			goto out;
		}
		break;
	default:
		r = SSH_ERR_NO_ALGO;
		goto out;
	}
	*out = ctx;
	ctx = NULL;
	r = 0;
out:
	cipher_ctx_free(ctx);
	EVP_CIPHER_free(evpc);
	EVP_MAC_free(mac);
	return r;
}

/* run ctx over n bytes (n fits an int: callers cap at PKT_MAX_LEN) */
static int evp_update(EVP_CIPHER_CTX *c, uint8_t *dst, const uint8_t *src, uint32_t n)
{
	int outl = 0;

	if (n == 0) {
		return 0;
	}
	if (n > INT32_MAX) {
		return SSH_ERR_TOO_LARGE;
	}
	if (EVP_CipherUpdate(c, dst, &outl, src, (int)n) != 1 || outl != (int)n) {
		return SSH_ERR_LIBCRYPTO;
	}
	return 0;
}

/*
 * OpenSSL's ChaCha20 IV is a 32-bit little-endian block counter then a 96-bit nonce; the
 * original ChaCha20 of OpenSSH has a 64-bit little-endian counter then a 64-bit nonce. With the
 * counter below 2^32 the high counter word is zero; the nonce is seqnr as a 64-bit big-endian.
 */
static int chacha_set_iv(EVP_CIPHER_CTX *c, uint32_t counter, uint32_t seqnr)
{
	uint8_t iv[16];

	iv[0] = (uint8_t)counter;
	iv[1] = (uint8_t)(counter >> 8);
	iv[2] = (uint8_t)(counter >> 16);
	iv[3] = (uint8_t)(counter >> 24);
	memset(iv + 4, 0, 8);
	poke_u32(iv + 12, seqnr);
	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, -1) != 1) {
		return SSH_ERR_LIBCRYPTO;
	}
	return 0;
}

static int poly_tag(
    EVP_MAC_CTX *poly, const uint8_t *key, const uint8_t *data, size_t len, uint8_t *tag)
{
	size_t outl = 0;

	if (EVP_MAC_init(poly, key, POLY_KEY_LEN, NULL) != 1 ||
	    EVP_MAC_update(poly, data, len) != 1 ||
	    EVP_MAC_final(poly, tag, &outl, POLY_TAG_LEN) != 1 || outl != POLY_TAG_LEN) {
		return SSH_ERR_LIBCRYPTO;
	}
	return 0;
}

static int chachapoly_crypt(struct cipher_ctx *ctx, uint32_t seqnr, uint8_t *dst,
    const uint8_t *src, uint32_t len, uint32_t aadlen, uint32_t authlen)
{
	static const uint8_t zeros[64];
	uint8_t polykey[64], tag[POLY_TAG_LEN];
	int r = SSH_ERR_INTERNAL;

	if (authlen != POLY_TAG_LEN) {
		return SSH_ERR_INTERNAL;
	}
	/* block 0 of K_2's stream is the Poly1305 key; the stream then continues at block 1 */
	if ((r = chacha_set_iv(ctx->evp, 0, seqnr)) != 0 ||
	    (r = evp_update(ctx->evp, polykey, zeros, sizeof(polykey))) != 0) {
		goto out;
	}
	if (!ctx->encrypt) {
		if ((r = poly_tag(ctx->poly, polykey, src, (size_t)aadlen + len, tag)) != 0) {
			goto out;
		}
		if (CRYPTO_memcmp(tag, src + aadlen + len, POLY_TAG_LEN) != 0) {
			r = SSH_ERR_MAC;
			goto out;
		}
	}
	if (aadlen > 0) {
		if ((r = chacha_set_iv(ctx->hdr, 0, seqnr)) != 0 ||
		    (r = evp_update(ctx->hdr, dst, src, aadlen)) != 0) {
			goto out;
		}
	}
	if ((r = evp_update(ctx->evp, dst + aadlen, src + aadlen, len)) != 0) {
		goto out;
	}
	if (ctx->encrypt) {
		if ((r = poly_tag(
		         ctx->poly, polykey, dst, (size_t)aadlen + len, dst + aadlen + len)) != 0) {
			goto out;
		}
	}
	r = 0;
out:
	OPENSSL_cleanse(polykey, sizeof(polykey));
	return r;
}

static void gcm_next_iv(uint8_t *iv)
{
	int i;

	/* the invocation counter is the last 8 bytes, big-endian, wrapping */
	for (i = GCM_IV_LEN - 1; i >= GCM_IV_LEN - 8; i--) {
		if (++iv[i] != 0) {
			break;
		}
	}
}

static int gcm_crypt(struct cipher_ctx *ctx, uint8_t *dst, const uint8_t *src, uint32_t len,
    uint32_t aadlen, uint32_t authlen)
{
	uint8_t tag[GCM_TAG_LEN], fin[16];
	int outl = 0, r = SSH_ERR_INTERNAL;

	if (authlen != GCM_TAG_LEN || aadlen > INT32_MAX) {
		return SSH_ERR_INTERNAL;
	}
	if (EVP_CipherInit_ex(ctx->evp, NULL, NULL, NULL, ctx->iv, -1) != 1) {
		return SSH_ERR_LIBCRYPTO;
	}
	gcm_next_iv(ctx->iv);
	if (!ctx->encrypt) {
		memcpy(tag, src + aadlen + len, GCM_TAG_LEN);
		if (EVP_CIPHER_CTX_ctrl(ctx->evp, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, tag) != 1) {
			return SSH_ERR_LIBCRYPTO;
		}
	}
	if (aadlen > 0) {
		if (EVP_CipherUpdate(ctx->evp, NULL, &outl, src, (int)aadlen) != 1) {
			return SSH_ERR_LIBCRYPTO;
		}
		if (dst != src) {
			memmove(dst, src, aadlen);
		}
	}
	if ((r = evp_update(ctx->evp, dst + aadlen, src + aadlen, len)) != 0) {
		goto out;
	}
	if (EVP_CipherFinal_ex(ctx->evp, fin, &outl) != 1) {
		r = ctx->encrypt ? SSH_ERR_LIBCRYPTO : SSH_ERR_MAC;
		goto out;
	}
	if (ctx->encrypt && EVP_CIPHER_CTX_ctrl(ctx->evp, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN,
	                        dst + aadlen + len) != 1) {
		r = SSH_ERR_LIBCRYPTO;
		goto out;
	}
	r = 0;
out:
	if (r != 0 && !ctx->encrypt) {
		/* never hand out unauthenticated plaintext */
		OPENSSL_cleanse(dst + aadlen, len);
	}
	return r;
}

int cipher_crypt(struct cipher_ctx *ctx, uint32_t seqnr, uint8_t *dst, const uint8_t *src,
    uint32_t len, uint32_t aadlen, uint32_t authlen)
{
	if (ctx == NULL || dst == NULL || src == NULL) {
		return SSH_ERR_INTERNAL;
	}
	switch (ctx->alg->kind) {
	case CIPHER_CHACHAPOLY:
		return chachapoly_crypt(ctx, seqnr, dst, src, len, aadlen, authlen);
	case CIPHER_AEAD_GCM:
		return gcm_crypt(ctx, dst, src, len, aadlen, authlen);
	case CIPHER_CBC:
		if (len % ctx->alg->block_size != 0) {
			return SSH_ERR_FORMAT;
		}
		/* FALLTHROUGH */
	case CIPHER_CTR:
		if (authlen != 0) {
			return SSH_ERR_INTERNAL;
		}
		if (aadlen > 0 && dst != src) {
			memmove(dst, src, aadlen);
		}
		return evp_update(ctx->evp, dst + aadlen, src + aadlen, len);
	default:
		return SSH_ERR_INTERNAL;
	}
}

int cipher_get_length(
    struct cipher_ctx *ctx, uint32_t *plen, uint32_t seqnr, const uint8_t *cp, uint32_t len)
{
	uint8_t b[4];
	int r;

	if (plen != NULL) {
		*plen = 0;
	}
	if (ctx == NULL || plen == NULL || cp == NULL) {
		return SSH_ERR_INTERNAL;
	}
	if (len < 4) {
		return SSH_ERR_INCOMPLETE;
	}
	if (ctx->alg->kind != CIPHER_CHACHAPOLY) {
		/* the length travels in the clear for GCM and etm */
		*plen = peek_u32(cp);
		return 0;
	}
	if ((r = chacha_set_iv(ctx->hdr, 0, seqnr)) != 0 ||
	    (r = evp_update(ctx->hdr, b, cp, 4)) != 0) {
		return r;
	}
	*plen = peek_u32(b);
	return 0;
}

/* ---- MACs ---- */

void mac_ctx_free(struct mac_ctx *ctx)
{
	if (ctx == NULL) {
		return;
	}
	EVP_MAC_CTX_free(ctx->ctx); /* cleanses the key */
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

int mac_ctx_new(const struct mac_alg *alg, const uint8_t *key, struct mac_ctx **out)
{
	struct mac_ctx *ctx = NULL;
	EVP_MAC *mac = NULL;
	OSSL_PARAM params[2];
	int r = SSH_ERR_INTERNAL;

	if (out == NULL) {
		return SSH_ERR_INTERNAL;
	}
	*out = NULL;
	if (alg == NULL || key == NULL || !mac_alg_known(alg)) {
		return SSH_ERR_NO_ALGO;
	}
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
		r = SSH_ERR_ALLOC;
		goto out;
	}
	ctx->alg = alg;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL) {
		r = SSH_ERR_LIBCRYPTO;
		goto out;
	}
	if ((ctx->ctx = EVP_MAC_CTX_new(mac)) == NULL) {
		r = SSH_ERR_ALLOC;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_MAC_PARAM_DIGEST, (char *)(uintptr_t)alg->digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx->ctx, key, alg->key_len, params) != 1) {
		r = SSH_ERR_LIBCRYPTO;
		goto out;
	}
	if (EVP_MAC_CTX_get_mac_size(ctx->ctx) < alg->mac_len) {
		r = SSH_ERR_INTERNAL;
		goto out;
	}
	*out = ctx;
	ctx = NULL;
	r = 0;
out:
	mac_ctx_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

int mac_compute(struct mac_ctx *ctx, uint32_t seqnr, const uint8_t *data, size_t len, uint8_t *out)
{
	uint8_t sq[4], m[EVP_MAX_MD_SIZE];
	size_t outl = 0;

	if (ctx == NULL || out == NULL || (data == NULL && len > 0)) {
		return SSH_ERR_INTERNAL;
	}
	poke_u32(sq, seqnr);
	/* a NULL key re-initialises with the key set in mac_ctx_new */
	if (EVP_MAC_init(ctx->ctx, NULL, 0, NULL) != 1 || EVP_MAC_update(ctx->ctx, sq, 4) != 1 ||
	    (len > 0 && EVP_MAC_update(ctx->ctx, data, len) != 1) ||
	    EVP_MAC_final(ctx->ctx, m, &outl, sizeof(m)) != 1 || outl < ctx->alg->mac_len) {
		return SSH_ERR_LIBCRYPTO;
	}
	memcpy(out, m, ctx->alg->mac_len);
	return 0;
}
