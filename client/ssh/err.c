#include "err.h"

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
