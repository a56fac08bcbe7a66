/*
 * Ciphers and MACs of the packet layer, as table rows.
 *
 * cipher_crypt() has the shape of OpenSSH's: it processes one whole packet (or, for non-AEAD
 * ciphers, a piece of one), where the first aadlen bytes are the packet-length field that is
 * authenticated but, for AEAD/etm, not encrypted with the main key, and authlen is the tag length
 * (0 for non-AEAD). Encrypting appends the tag after len bytes; decrypting checks it first and
 * returns SSH_ERR_MAC without touching dst on mismatch.
 *
 * Layout (as OpenSSH's): src holds aadlen + len bytes (len does NOT include aadlen), followed when
 * decrypting an AEAD packet by authlen bytes of tag; dst receives aadlen + len bytes, plus the tag
 * when encrypting. chacha20-poly1305 encrypts the aadlen bytes under K_1; GCM and the non-AEAD
 * ciphers copy them unchanged. GCM cannot check before decrypting: on a tag mismatch it wipes the
 * len bytes at dst + aadlen instead. GCM ignores seqnr (it keeps its own invocation counter, one
 * step per call, failed calls included); CTR/CBC keep their stream state across calls.
 */
#ifndef X509SSH_CIPHER_H
#define X509SSH_CIPHER_H

#include <stddef.h>
#include <stdint.h>

#define CIPHER_AEAD_GCM   1 /* aes*-gcm@openssh.com: RFC 5647 with OpenSSH's naming */
#define CIPHER_CHACHAPOLY 2 /* chacha20-poly1305@openssh.com */
#define CIPHER_CTR        3 /* plain stream cipher (aes*-ctr), needs a MAC */
#define CIPHER_CBC        4 /* aes*-cbc, legacy, needs a MAC */

struct cipher_alg {
	const char *name;
	int kind;            /* CIPHER_* */
	uint32_t block_size; /* for padding: 8 for chacha, 16 for AES */
	uint32_t key_len;  /* bytes of key material to derive (64 for chacha: K2||K1... see RFC) */
	uint32_t iv_len;   /* bytes of IV to derive (0 for chacha) */
	uint32_t auth_len; /* tag length (16 for AEAD), 0 otherwise */
	int is_default;    /* in our default list */
};

const struct cipher_alg *cipher_alg_by_name(const char *name);
const struct cipher_alg *cipher_alg_at(size_t i); /* NULL past the end: iterate the table */

struct cipher_ctx;
int cipher_ctx_new(const struct cipher_alg *alg, int encrypt, const uint8_t *key, const uint8_t *iv,
    struct cipher_ctx **out);
void cipher_ctx_free(struct cipher_ctx *ctx); /* wipes keys */
/* see the top of this file; dst and src may be equal */
int cipher_crypt(struct cipher_ctx *ctx, uint32_t seqnr, uint8_t *dst, const uint8_t *src,
    uint32_t len, uint32_t aadlen, uint32_t authlen);
/* chacha20-poly1305 only: decrypt the 4-byte length field at cp without consuming state */
int cipher_get_length(
    struct cipher_ctx *ctx, uint32_t *plen, uint32_t seqnr, const uint8_t *cp, uint32_t len);

/* ---- MACs ---- */
struct mac_alg {
	const char *name;
	const char *digest; /* OpenSSL digest name for HMAC: "SHA256", "SHA512", "SHA1" */
	uint32_t key_len;   /* bytes of key to derive */
	uint32_t mac_len;   /* bytes on the wire */
	int etm;            /* encrypt-then-mac */
	int is_default;
};

const struct mac_alg *mac_alg_by_name(const char *name);
const struct mac_alg *mac_alg_at(size_t i);

struct mac_ctx;
int mac_ctx_new(const struct mac_alg *alg, const uint8_t *key, struct mac_ctx **out);
void mac_ctx_free(struct mac_ctx *ctx);
/* MAC over uint32 seqnr || data; out must hold alg->mac_len bytes */
int mac_compute(struct mac_ctx *ctx, uint32_t seqnr, const uint8_t *data, size_t len, uint8_t *out);

#endif
