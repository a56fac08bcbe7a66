/*
 * The token helper's wire format (p11helper.c <-> p11helper_main.c): one message is a 4-byte
 * big-endian length and that many bytes (at most P11RPC_MSG_MAX). Inside: unsigned integers
 * (u8, u32 and u64, big-endian) and byte strings (a u32 length, then the bytes). Readers are
 * bounds-checked: a short message or a length over the caller's cap sets `failed` and every
 * later read yields zeros. Writers grow up to P11RPC_MSG_MAX and wipe what they held when freed
 * (a C_Login request carries the PIN).
 */
#ifndef X509SSH_P11RPC_H
#define X509SSH_P11RPC_H

#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

#define P11RPC_MSG_MAX    (512u * 1024u)           /* bytes of one message */
#define P11RPC_FD         3                        /* the helper's end of the socketpair */
#define P11RPC_MARK       "--x509ssh-token-helper" /* argv[1] of the helper */
#define P11RPC_LOAD_SLOTS 256                      /* slots one LOAD reply lists at most */
/* First field of an output frame: what the modules printed during a call, sent ahead of its
 * reply (u32 count, that many strings). No reply starts with it: a CK_RV never has this value. */
#define P11RPC_OUTPUT     UINT64_MAX
#define P11RPC_OUTPUT_MAX 41 /* lines of one output frame */

/* requests; a reply starts with the u64 CK_RV (or, for LOAD, a status) */
enum p11rpc_op {
	P11RPC_LOAD = 1, /* load and initialise modules, list their slots */
	P11RPC_UNLOAD,   /* finalise one load's modules */
	P11RPC_GET_SLOT_INFO,
	P11RPC_GET_TOKEN_INFO,
	P11RPC_OPEN_SESSION,
	P11RPC_CLOSE_SESSION,
	P11RPC_LOGIN,
	P11RPC_GET_SESSION_INFO,
	P11RPC_FIND_OBJECTS_INIT,
	P11RPC_FIND_OBJECTS,
	P11RPC_FIND_OBJECTS_FINAL,
	P11RPC_GET_ATTRIBUTE_VALUE,
	P11RPC_SIGN_INIT,
	P11RPC_SIGN,
	P11RPC_OP_END
};

struct p11rpc_w {
	uint8_t *p;
	size_t len, cap;
	int failed; /* out of memory or over P11RPC_MSG_MAX */
};

struct p11rpc_r {
	const uint8_t *p;
	size_t len, off;
	int failed; /* read past the end, or a length over its cap */
};

void p11rpc_w_init(struct p11rpc_w *w);
/* wipe and free (a writer may be freed twice) */
void p11rpc_w_free(struct p11rpc_w *w);
void p11rpc_w_u8(struct p11rpc_w *w, uint8_t v);
void p11rpc_w_u32(struct p11rpc_w *w, uint32_t v);
void p11rpc_w_u64(struct p11rpc_w *w, uint64_t v);
void p11rpc_w_bytes(struct p11rpc_w *w, const void *p, size_t n);
/* n bytes as they are, without a length */
void p11rpc_w_raw(struct p11rpc_w *w, const void *p, size_t n);
/* a NUL-terminated string as bytes (NULL as the empty string) */
void p11rpc_w_str(struct p11rpc_w *w, const char *s);

void p11rpc_r_init(struct p11rpc_r *r, const uint8_t *p, size_t len);
uint8_t p11rpc_r_u8(struct p11rpc_r *r);
uint32_t p11rpc_r_u32(struct p11rpc_r *r);
uint64_t p11rpc_r_u64(struct p11rpc_r *r);
/* a byte string of at most max bytes: *p points into the message (NULL with *n = 0 on failure) */
void p11rpc_r_bytes(struct p11rpc_r *r, const uint8_t **p, size_t *n, size_t max);
/* a byte string copied into buf as a C string: failure if it holds a NUL or does not fit */
void p11rpc_r_str(struct p11rpc_r *r, char *buf, size_t buflen);
/* 0 when every byte was read and nothing failed, else -1 */
int p11rpc_r_end(const struct p11rpc_r *r);

/* write one message (the writer's bytes) on fd: 0, or -1 with errno (a failed writer: EMSGSIZE) */
int p11rpc_send(int fd, const struct p11rpc_w *w);
/* read one message: 0 with *out malloc'd (wipe and free it), 1 on a clean EOF before a message,
 * -1 on an error, a short message or a length over P11RPC_MSG_MAX */
int p11rpc_recv(int fd, uint8_t **out, size_t *len);
/* wipe and free a received message */
void p11rpc_msg_free(uint8_t *p, size_t len);

/* the info structures, field by field */
void p11rpc_w_slot_info(struct p11rpc_w *w, const CK_SLOT_INFO *si);
void p11rpc_r_slot_info(struct p11rpc_r *r, CK_SLOT_INFO *si);
void p11rpc_w_token_info(struct p11rpc_w *w, const CK_TOKEN_INFO *ti);
void p11rpc_r_token_info(struct p11rpc_r *r, CK_TOKEN_INFO *ti);

#endif
