/*
 * The engine's random bytes, straight from the kernel (getrandom(2)). OpenSSL's RAND_bytes starts
 * a DRBG on first use (provider fetches, an AES-CTR instance): about half of the instructions
 * of a whole short connection. The engine's own needs (the KEXINIT cookie, packet padding,
 * ephemeral X25519 and ML-KEM keys) do not need it: they are read from the kernel's generator
 * directly. What OpenSSL draws itself (ECDSA nonces, DH keys) still goes through its DRBG.
 */
#ifndef X509SSH_RAND_H
#define X509SSH_RAND_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* len fresh random bytes for secrets (keys, seeds): 0 or SSH_ERR_SYSTEM (errno set). */
int ssh_rand_bytes(void *buf, size_t len);
/* len random bytes for packet padding, served from a small per-thread pool refilled from the
 * kernel (a system call per packet would cost more than the padding is worth): 0 or
 * SSH_ERR_SYSTEM. */
int ssh_rand_padding(uint8_t *buf, size_t len);
/* A fresh X25519 key pair from ssh_rand_bytes, or NULL (out of memory, no randomness). */
EVP_PKEY *ssh_rand_x25519(void);

#endif
