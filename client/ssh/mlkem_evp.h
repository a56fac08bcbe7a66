/* ML-KEM-768 through OpenSSL's EVP interface when the linked libcrypto has it (3.5 and later),
 * our own implementation (mlkem.h) otherwise. The choice is made once at run time: libcrypto
 * offers ML-KEM-768 when both its key management and its KEM can be fetched. A build with
 * X509SSH_MLKEM=builtin (CMake) always uses ours. Both sides speak FIPS 203's byte encodings
 * (ek 1184, expanded dk 2400, ciphertext 1088 bytes), so keys and ciphertexts cross between the
 * two implementations. Functions return 0 or a negative enum ssh_err, as in mlkem.h. */
#ifndef X509SSH_MLKEM_EVP_H
#define X509SSH_MLKEM_EVP_H

#include <stdint.h>

#include "mlkem.h"

/* 1 when key generation and decapsulation go through EVP, 0 when ours is used */
int mlkem768_evp_in_use(void);

/* 1 when the linked libcrypto offers ML-KEM-768 (whatever the build option says) */
int mlkem768_evp_available(void);

/* "built-in (FIPS 203)" or "OpenSSL EVP (provider NAME)" */
const char *mlkem768_impl_name(void);

/* The EVP operations themselves (SSH_ERR_LIBCRYPTO when libcrypto lacks ML-KEM-768). */
int mlkem768_evp_keygen(uint8_t ek[MLKEM768_EK_BYTES], uint8_t dk[MLKEM768_DK_BYTES]);
int mlkem768_evp_decaps(const uint8_t dk[MLKEM768_DK_BYTES], const uint8_t ct[MLKEM768_CT_BYTES],
    uint8_t key[MLKEM_SHARED_BYTES]);
int mlkem768_evp_encaps(const uint8_t ek[MLKEM768_EK_BYTES], uint8_t ct[MLKEM768_CT_BYTES],
    uint8_t key[MLKEM_SHARED_BYTES]);

#endif
