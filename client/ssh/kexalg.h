/*
 * Key-exchange methods as table rows, all with one shape: make an ephemeral keypair (our public
 * value goes to the server), then derive the shared secret K from the server's public value.
 * The engine builds the exchange hash; kex_put_pub() encodes a public value the way the method's
 * hash wants it (string for ECDH/curve25519, mpint for DH), and the shared secret comes back
 * already encoded as an SSH mpint (uint32 length + bytes), ready for the hash and key derivation.
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
};

struct kex_alg {
	const char *name;
	enum kex_kind kind;
	const char *digest; /* OpenSSL digest name for the exchange hash: "SHA256", ... */
	const char *group; /* KEX_ECDH: OpenSSL curve name ("P-256"); KEX_DH: group id ("modp14") */
	int is_default;    /* in our default KexAlgorithms */
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
 * magnitude). Validates it (point on curve, f in [2, p-2], non-zero X25519 result).
 * shared_mpint receives K as an SSH mpint with its length prefix; make it a secret buffer.
 */
int kex_derive_shared(
    struct kex_state *st, const uint8_t *server_pub, size_t len, struct buf *shared_mpint);
void kex_state_free(struct kex_state *st); /* wipes the private key */
/*
 * Test hook: like kex_state_new() but with a given private key instead of a fresh one, for
 * known-answer tests. Only KEX_CURVE25519 (32-byte private key); SSH_ERR_UNSUPPORTED otherwise.
 */
int kex_state_new_with_private(const struct kex_alg *alg, const uint8_t *priv, size_t privlen,
    struct kex_state **out, struct buf *client_pub);

/* Encode a raw public value into the exchange hash input as the method wants (string or mpint). */
int kex_put_pub(const struct kex_alg *alg, struct buf *h, const uint8_t *pub, size_t len);

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
