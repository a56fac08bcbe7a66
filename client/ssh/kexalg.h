/*
 * Key-exchange methods as table rows, all with one shape: make an ephemeral keypair (our public
 * value goes to the server), then derive the shared secret K from the server's public value.
 * The engine builds the exchange hash; kex_put_pub() encodes a public value the way the method's
 * hash wants it (string for ECDH/curve25519/hybrids, mpint for DH), and the shared secret comes
 * back already encoded as the row's k_enc says (an SSH mpint for the classical methods, a string
 * for the post-quantum hybrids), ready for the hash and key derivation.
 *
 * A hybrid (KEX_KEM_HYBRID) pairs a KEM, described by a struct kex_kem row, with X25519: our public
 * value is the KEM public key followed by our X25519 key, the server's is the KEM ciphertext
 * followed by its X25519 key, and K = HASH(K_pq || K_x25519) (draft-ietf-sshm-mlkem-hybrid-kex).
 */
#ifndef X509SSH_KEXALG_H
#define X509SSH_KEXALG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "buf.h"

enum kex_kind {
	KEX_CURVE25519 = 1, /* RFC 8731 */
	KEX_ECDH,           /* RFC 5656, NIST curves */
	KEX_DH,             /* fixed MODP group (RFC 3526 / 4253 / 8268) */
	KEX_DH_GEX,         /* RFC 4419 group exchange: p and g come from the server */
	KEX_KEM_HYBRID,     /* a KEM (the row's kem) with X25519, K hashed from both secrets */
};

/* how the shared secret K enters the exchange hash and the key derivation */
enum kex_k_enc {
	KEX_K_MPINT = 0, /* RFC 4253: mpint (every classical method) */
	KEX_K_STRING,    /* string (the hybrids: K is a hash output) */
};

/* The KEM half of a hybrid: sizes and the client's operations (encaps is for the test server).
 * Every function returns 0 or a negative enum ssh_err. */
struct kex_kem {
	const char *name;
	size_t pk_len, sk_len, ct_len, ss_len;
	size_t seed_len; /* the deterministic key generation's seed */
	int (*keygen)(uint8_t *pk, uint8_t *sk);
	int (*keygen_seeded)(const uint8_t *seed, uint8_t *pk, uint8_t *sk);
	int (*decaps)(const uint8_t *sk, const uint8_t *ct, uint8_t *ss);
	int (*encaps)(const uint8_t *pk, uint8_t *ct, uint8_t *ss);
};
extern const struct kex_kem kex_kem_mlkem768;
extern const struct kex_kem kex_kem_sntrup761;

struct kex_alg {
	const char *name;
	enum kex_kind kind;
	const char *digest; /* OpenSSL digest name for the exchange hash: "SHA256", ... */
	const char *group; /* KEX_ECDH: OpenSSL curve name ("P-256"); KEX_DH: group id ("modp14") */
	int is_default;    /* in our default KexAlgorithms */
	enum kex_k_enc k_enc;
	const struct kex_kem *kem; /* KEX_KEM_HYBRID */
};

const struct kex_alg *kex_alg_by_name(const char *name);
const struct kex_alg *kex_alg_at(size_t i);

/*
 * The cheap tests a group-exchange group must pass before we use it (RFC 4419 leaves them to the
 * client; a server's broken or planted moduli file is caught here): p odd, g in [2, p-2], p and
 * q = (p-1)/2 without a factor among the first KEX_GEX_SMALL_PRIMES odd primes, then
 * KEX_GEX_MR_ROUNDS Miller-Rabin rounds with random bases on p and on q. The RFC 3526 and
 * RFC 7919 groups (compared with OpenSSL's copies) skip the primality part; *known says so
 * (may be NULL). Returns 0; SSH_ERR_FORMAT with *bad_generator (0 or 1) and a reason in why
 * ("p is divisible by 3", "(p-1)/2 is composite", ...); SSH_ERR_LIBCRYPTO/ALLOC.
 * The size range is the caller's to check.
 */
#define KEX_GEX_SMALL_PRIMES 300
#define KEX_GEX_MR_ROUNDS    1
int kex_gex_check_safe_prime(
    const BIGNUM *p, const BIGNUM *g, int *known, int *bad_generator, char *why, size_t whylen);

/* Domain parameters as an EVP key (caller frees): the OpenSSL named group ossl_name ("modp_2048",
 * "ffdhe4096"), or explicit p and g when ossl_name is NULL. SSH_ERR_LIBCRYPTO when refused. */
int kex_dh_params_pkey(const char *ossl_name, const BIGNUM *p, const BIGNUM *g, EVP_PKEY **out);

struct kex_state;
/*
 * Make our ephemeral keypair. For KEX_DH_GEX, p and g are the group the server chose (checked
 * here: p odd, 2048..8192 bits unless allow_small, g in [2, p-2]); otherwise they are NULL.
 * client_pub receives the raw public value: 32 bytes for curve25519, the uncompressed SEC1 point
 * for ECDH, the unsigned big-endian magnitude of e for DH.
 */
int kex_state_new(const struct kex_alg *alg, const BIGNUM *p, const BIGNUM *g,
    struct kex_state **out, struct buf *client_pub);
/*
 * Derive K from the server's raw public value (same forms as client_pub; for DH the mpint's
 * magnitude; for a hybrid the KEM ciphertext || X25519 key, exactly ct_len + 32 bytes).
 * Validates it (point on curve, f in [2, p-2], non-zero X25519 result).
 * shared_mpint receives K encoded as the row's k_enc says, with its length prefix; make it a
 * secret buffer.
 */
int kex_derive_shared(
    struct kex_state *st, const uint8_t *server_pub, size_t len, struct buf *shared_mpint);
void kex_state_free(struct kex_state *st); /* wipes the private key */
/*
 * Test hook: like kex_state_new() but with a given private key instead of a fresh one, for
 * known-answer tests. KEX_CURVE25519: the 32-byte private key; KEX_KEM_HYBRID: the KEM's seed
 * (kem->seed_len bytes; ML-KEM: d || z) followed by the 32-byte X25519 private key.
 * SSH_ERR_UNSUPPORTED for other kinds, SSH_ERR_FORMAT for a wrong length.
 */
int kex_state_new_with_private(const struct kex_alg *alg, const uint8_t *priv, size_t privlen,
    struct kex_state **out, struct buf *client_pub);

/* Encode a raw public value into the exchange hash input (and on the wire) as the method wants
 * (string or mpint). */
int kex_put_pub(const struct kex_alg *alg, struct buf *h, const uint8_t *pub, size_t len);
/* Read a public value in the method's encoding (the magnitude of an mpint). */
int kex_read_pub(const struct kex_alg *alg, struct rd *msg, const uint8_t **pub, size_t *len);

/* kexkem.c, for kexalg.c: a hybrid's key pair (seed NULL: random) and its shared secret */
int kex_hybrid_keygen(const struct kex_kem *kem, const uint8_t *seed, const uint8_t *x25519_priv,
    uint8_t **sk, EVP_PKEY **x25519, struct buf *client_pub);
/* K = HASH(K_pq || K_cl) raw into k (EVP_MAX_MD_SIZE bytes), *klen its size */
int kex_hybrid_shared(const struct kex_alg *alg, const uint8_t *sk, EVP_PKEY *x25519,
    const uint8_t *server_pub, size_t len, uint8_t *k, size_t *klen);

/* Hash data with the method's digest; out must hold EVP_MAX_MD_SIZE; *outlen gets the size. */
int kex_hash(
    const struct kex_alg *alg, const uint8_t *data, size_t len, uint8_t *out, size_t *outlen);

/*
 * RFC 4253 section 7.2: derive `need` bytes for key letter ('A'..'F') from K (as encoded by
 * kex_derive_shared), H and the session id, extending with HASH(K || H || K1 || ...) as needed.
 */
int kex_derive_key(const struct kex_alg *alg, const struct buf *shared_mpint, const uint8_t *h,
    size_t hlen, char letter, const uint8_t *session_id, size_t sidlen, uint8_t *out, size_t need);

#endif
