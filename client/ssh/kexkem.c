/*
 * The post-quantum hybrid key exchanges (KEX_KEM_HYBRID): a KEM paired with X25519, as
 * draft-ietf-sshm-mlkem-hybrid-kex lays it out for mlkem768x25519-sha256. The client sends
 * C_INIT = KEM public key || X25519 public key; the server answers S_REPLY = KEM ciphertext ||
 * X25519 public key; K = HASH(K_pq || K_cl), with K_cl the raw 32-byte X25519 result, enters the
 * exchange hash and the key derivation as a string. The KEM itself is a struct kex_kem row.
 * sntrup761x25519-sha512 (draft-ietf-sshm-ntruprime-ssh, OpenSSH's
 * sntrup761x25519-sha512@openssh.com) has the same layout with sntrup761 (pk 1158, ct 1039 bytes)
 * and SHA-512.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "rand.h"
#include "err.h"
#include "kexalg.h"
#include "mlkem.h"
#include "mlkem_evp.h"
#include "sntrup761.h"

#define HYB_X25519_LEN 32
#define HYB_MAX_SS     64 /* the largest KEM shared secret of a row */

/* ML-KEM-768 behind the row's pointer-and-size interface: libcrypto's when it has it
 * (mlkem_evp.h), ours (mlkem.h) otherwise; the seeded forms (tests) are always ours */
static int mlkem768_kg(uint8_t *pk, uint8_t *sk)
{
	return mlkem768_evp_in_use() ? mlkem768_evp_keygen(pk, sk) : mlkem768_keygen(pk, sk);
}

static int mlkem768_kg_seeded(const uint8_t *seed, uint8_t *pk, uint8_t *sk)
{
	return mlkem768_keygen_internal(seed, seed + MLKEM_SEED_BYTES, pk, sk);
}

static int mlkem768_dec(const uint8_t *sk, const uint8_t *ct, uint8_t *ss)
{
	return mlkem768_evp_in_use() ? mlkem768_evp_decaps(sk, ct, ss)
	                             : mlkem768_decaps(sk, ct, ss);
}

static int mlkem768_enc(const uint8_t *pk, uint8_t *ct, uint8_t *ss)
{
	return mlkem768_encaps(pk, ct, ss);
}

const struct kex_kem kex_kem_mlkem768 = {
    .name = "ML-KEM-768",
    .pk_len = MLKEM768_EK_BYTES,
    .sk_len = MLKEM768_DK_BYTES,
    .ct_len = MLKEM768_CT_BYTES,
    .ss_len = MLKEM_SHARED_BYTES,
    .seed_len = 2 * MLKEM_SEED_BYTES, /* d || z */
    .keygen = mlkem768_kg,
    .keygen_seeded = mlkem768_kg_seeded,
    .decaps = mlkem768_dec,
    .encaps = mlkem768_enc,
};

/* sntrup761 (sntrup761.h) */
static int sntrup761_kg_seeded(const uint8_t *seed, uint8_t *pk, uint8_t *sk)
{
	return sntrup761_keygen_seeded(seed, pk, sk);
}

const struct kex_kem kex_kem_sntrup761 = {
    .name = "sntrup761",
    .pk_len = SNTRUP761_PK_BYTES,
    .sk_len = SNTRUP761_SK_BYTES,
    .ct_len = SNTRUP761_CT_BYTES,
    .ss_len = SNTRUP761_SS_BYTES,
    .seed_len = SNTRUP761_SEED_BYTES,
    .keygen = sntrup761_keygen,
    .keygen_seeded = sntrup761_kg_seeded,
    .decaps = sntrup761_decaps,
    .encaps = sntrup761_encaps,
};

int kex_hybrid_keygen(const struct kex_kem *kem, const uint8_t *seed, const uint8_t *x25519_priv,
    uint8_t **sk, EVP_PKEY **x25519, struct buf *client_pub)
{
	uint8_t *pk = NULL, *k = NULL;
	uint8_t xpub[HYB_X25519_LEN];
	size_t xlen = sizeof(xpub), mark = buf_mark(client_pub);
	EVP_PKEY *key = NULL;
	int r = SSH_ERR_ALLOC;

	*sk = NULL;
	*x25519 = NULL;
	if (kem->ss_len > HYB_MAX_SS) {
		return SSH_ERR_INTERNAL;
	}
	if ((k = OPENSSL_zalloc(kem->sk_len)) == NULL) {
		goto out;
	}
	if ((r = buf_reserve(client_pub, kem->pk_len, &pk)) != 0) {
		goto out;
	}
	if ((r = seed != NULL ? kem->keygen_seeded(seed, pk, k) : kem->keygen(pk, k)) != 0) {
		goto out;
	}
	r = SSH_ERR_LIBCRYPTO;
	key = x25519_priv != NULL ? EVP_PKEY_new_raw_private_key_ex(
	                                NULL, "X25519", NULL, x25519_priv, HYB_X25519_LEN)
	                          : ssh_rand_x25519();
	if (key == NULL || !EVP_PKEY_get_raw_public_key(key, xpub, &xlen) || xlen != sizeof(xpub)) {
		goto out;
	}
	if ((r = buf_put(client_pub, xpub, xlen)) != 0) {
		goto out;
	}
	*sk = k;
	k = NULL;
	*x25519 = key;
	key = NULL;
	r = 0;
out:
	if (r != 0) {
		buf_rollback(client_pub, mark);
	}
	OPENSSL_clear_free(k, kem->sk_len);
	EVP_PKEY_free(key);
	return r;
}

/* X25519(our key, peer) into out (32 bytes); SSH_ERR_FORMAT for a bad or low-order peer value */
static int x25519_derive(EVP_PKEY *ours, const uint8_t *peer_pub, uint8_t *out)
{
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t olen = HYB_X25519_LEN, i;
	uint8_t acc = 0;
	int r = SSH_ERR_LIBCRYPTO;

	if ((peer = EVP_PKEY_new_raw_public_key_ex(
	         NULL, "X25519", NULL, peer_pub, HYB_X25519_LEN)) == NULL) {
		r = SSH_ERR_FORMAT;
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ours, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) <= 0) {
		goto out;
	}
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer, 1) <= 0 ||
	    EVP_PKEY_derive(ctx, out, &olen) <= 0) {
		r = SSH_ERR_FORMAT; /* OpenSSL refuses an all-zero X25519 result itself */
		goto out;
	}
	if (olen != HYB_X25519_LEN) {
		goto out;
	}
	for (i = 0; i < olen; i++) {
		acc |= out[i];
	}
	/* RFC 8731 section 3, which the draft keeps: abort on an all-zero result */
	r = acc == 0 ? SSH_ERR_FORMAT : 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return r;
}

int kex_hybrid_shared(const struct kex_alg *alg, const uint8_t *sk, EVP_PKEY *x25519,
    const uint8_t *server_pub, size_t len, uint8_t *k, size_t *klen)
{
	const struct kex_kem *kem = alg->kem;
	uint8_t secret[HYB_MAX_SS + HYB_X25519_LEN]; /* K_pq || K_cl */
	int r = SSH_ERR_FORMAT;

	*klen = 0;
	if (kem == NULL || kem->ss_len > HYB_MAX_SS || sk == NULL || x25519 == NULL) {
		return SSH_ERR_INTERNAL;
	}
	/* S_REPLY is exactly the ciphertext followed by the X25519 key */
	if (len != kem->ct_len + HYB_X25519_LEN) {
		goto out;
	}
	if ((r = kem->decaps(sk, server_pub, secret)) != 0) {
		goto out;
	}
	if ((r = x25519_derive(x25519, server_pub + kem->ct_len, secret + kem->ss_len)) != 0) {
		goto out;
	}
	r = kex_hash(alg, secret, kem->ss_len + HYB_X25519_LEN, k, klen);
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	return r;
}
