/* the one file that may name struct buf's fields (buf.h) */
#define X509SSH_BUF_OWNER
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "err.h"

#define BUF_MIN_ALLOC 256

void buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
	b->buf_priv_max = BUF_MAX;
}

void buf_init_secret(struct buf *b)
{
	buf_init(b);
	b->buf_priv_secret = 1;
}

void buf_free(struct buf *b)
{
	int secret = b->buf_priv_secret;
	size_t max = b->buf_priv_max;

	if (b->buf_priv_d != NULL) {
		if (secret) {
			OPENSSL_cleanse(b->buf_priv_d, b->buf_priv_cap);
		}
		free(b->buf_priv_d);
	}
	buf_init(b);
	b->buf_priv_secret = secret;
	b->buf_priv_max = max;
}

void buf_reset(struct buf *b)
{
	if (b->buf_priv_secret && b->buf_priv_d != NULL) {
		OPENSSL_cleanse(b->buf_priv_d, b->buf_priv_len);
	}
	b->buf_priv_off = 0;
	b->buf_priv_len = 0;
}

void buf_wipe(struct buf *b)
{
	if (b->buf_priv_d != NULL) {
		OPENSSL_cleanse(b->buf_priv_d, b->buf_priv_cap);
	}
}

void buf_set_max(struct buf *b, size_t max)
{
	b->buf_priv_max = max;
}

void buf_rollback(struct buf *b, size_t mark)
{
	if (buf_len(b) > mark) {
		(void)buf_consume_end(b, buf_len(b) - mark);
	}
}

static int buf_grow(struct buf *b, size_t n)
{
	size_t need, ncap;
	uint8_t *nd;

	if (n > b->buf_priv_max || buf_len(b) > b->buf_priv_max - n) {
		return SSH_ERR_TOO_LARGE;
	}
	if (b->buf_priv_cap - b->buf_priv_len >= n) {
		return 0;
	}
	/* compact first if that is enough and worth it */
	if (b->buf_priv_off > 0 && b->buf_priv_cap - buf_len(b) >= n &&
	    b->buf_priv_off >= b->buf_priv_cap / 2) {
		size_t l = buf_len(b);
		memmove(b->buf_priv_d, b->buf_priv_d + b->buf_priv_off, l);
		if (b->buf_priv_secret) {
			OPENSSL_cleanse(b->buf_priv_d + l, b->buf_priv_len - l);
		}
		b->buf_priv_off = 0;
		b->buf_priv_len = l;
		return 0;
	}
	need = b->buf_priv_len + n;
	ncap = b->buf_priv_cap < BUF_MIN_ALLOC ? BUF_MIN_ALLOC : b->buf_priv_cap;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			return SSH_ERR_TOO_LARGE;
		}
		ncap *= 2;
	}
	if (b->buf_priv_secret) {
		nd = malloc(ncap);
		if (nd == NULL) {
			return SSH_ERR_ALLOC;
		}
		if (b->buf_priv_d != NULL) {
			memcpy(nd, b->buf_priv_d, b->buf_priv_len);
			OPENSSL_cleanse(b->buf_priv_d, b->buf_priv_cap);
			free(b->buf_priv_d);
		}
	} else {
		nd = realloc(b->buf_priv_d, ncap);
		if (nd == NULL) {
			return SSH_ERR_ALLOC;
		}
	}
	b->buf_priv_d = nd;
	b->buf_priv_cap = ncap;
	return 0;
}

int buf_reserve(struct buf *b, size_t n, uint8_t **out)
{
	int r;

	if (out != NULL) {
		*out = NULL;
	}
	if ((r = buf_grow(b, n)) != 0) {
		return r;
	}
	if (out != NULL) {
		/* an empty buffer has no storage: no pointer arithmetic on NULL (n may be 0) */
		*out = b->buf_priv_d != NULL ? b->buf_priv_d + b->buf_priv_len : NULL;
	}
	b->buf_priv_len += n;
	return 0;
}

int buf_tail(struct buf *b, size_t n, uint8_t **out)
{
	int r;

	*out = NULL;
	if ((r = buf_grow(b, n)) != 0) {
		return r;
	}
	*out = b->buf_priv_d != NULL ? b->buf_priv_d + b->buf_priv_len : NULL;
	return 0;
}

int buf_commit(struct buf *b, size_t n)
{
	if (n > b->buf_priv_cap - b->buf_priv_len) {
		return SSH_ERR_INTERNAL;
	}
	b->buf_priv_len += n;
	return 0;
}

int buf_consume(struct buf *b, size_t n)
{
	if (n > buf_len(b)) {
		return SSH_ERR_INCOMPLETE;
	}
	if (b->buf_priv_secret && n > 0) {
		OPENSSL_cleanse(b->buf_priv_d + b->buf_priv_off, n);
	}
	b->buf_priv_off += n;
	if (b->buf_priv_off == b->buf_priv_len) {
		b->buf_priv_off = 0;
		b->buf_priv_len = 0;
	}
	return 0;
}

int buf_consume_end(struct buf *b, size_t n)
{
	if (n > buf_len(b)) {
		return SSH_ERR_INCOMPLETE;
	}
	if (b->buf_priv_secret && n > 0) {
		OPENSSL_cleanse(b->buf_priv_d + b->buf_priv_len - n, n);
	}
	b->buf_priv_len -= n;
	return 0;
}

struct rd buf_rd(const struct buf *b)
{
	return rd_make(buf_ptr(b), buf_len(b));
}

int buf_put(struct buf *b, const void *v, size_t n)
{
	uint8_t *p;
	int r;

	/* nothing to add (v may then be NULL, b may have no storage): touch nothing */
	if (n == 0) {
		return 0;
	}
	if ((r = buf_reserve(b, n, &p)) != 0) {
		return r;
	}
	memcpy(p, v, n);
	return 0;
}

int buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put(b, &v, 1);
}

int buf_put_bool(struct buf *b, int v)
{
	return buf_put_u8(b, v ? 1 : 0);
}

uint32_t peek_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

void poke_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t t[4];

	poke_u32(t, v);
	return buf_put(b, t, 4);
}

int buf_put_u64(struct buf *b, uint64_t v)
{
	uint8_t t[8];

	poke_u32(t, (uint32_t)(v >> 32));
	poke_u32(t + 4, (uint32_t)v);
	return buf_put(b, t, 8);
}

int buf_put_string(struct buf *b, const void *v, size_t n)
{
	int r;

	if (n > 0xffffffffu) {
		return SSH_ERR_TOO_LARGE;
	}
	if ((r = buf_put_u32(b, (uint32_t)n)) != 0) {
		return r;
	}
	return buf_put(b, v, n);
}

int buf_put_cstring(struct buf *b, const char *s)
{
	return buf_put_string(b, s, s == NULL ? 0 : strlen(s));
}

int buf_put_buf(struct buf *b, const struct buf *v)
{
	return buf_put_string(b, buf_ptr(v), buf_len(v));
}

int buf_put_mpint_bytes(struct buf *b, const uint8_t *v, size_t n)
{
	int r;
	size_t pad;

	while (n > 0 && v[0] == 0) {
		v++;
		n--;
	}
	if (n > 0xfffffffeu) {
		return SSH_ERR_TOO_LARGE;
	}
	pad = n > 0 && (v[0] & 0x80) != 0 ? 1 : 0;
	if ((r = buf_put_u32(b, (uint32_t)(n + pad))) != 0) {
		return r;
	}
	if (pad != 0 && (r = buf_put_u8(b, 0)) != 0) {
		return r;
	}
	return buf_put(b, v, n);
}

int buf_put_bignum(struct buf *b, const BIGNUM *bn)
{
	uint8_t tmp[1024];
	int n;

	if (BN_is_negative(bn)) {
		return SSH_ERR_FORMAT;
	}
	n = BN_num_bytes(bn);
	if (n < 0 || (size_t)n > sizeof(tmp)) {
		return SSH_ERR_TOO_LARGE;
	}
	if (BN_bn2bin(bn, tmp) != n) {
		return SSH_ERR_LIBCRYPTO;
	}
	n = buf_put_mpint_bytes(b, tmp, (size_t)n);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return n;
}

/* ---- reader ---- */

int rd_bytes(struct rd *r, size_t n, const uint8_t **p)
{
	if (p != NULL) {
		*p = NULL;
	}
	if (n > r->len) {
		return SSH_ERR_INCOMPLETE;
	}
	if (p != NULL) {
		*p = r->p;
	}
	if (n > 0) { /* an empty reader may have a NULL pointer: no arithmetic on it */
		r->p += n;
		r->len -= n;
	}
	return 0;
}

int rd_u8(struct rd *r, uint8_t *v)
{
	const uint8_t *p;
	int e;

	*v = 0;
	if ((e = rd_bytes(r, 1, &p)) != 0) {
		return e;
	}
	*v = p[0];
	return 0;
}

int rd_bool(struct rd *r, int *v)
{
	uint8_t u;
	int e;

	*v = 0;
	if ((e = rd_u8(r, &u)) != 0) {
		return e;
	}
	*v = u != 0;
	return 0;
}

int rd_u32(struct rd *r, uint32_t *v)
{
	const uint8_t *p;
	int e;

	*v = 0;
	if ((e = rd_bytes(r, 4, &p)) != 0) {
		return e;
	}
	*v = peek_u32(p);
	return 0;
}

int rd_u64(struct rd *r, uint64_t *v)
{
	const uint8_t *p;
	int e;

	*v = 0;
	if ((e = rd_bytes(r, 8, &p)) != 0) {
		return e;
	}
	*v = ((uint64_t)peek_u32(p) << 32) | peek_u32(p + 4);
	return 0;
}

int rd_string(struct rd *r, const uint8_t **p, size_t *n)
{
	struct rd save = *r;
	uint32_t len;
	int e;

	if (p != NULL) {
		*p = NULL;
	}
	if (n != NULL) {
		*n = 0;
	}
	if ((e = rd_u32(r, &len)) != 0) {
		return e;
	}
	if ((e = rd_bytes(r, len, p)) != 0) {
		*r = save;
		return e;
	}
	if (n != NULL) {
		*n = len;
	}
	return 0;
}

int rd_string_rd(struct rd *r, struct rd *sub)
{
	const uint8_t *p;
	size_t n;
	int e;

	*sub = rd_make(NULL, 0);
	if ((e = rd_string(r, &p, &n)) != 0) {
		return e;
	}
	*sub = rd_make(p, n);
	return 0;
}

int rd_skip_string(struct rd *r)
{
	return rd_string(r, NULL, NULL);
}

int rd_cstring(struct rd *r, char **s)
{
	struct rd save = *r;
	const uint8_t *p;
	size_t n;
	char *c;
	int e;

	*s = NULL;
	if ((e = rd_string(r, &p, &n)) != 0) {
		return e;
	}
	if (n > 0 && memchr(p, '\0', n) != NULL) {
		*r = save;
		return SSH_ERR_FORMAT;
	}
	if ((c = malloc(n + 1)) == NULL) {
		*r = save;
		return SSH_ERR_ALLOC;
	}
	if (n > 0) {
		memcpy(c, p, n);
	}
	c[n] = '\0';
	*s = c;
	return 0;
}

int rd_mpint_bytes(struct rd *r, const uint8_t **p, size_t *n)
{
	struct rd save = *r;
	const uint8_t *v;
	size_t l;
	int e;

	*p = NULL;
	*n = 0;
	if ((e = rd_string(r, &v, &l)) != 0) {
		return e;
	}
	if (l > 0 && (v[0] & 0x80) != 0) {
		*r = save;
		return SSH_ERR_FORMAT; /* negative */
	}
	if (l > 16385) {
		*r = save;
		return SSH_ERR_TOO_LARGE;
	}
	/* a leading zero is only allowed when the next byte has its top bit set */
	if (l > 1 && v[0] == 0 && (v[1] & 0x80) == 0) {
		*r = save;
		return SSH_ERR_FORMAT;
	}
	if (l > 0 && v[0] == 0) {
		v++;
		l--;
	}
	*p = v;
	*n = l;
	return 0;
}

int rd_bignum(struct rd *r, BIGNUM **bn)
{
	struct rd save = *r;
	const uint8_t *v;
	size_t l;
	int e;

	*bn = NULL;
	if ((e = rd_mpint_bytes(r, &v, &l)) != 0) {
		return e;
	}
	if ((*bn = BN_bin2bn(v, (int)l, NULL)) == NULL) {
		*r = save;
		return SSH_ERR_LIBCRYPTO;
	}
	return 0;
}

int rd_end(const struct rd *r)
{
	return r->len == 0 ? 0 : SSH_ERR_FORMAT;
}

int str_eq(const uint8_t *p, size_t n, const char *s)
{
	return strlen(s) == n && (n == 0 || memcmp(p, s, n) == 0);
}
