#include "err.h"

#include <stdio.h>

#include <openssl/err.h>

const char *ssh_err_str(int err)
{
	switch (err) {
	case SSH_OK:
		return "success";
	case SSH_ERR_INTERNAL:
		return "internal error";
	case SSH_ERR_ALLOC:
		return "out of memory";
	case SSH_ERR_INCOMPLETE:
		return "data ended unexpectedly";
	case SSH_ERR_FORMAT:
		return "invalid format";
	case SSH_ERR_TOO_LARGE:
		return "size limit exceeded";
	case SSH_ERR_LIBCRYPTO:
		return "libcrypto error";
	case SSH_ERR_MAC:
		return "message authentication code incorrect";
	case SSH_ERR_NO_ALGO:
		return "unknown or unsupported algorithm";
	case SSH_ERR_SIGNATURE:
		return "signature verification failed";
	case SSH_ERR_KEY_TYPE:
		return "key type does not match algorithm";
	case SSH_ERR_PROTOCOL:
		return "protocol error";
	case SSH_ERR_SYSTEM:
		return "system error";
	case SSH_ERR_PASSPHRASE:
		return "incorrect passphrase";
	case SSH_ERR_AGAIN:
		return "operation pending";
	case SSH_ERR_NOT_FOUND:
		return "not found";
	case SSH_ERR_UNSUPPORTED:
		return "unsupported";
	case SSH_ERR_SEQNR_WRAP:
		return "sequence number wrapped during the initial key exchange";
	}
	return "unknown error";
}

const char *ssh_ossl_reason(char *buf, size_t n)
{
	unsigned long e = ERR_get_error(), next;
	const char *r;

	/* OpenSSL 3's decoders put a generic "unsupported" first when a specific cause (an ASN.1
	 * error: "too long", "bad object header") follows: prefer that one */
	while (e != 0 && ERR_GET_LIB(e) == ERR_LIB_OSSL_DECODER && (next = ERR_get_error()) != 0) {
		e = next;
	}
	r = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (n == 0) {
		return buf;
	}
	if (r != NULL) {
		snprintf(buf, n, "%s", r);
	} else if (e != 0) {
		ERR_error_string_n(e, buf, n);
	} else {
		snprintf(buf, n, "%s", ssh_err_str(SSH_ERR_LIBCRYPTO));
	}
	ERR_clear_error();
	return buf;
}

const char *ssh_err_why(int err, char *buf, size_t n)
{
	if (err == SSH_ERR_LIBCRYPTO) {
		return ssh_ossl_reason(buf, n);
	}
	ERR_clear_error();
	snprintf(buf, n, "%s", ssh_err_str(err));
	return buf;
}
