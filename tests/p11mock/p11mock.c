/*
 * p11mock: a tiny PKCS#11 module for tests only. One slot, one token, one RSA key whose private
 * half is a software key (PEM file from P11MOCK_KEY). It reports what SoftHSM never does:
 *
 *   P11MOCK_FLAGS   comma list: final_try (CKF_USER_PIN_FINAL_TRY), count_low, locked (token flag
 *                   CKF_USER_PIN_LOCKED and C_Login answers CKR_PIN_LOCKED), pinpad
 *                   (CKF_PROTECTED_AUTHENTICATION_PATH; C_Login must get a NULL PIN),
 *                   crash-sign (C_Sign raises SIGSEGV, as a broken vendor module would),
 *                   exit-sign (C_Sign ends the process with exit status 3)
 *   P11MOCK_PIN     the user PIN (default 1234)
 *   P11MOCK_COUNT   a file that gets one line per C_Login call ("user" / "context")
 *   P11MOCK_QUIRKS  comma list of what real modules do: nulpad (token info text fields padded
 *                   with NULs, not blanks), zeroserial (serial "0000000000000000"), extraslot (an
 *                   uninitialised token in slot 3, listed first), textid (CKA_ID the text "01",
 *                   as tpm2_ptool --id stores it), mechrange (CKM_RSA_PKCS claims 512..1024 bits)
 *   P11MOCK_NOISE   when set, C_Initialize prints three lines on stderr (as the tpm2 module's
 *                   TSS layer does without a TPM), C_Login and C_Sign one line each on stderr
 *                   and one (buffered) on stdout (as it does when a PIN is wrong)
 *   P11MOCK_WHERE   a file that C_Initialize writes the process that loaded the module into:
 *                   "pid P parent-comm C" (C: the name of that process's parent)
 *
 * Objects: handle 1 the public key (CKA_ID 01, label "mockkey"), handle 2 the private key (only
 * after login). Mechanism: CKM_RSA_PKCS.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <p11-kit/pkcs11.h>

#define SLOT    7
#define SESSION 42

static int inited, logged_in, finding, find_pos, signing;
static CK_ATTRIBUTE *find_tmpl;
static CK_ULONG find_n;
static EVP_PKEY *key;
static unsigned char modulus[1024], pubexp[16];
static size_t modlen, explen;
static const unsigned char key_id[] = {0x01};

static int flag(const char *w)
{
	const char *f = getenv("P11MOCK_FLAGS");

	return f != NULL && strstr(f, w) != NULL;
}

static int quirk(const char *w)
{
	const char *f = getenv("P11MOCK_QUIRKS");

	return f != NULL && strstr(f, w) != NULL;
}

#define EXTRA_SLOT 3

/* P11MOCK_WHERE: which process loaded the module, and the name of its parent */
static void where(void)
{
	const char *path = getenv("P11MOCK_WHERE");
	char proc[64], comm[64] = "?";
	FILE *f;

	if (path == NULL) {
		return;
	}
	snprintf(proc, sizeof(proc), "/proc/%ld/comm", (long)getppid());
	if ((f = fopen(proc, "r")) != NULL) {
		if (fgets(comm, sizeof(comm), f) != NULL) {
			comm[strcspn(comm, "\n")] = '\0';
		}
		fclose(f);
	}
	if ((f = fopen(path, "w")) != NULL) {
		fprintf(f, "pid %ld parent-comm %s\n", (long)getpid(), comm);
		fclose(f);
	}
}

static void count_login(const char *what)
{
	const char *path = getenv("P11MOCK_COUNT");
	FILE *f;

	if (path != NULL && (f = fopen(path, "a")) != NULL) {
		fprintf(f, "%s\n", what);
		fclose(f);
	}
}

static void pad(CK_UTF8CHAR *dst, size_t n, const char *s)
{
	memset(dst, quirk("nulpad") ? '\0' : ' ', n);
	memcpy(dst, s, strlen(s) < n ? strlen(s) : n);
}

/* P11MOCK_NOISE: one line on stderr and one on stdout, left in stdio's buffer */
static void noise(const char *fn)
{
	if (getenv("P11MOCK_NOISE") != NULL) {
		fprintf(stderr, "mock-noise: %s on stderr\n", fn);
		printf("mock-noise: %s on stdout\n", fn);
	}
}

static CK_RV m_Initialize(CK_VOID_PTR args)
{
	const char *path = getenv("P11MOCK_KEY");
	BIGNUM *n = NULL, *e = NULL;
	FILE *f;

	(void)args;
	where();
	if (getenv("P11MOCK_NOISE") != NULL) {
		fprintf(stderr, "mock-noise: ERROR:tcti:connect failed\nmock-noise: second line\n"
		                "mock-noise: \033[31mcolour\033[0m");
		fflush(stderr);
	}
	if (inited) {
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	}
	if (path == NULL || (f = fopen(path, "r")) == NULL) {
		return CKR_GENERAL_ERROR;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key == NULL || !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e)) {
		EVP_PKEY_free(key);
		key = NULL;
		return CKR_GENERAL_ERROR;
	}
	modlen = (size_t)BN_bn2bin(n, modulus);
	explen = (size_t)BN_bn2bin(e, pubexp);
	BN_free(n);
	BN_free(e);
	inited = 1;
	logged_in = 0;
	return CKR_OK;
}

static CK_RV m_Finalize(CK_VOID_PTR r)
{
	(void)r;
	EVP_PKEY_free(key);
	key = NULL;
	inited = 0;
	free(find_tmpl);
	find_tmpl = NULL;
	return CKR_OK;
}

static CK_RV m_GetInfo(CK_INFO_PTR info)
{
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = 2;
	info->cryptokiVersion.minor = 40;
	pad(info->manufacturerID, sizeof(info->manufacturerID), "x509ssh");
	pad(info->libraryDescription, sizeof(info->libraryDescription), "x509ssh mock module");
	return CKR_OK;
}

static CK_RV m_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR n)
{
	CK_ULONG want = quirk("extraslot") ? 2 : 1;

	(void)present;
	if (list == NULL) {
		*n = want;
		return CKR_OK;
	}
	if (*n < want) {
		*n = want;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (want == 2) {
		list[0] = EXTRA_SLOT;
	}
	list[want - 1] = SLOT;
	*n = want;
	return CKR_OK;
}

static CK_RV m_GetSlotInfo(CK_SLOT_ID id, CK_SLOT_INFO_PTR info)
{
	if (id == EXTRA_SLOT && quirk("extraslot")) {
		memset(info, 0, sizeof(*info));
		pad(info->slotDescription, sizeof(info->slotDescription), "mock empty slot");
		pad(info->manufacturerID, sizeof(info->manufacturerID), "x509ssh");
		info->flags = CKF_TOKEN_PRESENT;
		return CKR_OK;
	}
	if (id != SLOT) {
		return CKR_SLOT_ID_INVALID;
	}
	memset(info, 0, sizeof(*info));
	pad(info->slotDescription, sizeof(info->slotDescription), "mock slot");
	pad(info->manufacturerID, sizeof(info->manufacturerID), "x509ssh");
	info->flags = CKF_TOKEN_PRESENT;
	return CKR_OK;
}

static CK_RV m_GetTokenInfo(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info)
{
	if (id == EXTRA_SLOT && quirk("extraslot")) {
		/* an uninitialised token, as tpm2-pkcs11 lists one for adding a new token */
		memset(info, 0, sizeof(*info));
		pad(info->label, sizeof(info->label), "");
		pad(info->manufacturerID, sizeof(info->manufacturerID), "x509ssh");
		pad(info->model, sizeof(info->model), "mock");
		pad(info->serialNumber, sizeof(info->serialNumber), "0000000000000000");
		info->flags = CKF_RNG;
		return CKR_OK;
	}
	if (id != SLOT) {
		return CKR_SLOT_ID_INVALID;
	}
	memset(info, 0, sizeof(*info));
	pad(info->label, sizeof(info->label), "mock token");
	pad(info->manufacturerID, sizeof(info->manufacturerID), "x509ssh");
	pad(info->model, sizeof(info->model), "mock");
	pad(info->serialNumber, sizeof(info->serialNumber),
	    quirk("zeroserial") ? "0000000000000000" : "0001");
	info->flags = CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED;
	if (flag("final_try")) {
		info->flags |= CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW;
	}
	if (flag("count_low")) {
		info->flags |= CKF_USER_PIN_COUNT_LOW;
	}
	if (flag("locked")) {
		info->flags |= CKF_USER_PIN_LOCKED;
	}
	if (flag("pinpad")) {
		info->flags |= CKF_PROTECTED_AUTHENTICATION_PATH;
	}
	info->ulMaxPinLen = 64;
	info->ulMinPinLen = 4;
	return CKR_OK;
}

static CK_RV m_GetMechanismList(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR n)
{
	(void)id;
	if (list != NULL && *n >= 1) {
		list[0] = CKM_RSA_PKCS;
	}
	*n = 1;
	return CKR_OK;
}

static CK_RV m_GetMechanismInfo(CK_SLOT_ID id, CK_MECHANISM_TYPE t, CK_MECHANISM_INFO_PTR info)
{
	(void)id;
	if (t != CKM_RSA_PKCS) {
		return CKR_MECHANISM_INVALID;
	}
	info->ulMinKeySize = quirk("mechrange") ? 512 : 1024;
	info->ulMaxKeySize = quirk("mechrange") ? 1024 : 4096;
	info->flags = CKF_SIGN | CKF_HW;
	return CKR_OK;
}

static CK_RV m_OpenSession(
    CK_SLOT_ID id, CK_FLAGS f, CK_VOID_PTR app, CK_NOTIFY notify, CK_SESSION_HANDLE_PTR s)
{
	(void)f;
	(void)app;
	(void)notify;
	if (id != SLOT) {
		return CKR_SLOT_ID_INVALID;
	}
	*s = SESSION;
	return CKR_OK;
}

static CK_RV m_CloseSession(CK_SESSION_HANDLE s)
{
	(void)s;
	return CKR_OK;
}

static CK_RV m_CloseAllSessions(CK_SLOT_ID id)
{
	(void)id;
	return CKR_OK;
}

static CK_RV m_GetSessionInfo(CK_SESSION_HANDLE s, CK_SESSION_INFO_PTR info)
{
	(void)s;
	memset(info, 0, sizeof(*info));
	info->slotID = SLOT;
	info->state = logged_in ? CKS_RO_USER_FUNCTIONS : CKS_RO_PUBLIC_SESSION;
	info->flags = CKF_SERIAL_SESSION;
	return CKR_OK;
}

static CK_RV m_Login(CK_SESSION_HANDLE s, CK_USER_TYPE who, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	const char *good = getenv("P11MOCK_PIN") != NULL ? getenv("P11MOCK_PIN") : "1234";

	(void)s;
	noise("C_Login");
	count_login(who == CKU_CONTEXT_SPECIFIC ? "context" : "user");
	if (flag("locked")) {
		return CKR_PIN_LOCKED;
	}
	if (flag("pinpad")) {
		if (pin != NULL) {
			return CKR_ARGUMENTS_BAD;
		}
		logged_in = 1;
		return CKR_OK;
	}
	if (pin == NULL || len != strlen(good) || memcmp(pin, good, len) != 0) {
		return CKR_PIN_INCORRECT;
	}
	if (who == CKU_USER && logged_in) {
		return CKR_USER_ALREADY_LOGGED_IN;
	}
	logged_in = 1;
	return CKR_OK;
}

static CK_RV m_Logout(CK_SESSION_HANDLE s)
{
	(void)s;
	logged_in = 0;
	return CKR_OK;
}

/* the value of an attribute of object h, or 0 if it has none */
static int attr_of(CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t, const void **v, CK_ULONG *n)
{
	static const CK_OBJECT_CLASS pubc = CKO_PUBLIC_KEY, privc = CKO_PRIVATE_KEY;
	static const CK_KEY_TYPE kt = CKK_RSA;
	static const CK_BBOOL no = CK_FALSE, yes = CK_TRUE;

	switch (t) {
	case CKA_CLASS:
		*v = h == 1 ? &pubc : &privc;
		*n = sizeof(CK_OBJECT_CLASS);
		return 1;
	case CKA_KEY_TYPE:
		*v = &kt;
		*n = sizeof(kt);
		return 1;
	case CKA_ID:
		*v = quirk("textid") ? (const void *)"01" : (const void *)key_id;
		*n = quirk("textid") ? 2 : sizeof(key_id);
		return 1;
	case CKA_LABEL:
		*v = "mockkey";
		*n = 7;
		return 1;
	case CKA_MODULUS:
		*v = modulus;
		*n = modlen;
		return 1;
	case CKA_PUBLIC_EXPONENT:
		*v = pubexp;
		*n = explen;
		return 1;
	case CKA_ALWAYS_AUTHENTICATE:
		*v = &no;
		*n = sizeof(no);
		return h == 2;
	case CKA_SIGN:
		*v = &yes;
		*n = sizeof(yes);
		return h == 2;
	default:
		return 0;
	}
}

static int visible(CK_OBJECT_HANDLE h)
{
	return h == 1 || (h == 2 && logged_in);
}

static CK_RV m_GetAttributeValue(
    CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_PTR a, CK_ULONG n)
{
	CK_RV rv = CKR_OK;
	const void *v;
	CK_ULONG i, len;

	(void)s;
	if (!visible(h)) {
		return CKR_OBJECT_HANDLE_INVALID;
	}
	for (i = 0; i < n; i++) {
		if (!attr_of(h, a[i].type, &v, &len)) {
			a[i].ulValueLen = (CK_ULONG)-1;
			rv = CKR_ATTRIBUTE_TYPE_INVALID;
			continue;
		}
		if (a[i].pValue != NULL) {
			if (a[i].ulValueLen < len) {
				a[i].ulValueLen = (CK_ULONG)-1;
				rv = CKR_BUFFER_TOO_SMALL;
				continue;
			}
			memcpy(a[i].pValue, v, len);
		}
		a[i].ulValueLen = len;
	}
	return rv;
}

static CK_RV m_FindObjectsInit(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	(void)s;
	if (finding) {
		return CKR_OPERATION_ACTIVE;
	}
	free(find_tmpl);
	find_tmpl = NULL;
	if (n > 0) {
		if ((find_tmpl = calloc(n, sizeof(*t))) == NULL) {
			return CKR_HOST_MEMORY;
		}
		memcpy(find_tmpl, t, n * sizeof(*t)); /* values stay the caller's until Final */
	}
	find_n = n;
	finding = 1;
	find_pos = 1;
	return CKR_OK;
}

static int matches(CK_OBJECT_HANDLE h)
{
	const void *v;
	CK_ULONG i, len;

	if (!visible(h)) {
		return 0;
	}
	for (i = 0; i < find_n; i++) {
		if (!attr_of(h, find_tmpl[i].type, &v, &len) || len != find_tmpl[i].ulValueLen ||
		    memcmp(v, find_tmpl[i].pValue, len) != 0) {
			return 0;
		}
	}
	return 1;
}

static CK_RV m_FindObjects(
    CK_SESSION_HANDLE s, CK_OBJECT_HANDLE_PTR out, CK_ULONG max, CK_ULONG_PTR n)
{
	(void)s;
	*n = 0;
	if (!finding) {
		return CKR_OPERATION_NOT_INITIALIZED;
	}
	while (find_pos <= 2 && *n < max) {
		if (matches((CK_OBJECT_HANDLE)find_pos)) {
			out[(*n)++] = (CK_OBJECT_HANDLE)find_pos;
		}
		find_pos++;
	}
	return CKR_OK;
}

static CK_RV m_FindObjectsFinal(CK_SESSION_HANDLE s)
{
	(void)s;
	finding = 0;
	return CKR_OK;
}

static CK_RV m_SignInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE h)
{
	(void)s;
	if (!logged_in) {
		return CKR_USER_NOT_LOGGED_IN;
	}
	if (m == NULL || m->mechanism != CKM_RSA_PKCS) {
		return CKR_MECHANISM_INVALID;
	}
	if (h != 2) {
		return CKR_KEY_HANDLE_INVALID;
	}
	signing = 1;
	return CKR_OK;
}

static CK_RV m_Sign(
    CK_SESSION_HANDLE s, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig, CK_ULONG_PTR siglen)
{
	EVP_PKEY_CTX *ctx = NULL;
	size_t n = modlen;
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (sig != NULL) {
		noise("C_Sign");
	}
	(void)s;
	if (!signing) {
		return CKR_OPERATION_NOT_INITIALIZED;
	}
	if (flag("crash-sign")) {
		raise(SIGSEGV);
	}
	if (flag("exit-sign")) {
		_exit(3);
	}
	if (sig == NULL) {
		*siglen = modlen;
		return CKR_OK;
	}
	if (*siglen < modlen) {
		*siglen = modlen;
		return CKR_BUFFER_TOO_SMALL;
	}
	signing = 0;
	if ((ctx = EVP_PKEY_CTX_new(key, NULL)) != NULL && EVP_PKEY_sign_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
	    EVP_PKEY_sign(ctx, sig, &n, data, len) > 0) {
		*siglen = n;
		rv = CKR_OK;
	}
	EVP_PKEY_CTX_free(ctx);
	return rv;
}

static CK_FUNCTION_LIST functions;

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	functions.version.major = 2;
	functions.version.minor = 40;
	functions.C_Initialize = m_Initialize;
	functions.C_Finalize = m_Finalize;
	functions.C_GetInfo = m_GetInfo;
	functions.C_GetFunctionList = C_GetFunctionList;
	functions.C_GetSlotList = m_GetSlotList;
	functions.C_GetSlotInfo = m_GetSlotInfo;
	functions.C_GetTokenInfo = m_GetTokenInfo;
	functions.C_GetMechanismList = m_GetMechanismList;
	functions.C_GetMechanismInfo = m_GetMechanismInfo;
	functions.C_OpenSession = m_OpenSession;
	functions.C_CloseSession = m_CloseSession;
	functions.C_CloseAllSessions = m_CloseAllSessions;
	functions.C_GetSessionInfo = m_GetSessionInfo;
	functions.C_Login = m_Login;
	functions.C_Logout = m_Logout;
	functions.C_GetAttributeValue = m_GetAttributeValue;
	functions.C_FindObjectsInit = m_FindObjectsInit;
	functions.C_FindObjects = m_FindObjects;
	functions.C_FindObjectsFinal = m_FindObjectsFinal;
	functions.C_SignInit = m_SignInit;
	functions.C_Sign = m_Sign;
	*list = &functions;
	return CKR_OK;
}
