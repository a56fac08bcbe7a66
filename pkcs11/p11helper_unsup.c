/*
 * The calls of the helper's function list that pkcs11/ never makes: each answers
 * CKR_FUNCTION_NOT_SUPPORTED, so that a new call site fails cleanly instead of jumping to NULL.
 * (Initialisation and the slot list are the helper's LOAD request, p11helper.c.)
 */
#include "p11_int.h"

/* every stub ignores its parameters: no -Wunused-parameter for them */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define NOT_SUPPORTED                                                                              \
	{                                                                                          \
		return CKR_FUNCTION_NOT_SUPPORTED;                                                 \
	}

// clang-format off
static CK_RV ns_C_Initialize(void *init_args) NOT_SUPPORTED
static CK_RV ns_C_Finalize(void *reserved) NOT_SUPPORTED
static CK_RV ns_C_GetInfo(CK_INFO *info) NOT_SUPPORTED
static CK_RV ns_C_GetFunctionList(CK_FUNCTION_LIST **function_list) NOT_SUPPORTED
static CK_RV ns_C_GetSlotList(unsigned char token_present, CK_SLOT_ID *slot_list,
    unsigned long *count) NOT_SUPPORTED
static CK_RV ns_C_GetMechanismList(CK_SLOT_ID slot_id, CK_MECHANISM_TYPE *mechanism_list,
    unsigned long *count) NOT_SUPPORTED
static CK_RV ns_C_GetMechanismInfo(CK_SLOT_ID slot_id, CK_MECHANISM_TYPE type,
    CK_MECHANISM_INFO *info) NOT_SUPPORTED
static CK_RV ns_C_InitToken(CK_SLOT_ID slot_id, unsigned char *pin, unsigned long pin_len,
    unsigned char *label) NOT_SUPPORTED
static CK_RV ns_C_InitPIN(CK_SESSION_HANDLE session, unsigned char *pin,
    unsigned long pin_len) NOT_SUPPORTED
static CK_RV ns_C_SetPIN(CK_SESSION_HANDLE session, unsigned char *old_pin, unsigned long old_len,
    unsigned char *new_pin, unsigned long new_len) NOT_SUPPORTED
static CK_RV ns_C_CloseAllSessions(CK_SLOT_ID slot_id) NOT_SUPPORTED
static CK_RV ns_C_GetOperationState(CK_SESSION_HANDLE session, unsigned char *operation_state,
    unsigned long *operation_state_len) NOT_SUPPORTED
static CK_RV ns_C_SetOperationState(CK_SESSION_HANDLE session, unsigned char *operation_state,
    unsigned long operation_state_len, CK_OBJECT_HANDLE encryption_key,
    CK_OBJECT_HANDLE authentication_key) NOT_SUPPORTED
static CK_RV ns_C_Logout(CK_SESSION_HANDLE session) NOT_SUPPORTED
static CK_RV ns_C_CreateObject(CK_SESSION_HANDLE session, CK_ATTRIBUTE *templ, unsigned long count,
    CK_OBJECT_HANDLE *object) NOT_SUPPORTED
static CK_RV ns_C_CopyObject(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
    CK_ATTRIBUTE *templ, unsigned long count, CK_OBJECT_HANDLE *new_object) NOT_SUPPORTED
static CK_RV ns_C_DestroyObject(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object) NOT_SUPPORTED
static CK_RV ns_C_GetObjectSize(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
    unsigned long *size) NOT_SUPPORTED
static CK_RV ns_C_SetAttributeValue(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
    CK_ATTRIBUTE *templ, unsigned long count) NOT_SUPPORTED
static CK_RV ns_C_EncryptInit(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism,
    CK_OBJECT_HANDLE key) NOT_SUPPORTED
static CK_RV ns_C_Encrypt(CK_SESSION_HANDLE session, unsigned char *data, unsigned long data_len,
    unsigned char *encrypted_data, unsigned long *encrypted_data_len) NOT_SUPPORTED
static CK_RV ns_C_EncryptUpdate(CK_SESSION_HANDLE session, unsigned char *part,
    unsigned long part_len, unsigned char *encrypted_part,
    unsigned long *encrypted_part_len) NOT_SUPPORTED
static CK_RV ns_C_EncryptFinal(CK_SESSION_HANDLE session, unsigned char *last_encrypted_part,
    unsigned long *last_encrypted_part_len) NOT_SUPPORTED
static CK_RV ns_C_DecryptInit(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism,
    CK_OBJECT_HANDLE key) NOT_SUPPORTED
static CK_RV ns_C_Decrypt(CK_SESSION_HANDLE session, unsigned char *encrypted_data,
    unsigned long encrypted_data_len, unsigned char *data, unsigned long *data_len) NOT_SUPPORTED
static CK_RV ns_C_DecryptUpdate(CK_SESSION_HANDLE session, unsigned char *encrypted_part,
    unsigned long encrypted_part_len, unsigned char *part, unsigned long *part_len) NOT_SUPPORTED
static CK_RV ns_C_DecryptFinal(CK_SESSION_HANDLE session, unsigned char *last_part,
    unsigned long *last_part_len) NOT_SUPPORTED
static CK_RV ns_C_DigestInit(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism) NOT_SUPPORTED
static CK_RV ns_C_Digest(CK_SESSION_HANDLE session, unsigned char *data, unsigned long data_len,
    unsigned char *digest, unsigned long *digest_len) NOT_SUPPORTED
static CK_RV ns_C_DigestUpdate(CK_SESSION_HANDLE session, unsigned char *part,
    unsigned long part_len) NOT_SUPPORTED
static CK_RV ns_C_DigestKey(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key) NOT_SUPPORTED
static CK_RV ns_C_DigestFinal(CK_SESSION_HANDLE session, unsigned char *digest,
    unsigned long *digest_len) NOT_SUPPORTED
static CK_RV ns_C_SignUpdate(CK_SESSION_HANDLE session, unsigned char *part,
    unsigned long part_len) NOT_SUPPORTED
static CK_RV ns_C_SignFinal(CK_SESSION_HANDLE session, unsigned char *signature,
    unsigned long *signature_len) NOT_SUPPORTED
static CK_RV ns_C_SignRecoverInit(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism,
    CK_OBJECT_HANDLE key) NOT_SUPPORTED
static CK_RV ns_C_SignRecover(CK_SESSION_HANDLE session, unsigned char *data,
    unsigned long data_len, unsigned char *signature, unsigned long *signature_len) NOT_SUPPORTED
static CK_RV ns_C_VerifyInit(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism,
    CK_OBJECT_HANDLE key) NOT_SUPPORTED
static CK_RV ns_C_Verify(CK_SESSION_HANDLE session, unsigned char *data, unsigned long data_len,
    unsigned char *signature, unsigned long signature_len) NOT_SUPPORTED
static CK_RV ns_C_VerifyUpdate(CK_SESSION_HANDLE session, unsigned char *part,
    unsigned long part_len) NOT_SUPPORTED
static CK_RV ns_C_VerifyFinal(CK_SESSION_HANDLE session, unsigned char *signature,
    unsigned long signature_len) NOT_SUPPORTED
static CK_RV ns_C_VerifyRecoverInit(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism,
    CK_OBJECT_HANDLE key) NOT_SUPPORTED
static CK_RV ns_C_VerifyRecover(CK_SESSION_HANDLE session, unsigned char *signature,
    unsigned long signature_len, unsigned char *data, unsigned long *data_len) NOT_SUPPORTED
static CK_RV ns_C_DigestEncryptUpdate(CK_SESSION_HANDLE session, unsigned char *part,
    unsigned long part_len, unsigned char *encrypted_part,
    unsigned long *encrypted_part_len) NOT_SUPPORTED
static CK_RV ns_C_DecryptDigestUpdate(CK_SESSION_HANDLE session, unsigned char *encrypted_part,
    unsigned long encrypted_part_len, unsigned char *part, unsigned long *part_len) NOT_SUPPORTED
static CK_RV ns_C_SignEncryptUpdate(CK_SESSION_HANDLE session, unsigned char *part,
    unsigned long part_len, unsigned char *encrypted_part,
    unsigned long *encrypted_part_len) NOT_SUPPORTED
static CK_RV ns_C_DecryptVerifyUpdate(CK_SESSION_HANDLE session, unsigned char *encrypted_part,
    unsigned long encrypted_part_len, unsigned char *part, unsigned long *part_len) NOT_SUPPORTED
static CK_RV ns_C_GenerateKey(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism,
    CK_ATTRIBUTE *templ, unsigned long count, CK_OBJECT_HANDLE *key) NOT_SUPPORTED
static CK_RV ns_C_GenerateKeyPair(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism,
    CK_ATTRIBUTE *public_key_template, unsigned long public_key_attribute_count,
    CK_ATTRIBUTE *private_key_template, unsigned long private_key_attribute_count,
    CK_OBJECT_HANDLE *public_key, CK_OBJECT_HANDLE *private_key) NOT_SUPPORTED
static CK_RV ns_C_WrapKey(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism,
    CK_OBJECT_HANDLE wrapping_key, CK_OBJECT_HANDLE key, unsigned char *wrapped_key,
    unsigned long *wrapped_key_len) NOT_SUPPORTED
static CK_RV ns_C_UnwrapKey(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism,
    CK_OBJECT_HANDLE unwrapping_key, unsigned char *wrapped_key, unsigned long wrapped_key_len,
    CK_ATTRIBUTE *templ, unsigned long attribute_count, CK_OBJECT_HANDLE *key) NOT_SUPPORTED
static CK_RV ns_C_DeriveKey(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism,
    CK_OBJECT_HANDLE base_key, CK_ATTRIBUTE *templ, unsigned long attribute_count,
    CK_OBJECT_HANDLE *key) NOT_SUPPORTED
static CK_RV ns_C_SeedRandom(CK_SESSION_HANDLE session, unsigned char *seed,
    unsigned long seed_len) NOT_SUPPORTED
static CK_RV ns_C_GenerateRandom(CK_SESSION_HANDLE session, unsigned char *random_data,
    unsigned long random_len) NOT_SUPPORTED
static CK_RV ns_C_GetFunctionStatus(CK_SESSION_HANDLE session) NOT_SUPPORTED
static CK_RV ns_C_CancelFunction(CK_SESSION_HANDLE session) NOT_SUPPORTED
static CK_RV ns_C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID *slot, void *reserved) NOT_SUPPORTED
    // clang-format on

    void p11_helper_unsupported(CK_FUNCTION_LIST *fl)
{
	fl->C_Initialize = ns_C_Initialize;
	fl->C_Finalize = ns_C_Finalize;
	fl->C_GetInfo = ns_C_GetInfo;
	fl->C_GetFunctionList = ns_C_GetFunctionList;
	fl->C_GetSlotList = ns_C_GetSlotList;
	fl->C_GetMechanismList = ns_C_GetMechanismList;
	fl->C_GetMechanismInfo = ns_C_GetMechanismInfo;
	fl->C_InitToken = ns_C_InitToken;
	fl->C_InitPIN = ns_C_InitPIN;
	fl->C_SetPIN = ns_C_SetPIN;
	fl->C_CloseAllSessions = ns_C_CloseAllSessions;
	fl->C_GetOperationState = ns_C_GetOperationState;
	fl->C_SetOperationState = ns_C_SetOperationState;
	fl->C_Logout = ns_C_Logout;
	fl->C_CreateObject = ns_C_CreateObject;
	fl->C_CopyObject = ns_C_CopyObject;
	fl->C_DestroyObject = ns_C_DestroyObject;
	fl->C_GetObjectSize = ns_C_GetObjectSize;
	fl->C_SetAttributeValue = ns_C_SetAttributeValue;
	fl->C_EncryptInit = ns_C_EncryptInit;
	fl->C_Encrypt = ns_C_Encrypt;
	fl->C_EncryptUpdate = ns_C_EncryptUpdate;
	fl->C_EncryptFinal = ns_C_EncryptFinal;
	fl->C_DecryptInit = ns_C_DecryptInit;
	fl->C_Decrypt = ns_C_Decrypt;
	fl->C_DecryptUpdate = ns_C_DecryptUpdate;
	fl->C_DecryptFinal = ns_C_DecryptFinal;
	fl->C_DigestInit = ns_C_DigestInit;
	fl->C_Digest = ns_C_Digest;
	fl->C_DigestUpdate = ns_C_DigestUpdate;
	fl->C_DigestKey = ns_C_DigestKey;
	fl->C_DigestFinal = ns_C_DigestFinal;
	fl->C_SignUpdate = ns_C_SignUpdate;
	fl->C_SignFinal = ns_C_SignFinal;
	fl->C_SignRecoverInit = ns_C_SignRecoverInit;
	fl->C_SignRecover = ns_C_SignRecover;
	fl->C_VerifyInit = ns_C_VerifyInit;
	fl->C_Verify = ns_C_Verify;
	fl->C_VerifyUpdate = ns_C_VerifyUpdate;
	fl->C_VerifyFinal = ns_C_VerifyFinal;
	fl->C_VerifyRecoverInit = ns_C_VerifyRecoverInit;
	fl->C_VerifyRecover = ns_C_VerifyRecover;
	fl->C_DigestEncryptUpdate = ns_C_DigestEncryptUpdate;
	fl->C_DecryptDigestUpdate = ns_C_DecryptDigestUpdate;
	fl->C_SignEncryptUpdate = ns_C_SignEncryptUpdate;
	fl->C_DecryptVerifyUpdate = ns_C_DecryptVerifyUpdate;
	fl->C_GenerateKey = ns_C_GenerateKey;
	fl->C_GenerateKeyPair = ns_C_GenerateKeyPair;
	fl->C_WrapKey = ns_C_WrapKey;
	fl->C_UnwrapKey = ns_C_UnwrapKey;
	fl->C_DeriveKey = ns_C_DeriveKey;
	fl->C_SeedRandom = ns_C_SeedRandom;
	fl->C_GenerateRandom = ns_C_GenerateRandom;
	fl->C_GetFunctionStatus = ns_C_GetFunctionStatus;
	fl->C_CancelFunction = ns_C_CancelFunction;
	fl->C_WaitForSlotEvent = ns_C_WaitForSlotEvent;
}
