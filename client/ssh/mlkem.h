/* ML-KEM-768 (FIPS 203, August 2024): the key-encapsulation mechanism of the post-quantum
 * hybrid key exchange mlkem768x25519-sha256. Written from the standard for OpenSSL 3.0 builds
 * (3.0 has no ML-KEM); every operation on secret data is constant-time.
 *
 * The client does key generation and decapsulation; encapsulation is here for the test server
 * and the known-answer tests. All functions return 0 or a negative enum ssh_err
 * (SSH_ERR_FORMAT: an input check of FIPS 203 section 7 failed; SSH_ERR_LIBCRYPTO: a hash or
 * the random generator failed). On failure the outputs are zeroed. */
#ifndef X509SSH_MLKEM_H
#define X509SSH_MLKEM_H

#include <stdint.h>

#define MLKEM768_EK_BYTES  1184 /* encapsulation (public) key */
#define MLKEM768_DK_BYTES  2400 /* decapsulation (secret) key */
#define MLKEM768_CT_BYTES  1088 /* ciphertext */
#define MLKEM_SHARED_BYTES 32   /* shared secret K */
#define MLKEM_SEED_BYTES   32   /* each of d, z (key generation) and m (encapsulation) */

/* ML-KEM.KeyGen: a fresh key pair, d and z from ssh_rand_bytes (the kernel). */
int mlkem768_keygen(uint8_t ek[MLKEM768_EK_BYTES], uint8_t dk[MLKEM768_DK_BYTES]);

/* ML-KEM.KeyGen_internal(d, z): the deterministic key generation (tests and known answers). */
int mlkem768_keygen_internal(const uint8_t d[MLKEM_SEED_BYTES], const uint8_t z[MLKEM_SEED_BYTES],
    uint8_t ek[MLKEM768_EK_BYTES], uint8_t dk[MLKEM768_DK_BYTES]);

/* ML-KEM.Decaps(dk, c): the shared secret; a ciphertext that does not re-encrypt to itself gives
 * the implicit-rejection key J(z || c), not an error. SSH_ERR_FORMAT when dk fails the hash check
 * (H(ek) stored in dk does not match the ek stored in dk). */
int mlkem768_decaps(const uint8_t dk[MLKEM768_DK_BYTES], const uint8_t ct[MLKEM768_CT_BYTES],
    uint8_t key[MLKEM_SHARED_BYTES]);

/* ML-KEM.Encaps(ek): a ciphertext and shared secret, m from ssh_rand_bytes (the kernel).
 * SSH_ERR_FORMAT when ek fails the modulus check (a coefficient not below q = 3329). */
int mlkem768_encaps(const uint8_t ek[MLKEM768_EK_BYTES], uint8_t ct[MLKEM768_CT_BYTES],
    uint8_t key[MLKEM_SHARED_BYTES]);

/* ML-KEM.Encaps_internal(ek, m): the deterministic encapsulation (tests and known answers); the
 * same input check as mlkem768_encaps. */
int mlkem768_encaps_internal(const uint8_t ek[MLKEM768_EK_BYTES], const uint8_t m[MLKEM_SEED_BYTES],
    uint8_t ct[MLKEM768_CT_BYTES], uint8_t key[MLKEM_SHARED_BYTES]);

#endif
