/* Small PKCS#11 helpers: CK_RV names, padded fields, attribute reads and object searches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11_int.h"

struct rv_name {
	CK_RV rv;
	const char *name;
};

static const struct rv_name rv_names[] = {
    {CKR_OK, "CKR_OK"},
    {CKR_CANCEL, "CKR_CANCEL"},
    {CKR_HOST_MEMORY, "CKR_HOST_MEMORY"},
    {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID"},
    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
    {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
    {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD"},
    {CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE"},
    {CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID"},
    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
    {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY"},
    {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
    {CKR_FUNCTION_CANCELED, "CKR_FUNCTION_CANCELED"},
    {CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED"},
    {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID"},
    {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT"},
    {CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED"},
    {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
    {CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID"},
    {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID"},
    {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE"},
    {CKR_OPERATION_NOT_INITIALIZED, "CKR_OPERATION_NOT_INITIALIZED"},
    {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"},
    {CKR_PIN_INVALID, "CKR_PIN_INVALID"},
    {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE"},
    {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED"},
    {CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
    {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED"},
    {CKR_SESSION_COUNT, "CKR_SESSION_COUNT"},
    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
    {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"},
    {CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN"},
    {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
    {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED"},
    {CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID"},
    {CKR_USER_ANOTHER_ALREADY_LOGGED_IN, "CKR_USER_ANOTHER_ALREADY_LOGGED_IN"},
    {CKR_USER_TOO_MANY_TYPES, "CKR_USER_TOO_MANY_TYPES"},
    {CKR_DATA_INVALID, "CKR_DATA_INVALID"},
    {CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE"},
    {CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL"},
    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
    {CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED"},
};

const char *p11_rv_str(unsigned long rv)
{
	static __thread char other[32];
	size_t i;

	for (i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++) {
		if (rv_names[i].rv == rv) {
			return rv_names[i].name;
		}
	}
	snprintf(other, sizeof(other), "CKR_0x%lx", rv);
	return other;
}

void p11_field(char *dst, size_t dstlen, const CK_UTF8CHAR *src, size_t n)
{
	size_t i;

	if (dstlen == 0) {
		return;
	}
	if (n > dstlen - 1) {
		n = dstlen - 1;
	}
	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0')) {
		n--;
	}
	for (i = 0; i < n; i++) {
		dst[i] = (char)src[i];
	}
	dst[n] = '\0';
}

int p11_get_attr(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, uint8_t **out, size_t *len)
{
	CK_ATTRIBUTE a;
	uint8_t *v = NULL;

	*out = NULL;
	*len = 0;
	a.type = type;
	a.pValue = NULL;
	a.ulValueLen = 0;
	if (fl->C_GetAttributeValue(s, o, &a, 1) != CKR_OK || a.ulValueLen == (CK_ULONG)-1) {
		return P11_ERR_NOT_FOUND;
	}
	if (a.ulValueLen > P11_MAX_ATTR) {
		return P11_ERR_TOO_LARGE;
	}
	/* one spare byte keeps text values NUL-terminated */
	if ((v = calloc(1, a.ulValueLen + 1)) == NULL) {
		return P11_ERR_ALLOC;
	}
	a.pValue = v;
	if (fl->C_GetAttributeValue(s, o, &a, 1) != CKR_OK || a.ulValueLen > P11_MAX_ATTR) {
		free(v);
		return P11_ERR_NOT_FOUND;
	}
	*out = v;
	*len = a.ulValueLen;
	return 0;
}

int p11_find(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n,
    CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *found, CK_RV *rv_out, const char **fn)
{
	CK_RV rv;

	*found = 0;
	if ((rv = fl->C_FindObjectsInit(s, tmpl, n)) != CKR_OK) {
		*fn = "C_FindObjectsInit";
		*rv_out = rv;
		return P11_ERR_INTERNAL;
	}
	rv = fl->C_FindObjects(s, out, max, found);
	fl->C_FindObjectsFinal(s);
	if (rv != CKR_OK) {
		*found = 0;
		*fn = "C_FindObjects";
		*rv_out = rv;
		return P11_ERR_INTERNAL;
	}
	if (*found > max) {
		*found = max;
	}
	return 0;
}

/* the texts are those the client showed before pkcs11/ had codes of its own */
static const struct {
	int err;
	const char *text;
} p11_errs[] = {
    {.err = P11_OK, .text = "success"},
    {.err = P11_ERR_INTERNAL, .text = "internal error"},
    {.err = P11_ERR_ALLOC, .text = "out of memory"},
    {.err = P11_ERR_FORMAT, .text = "invalid format"},
    {.err = P11_ERR_TOO_LARGE, .text = "size limit exceeded"},
    {.err = P11_ERR_LIBCRYPTO, .text = "libcrypto error"},
    {.err = P11_ERR_NO_ALGO, .text = "unknown or unsupported algorithm"},
    {.err = P11_ERR_SIGNATURE, .text = "signature verification failed"},
    {.err = P11_ERR_KEY_TYPE, .text = "key type does not match algorithm"},
    {.err = P11_ERR_SYSTEM, .text = "system error"},
    {.err = P11_ERR_PIN, .text = "incorrect passphrase"},
    {.err = P11_ERR_NOT_FOUND, .text = "not found"},
    {.err = P11_ERR_UNSUPPORTED, .text = "unsupported"},
};

const char *p11_strerror(int err)
{
	size_t i;

	for (i = 0; i < sizeof(p11_errs) / sizeof(p11_errs[0]); i++) {
		if (p11_errs[i].err == err) {
			return p11_errs[i].text;
		}
	}
	return "unknown error";
}
