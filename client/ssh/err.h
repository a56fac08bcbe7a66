/* Error codes shared by every module of the engine: 0 is success, negatives are failures. */
#ifndef X509SSH_ERR_H
#define X509SSH_ERR_H

#include <stddef.h>

enum ssh_err {
	SSH_OK = 0,
	SSH_ERR_INTERNAL = -1,     /* a bug or impossible state */
	SSH_ERR_ALLOC = -2,        /* out of memory */
	SSH_ERR_INCOMPLETE = -3,   /* buffer ended before the item did */
	SSH_ERR_FORMAT = -4,       /* malformed input (trailing bytes, bad length, bad value) */
	SSH_ERR_TOO_LARGE = -5,    /* a cap was exceeded */
	SSH_ERR_LIBCRYPTO = -6,    /* an OpenSSL call failed (see its error queue) */
	SSH_ERR_MAC = -7,          /* MAC or AEAD tag mismatch */
	SSH_ERR_NO_ALGO = -8,      /* unknown or unsupported algorithm name */
	SSH_ERR_SIGNATURE = -9,    /* signature did not verify */
	SSH_ERR_KEY_TYPE = -10,    /* key does not fit the algorithm */
	SSH_ERR_PROTOCOL = -11,    /* message not allowed in this state */
	SSH_ERR_SYSTEM = -12,      /* errno says why */
	SSH_ERR_PASSPHRASE = -13,  /* wrong or missing passphrase */
	SSH_ERR_AGAIN = -14,       /* not finished yet (asynchronous operation pending) */
	SSH_ERR_NOT_FOUND = -15,   /* lookup found nothing */
	SSH_ERR_UNSUPPORTED = -16, /* valid input we do not handle (e.g. encrypted OpenSSH key) */
	SSH_ERR_SEQNR_WRAP = -17,  /* a sequence number wrapped during the initial key exchange */
};

/* A short English description of an error code ("message authentication code incorrect"). */
const char *ssh_err_str(int err);

/* OpenSSL's own reason for the oldest error in its queue ("bad decrypt", "unsupported"; a
 * decoder's generic error gives way to the one after it), copied into buf; the queue is then
 * cleared. "libcrypto error" when the queue was empty. Returns buf. */
const char *ssh_ossl_reason(char *buf, size_t n);
/* ssh_ossl_reason for SSH_ERR_LIBCRYPTO, else ssh_err_str(err) (the queue is cleared either way) */
const char *ssh_err_why(int err, char *buf, size_t n);

#endif
