/*
 * Byte buffers in the sshbuf manner.
 *
 * struct buf  - a growable, owned byte buffer with a read offset. Writers append at the end,
 *               readers consume from the front. A buffer marked secret wipes itself when it
 *               shrinks, is reset or freed. Every buffer has a size cap (BUF_MAX by default).
 * struct rd   - a borrowed, read-only cursor over bytes someone else owns. Every getter checks
 *               bounds, zeroes its out-parameters on entry and consumes only on success.
 *               rd_end() is the explicit "no trailing bytes" check every parser ends with.
 *
 * All functions return 0 or a negative enum ssh_err.
 *
 * struct buf's definition is here only so buffers can live on the stack and inside other structs:
 * its fields are private to buf.c by construction. They are named buf_priv_*, and unless the file
 * defines X509SSH_BUF_OWNER before including this header (buf.c alone does) those names are
 * poisoned right after the inline accessors below: any other file that names a field does not
 * compile (the unit test rooms/buf_private proves it). Everything else goes through the functions
 * below (a writer that must undo a partial write takes a buf_mark() first and buf_rollback()s to
 * it).
 */
#ifndef X509SSH_BUF_H
#define X509SSH_BUF_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bn.h>

#define BUF_MAX (64u * 1024 * 1024) /* default cap on any buffer */

struct buf {                 /* fields private to buf.c (see above) */
	uint8_t *buf_priv_d; /* storage */
	size_t buf_priv_off; /* read offset */
	size_t buf_priv_len; /* end of data (off <= len <= cap) */
	size_t buf_priv_cap; /* allocated */
	size_t buf_priv_max; /* cap on len - off growth */
	int buf_priv_secret; /* wipe on free/reset/compaction */
};

struct rd {
	const uint8_t *p;
	size_t len;
};

/* ---- struct buf ---- */
void buf_init(struct buf *b);        /* empty, no allocation, cap BUF_MAX */
void buf_init_secret(struct buf *b); /* same, wipes itself */
void buf_free(struct buf *b);        /* frees (wiping if secret) and re-inits */
void buf_reset(struct buf *b);       /* empties, keeps storage */
void buf_wipe(struct buf *b);        /* cleanses all storage (secret or not), keeps the data size */
void buf_set_max(struct buf *b, size_t max); /* cap on the unread bytes it may hold */
/* Undo for writers: buf_mark() before writing, buf_rollback(b, mark) drops every byte written since
 * (wiped if secret). Valid while nothing is consumed from the front in between. */
void buf_rollback(struct buf *b, size_t mark);
/* the unread bytes: inline, as the packet layer calls them for every packet */
static inline size_t buf_len(const struct buf *b)
{
	return b->buf_priv_len - b->buf_priv_off;
}
static inline uint8_t *buf_ptr(const struct buf *b)
{
	return b->buf_priv_d ? b->buf_priv_d + b->buf_priv_off : NULL;
}
/* the mark buf_rollback() takes (inline too: the packet writer takes one per packet) */
static inline size_t buf_mark(const struct buf *b)
{
	return buf_len(b);
}
#ifndef X509SSH_BUF_OWNER
#pragma GCC poison buf_priv_d buf_priv_off buf_priv_len buf_priv_cap buf_priv_max buf_priv_secret
#endif
int buf_reserve(
    struct buf *b, size_t n, uint8_t **out); /* append n bytes, return pointer to them */
int buf_consume(struct buf *b, size_t n);    /* drop n bytes from the front */
/* room for at least n more bytes at the end without adding them: *out points at the free space
 * (valid until the next call that may grow b); buf_commit(b, k) then adds the first k of them */
int buf_tail(struct buf *b, size_t n, uint8_t **out);
int buf_commit(struct buf *b, size_t n);
int buf_consume_end(struct buf *b, size_t n); /* drop n bytes from the end */
struct rd buf_rd(const struct buf *b);        /* a reader over the unread bytes */

int buf_put(struct buf *b, const void *v, size_t n);
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
int buf_put_string(struct buf *b, const void *v, size_t n); /* uint32 length + bytes */
int buf_put_cstring(struct buf *b, const char *s);          /* string from NUL-terminated text */
int buf_put_buf(struct buf *b, const struct buf *v);        /* string holding v's unread bytes */
int buf_put_bool(struct buf *b, int v);
/* mpint from an unsigned big-endian magnitude (leading zeros stripped, 0x00 added if the top bit
 * is set) */
int buf_put_mpint_bytes(struct buf *b, const uint8_t *v, size_t n);
int buf_put_bignum(struct buf *b, const BIGNUM *bn); /* non-negative BIGNUM as mpint */

/* ---- struct rd ---- */
static inline struct rd rd_make(const void *p, size_t len)
{
	struct rd r;
	r.p = (const uint8_t *)p;
	r.len = len;
	return r;
}
int rd_u8(struct rd *r, uint8_t *v);
int rd_bool(struct rd *r, int *v);
int rd_u32(struct rd *r, uint32_t *v);
int rd_u64(struct rd *r, uint64_t *v);
int rd_bytes(struct rd *r, size_t n, const uint8_t **p);   /* borrow n raw bytes */
int rd_string(struct rd *r, const uint8_t **p, size_t *n); /* borrow a string's contents */
int rd_string_rd(struct rd *r, struct rd *sub);            /* a string as a nested reader */
/* a string that must be text without NULs; returns a malloc'd NUL-terminated copy */
int rd_cstring(struct rd *r, char **s);
/* an mpint that must be non-negative; borrowed magnitude without the leading 0x00 */
int rd_mpint_bytes(struct rd *r, const uint8_t **p, size_t *n);
int rd_bignum(struct rd *r, BIGNUM **bn); /* non-negative mpint as BIGNUM */
int rd_skip_string(struct rd *r);
int rd_end(const struct rd *r); /* SSH_ERR_FORMAT if bytes remain */

/* ---- helpers ---- */
uint32_t peek_u32(const uint8_t *p);
void poke_u32(uint8_t *p, uint32_t v);
/* 1 if s equals the n bytes at p (no NUL inside) */
int str_eq(const uint8_t *p, size_t n, const char *s);

#endif
