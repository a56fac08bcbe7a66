/* Streamlined NTRU Prime sntrup761 (NTRU Prime round 3 specification): the key-encapsulation
 * mechanism of the hybrid key exchange sntrup761x25519-sha512. Written from the specification;
 * every operation on secret data is constant-time.
 *
 * The client does key generation and decapsulation; encapsulation is here for the test server and
 * the known-answer tests. All functions return 0 or a negative enum ssh_err (SSH_ERR_LIBCRYPTO: a
 * hash or the random generator failed). On failure the outputs are zeroed. */
#ifndef X509SSH_SNTRUP761_H
#define X509SSH_SNTRUP761_H

#include <stddef.h>
#include <stdint.h>

#define SNTRUP761_PK_BYTES   1158 /* Encode(h), h in R/q */
#define SNTRUP761_SK_BYTES   1763 /* f, 1/g, pk, rho, Hash4(pk) */
#define SNTRUP761_CT_BYTES   1039 /* rounded c (1007) || confirmation hash (32) */
#define SNTRUP761_SS_BYTES   32
#define SNTRUP761_SEED_BYTES 32 /* the deterministic key generation's seed (tests) */

/* A source of random bytes: fill out[0..len), 0 or a negative enum ssh_err. The KEM draws in the
 * reference implementation's order, which the submission's known answers depend on: key
 * generation asks for g's 761 random 32-bit words (little-endian) as one request of 3044 bytes
 * (again for each g that has no inverse mod 3), then f's words, then rho (191 bytes);
 * encapsulation asks for r's words. */
typedef int (*sntrup761_rng)(void *ctx, uint8_t *out, size_t len);

/* KeyGen: a fresh key pair from RAND_priv_bytes. */
int sntrup761_keygen(uint8_t pk[SNTRUP761_PK_BYTES], uint8_t sk[SNTRUP761_SK_BYTES]);

/* KeyGen with the random bytes from rng (known-answer tests). */
int sntrup761_keygen_rng(
    uint8_t pk[SNTRUP761_PK_BYTES], uint8_t sk[SNTRUP761_SK_BYTES], sntrup761_rng rng, void *ctx);

/* KeyGen with the random bytes expanded from a 32-byte seed (SHA-512 in counter mode): the
 * deterministic hook of the key exchange's tests. */
int sntrup761_keygen_seeded(const uint8_t seed[SNTRUP761_SEED_BYTES],
    uint8_t pk[SNTRUP761_PK_BYTES], uint8_t sk[SNTRUP761_SK_BYTES]);

/* Decap: the session key. A ciphertext that does not re-encrypt to itself gives the implicit
 * rejection key Hash(0 || Hash(3 || rho) || ct), not an error. */
int sntrup761_decaps(const uint8_t sk[SNTRUP761_SK_BYTES], const uint8_t ct[SNTRUP761_CT_BYTES],
    uint8_t ss[SNTRUP761_SS_BYTES]);

/* Encap (random r from RAND_priv_bytes, or from rng). */
int sntrup761_encaps(const uint8_t pk[SNTRUP761_PK_BYTES], uint8_t ct[SNTRUP761_CT_BYTES],
    uint8_t ss[SNTRUP761_SS_BYTES]);
int sntrup761_encaps_rng(const uint8_t pk[SNTRUP761_PK_BYTES], uint8_t ct[SNTRUP761_CT_BYTES],
    uint8_t ss[SNTRUP761_SS_BYTES], sntrup761_rng rng, void *ctx);

#endif
