/* The token helper's wire format: bounds-checked readers, capped writers, framing (p11rpc.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "p11rpc.h"

void p11rpc_w_init(struct p11rpc_w *w)
{
	memset(w, 0, sizeof(*w));
}

void p11rpc_w_free(struct p11rpc_w *w)
{
	if (w->p != NULL) {
		OPENSSL_cleanse(w->p, w->cap);
		free(w->p);
	}
	memset(w, 0, sizeof(*w));
}

/* room for n more bytes; the old buffer is wiped when the bytes move */
static uint8_t *w_room(struct p11rpc_w *w, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (w->failed || n > P11RPC_MSG_MAX - w->len) {
		w->failed = 1;
		return NULL;
	}
	if (w->len + n > w->cap) {
		for (cap = w->cap > 0 ? w->cap : 256; cap < w->len + n; cap *= 2) {
		}
		if ((p = malloc(cap)) == NULL) {
			w->failed = 1;
			return NULL;
		}
		if (w->p != NULL) {
			memcpy(p, w->p, w->len);
			OPENSSL_cleanse(w->p, w->cap);
			free(w->p);
		}
		w->p = p;
		w->cap = cap;
	}
	p = w->p + w->len;
	w->len += n;
	return p;
}

static void w_be(struct p11rpc_w *w, uint64_t v, size_t n)
{
	uint8_t *p = w_room(w, n);
	size_t i;

	for (i = 0; p != NULL && i < n; i++) {
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	}
}

void p11rpc_w_u8(struct p11rpc_w *w, uint8_t v)
{
	w_be(w, v, 1);
}

void p11rpc_w_u32(struct p11rpc_w *w, uint32_t v)
{
	w_be(w, v, 4);
}

void p11rpc_w_u64(struct p11rpc_w *w, uint64_t v)
{
	w_be(w, v, 8);
}

void p11rpc_w_bytes(struct p11rpc_w *w, const void *p, size_t n)
{
	uint8_t *d;

	if (n > P11RPC_MSG_MAX) {
		w->failed = 1;
		return;
	}
	p11rpc_w_u32(w, (uint32_t)n);
	if (n > 0 && (d = w_room(w, n)) != NULL) {
		memcpy(d, p, n);
	}
}

void p11rpc_w_raw(struct p11rpc_w *w, const void *p, size_t n)
{
	uint8_t *d;

	if (n > 0 && (d = w_room(w, n)) != NULL) {
		memcpy(d, p, n);
	}
}

void p11rpc_w_str(struct p11rpc_w *w, const char *s)
{
	p11rpc_w_bytes(w, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

void p11rpc_r_init(struct p11rpc_r *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = p != NULL ? len : 0;
	r->off = 0;
	r->failed = 0;
}

/* n bytes from the message, or NULL (failed) */
static const uint8_t *r_take(struct p11rpc_r *r, size_t n)
{
	const uint8_t *p;

	if (r->failed || n > r->len - r->off) {
		r->failed = 1;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

static uint64_t r_be(struct p11rpc_r *r, size_t n)
{
	const uint8_t *p = r_take(r, n);
	uint64_t v = 0;
	size_t i;

	for (i = 0; p != NULL && i < n; i++) {
		v = (v << 8) | p[i];
	}
	return v;
}

uint8_t p11rpc_r_u8(struct p11rpc_r *r)
{
	return (uint8_t)r_be(r, 1);
}

uint32_t p11rpc_r_u32(struct p11rpc_r *r)
{
	return (uint32_t)r_be(r, 4);
}

uint64_t p11rpc_r_u64(struct p11rpc_r *r)
{
	return r_be(r, 8);
}

void p11rpc_r_bytes(struct p11rpc_r *r, const uint8_t **p, size_t *n, size_t max)
{
	size_t len = p11rpc_r_u32(r);

	*p = NULL;
	*n = 0;
	if (len > max) {
		r->failed = 1;
		return;
	}
	if ((*p = r_take(r, len)) != NULL) {
		*n = len;
	}
}

void p11rpc_r_str(struct p11rpc_r *r, char *buf, size_t buflen)
{
	const uint8_t *p;
	size_t n;

	buf[0] = '\0';
	p11rpc_r_bytes(r, &p, &n, buflen > 0 ? buflen - 1 : 0);
	if (p == NULL || memchr(p, '\0', n) != NULL) {
		r->failed = 1;
		return;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
}

int p11rpc_r_end(const struct p11rpc_r *r)
{
	return !r->failed && r->off == r->len ? 0 : -1;
}

/* all n bytes; 0, or -1 with errno */
static int write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* exactly n bytes: 0, 1 at EOF before the first byte, -1 on an error or a short read */
static int read_all(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		if ((r = read(fd, p + got, n - got)) < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -1;
		}
		if (r == 0) {
			errno = EPIPE;
			return got == 0 ? 1 : -1;
		}
		got += (size_t)r;
	}
	return 0;
}

int p11rpc_send(int fd, const struct p11rpc_w *w)
{
	uint8_t hdr[4];
	struct iovec iov[2];
	struct msghdr mh;
	ssize_t n;
	size_t total;

	if (w->failed) {
		errno = EMSGSIZE;
		return -1;
	}
	hdr[0] = (uint8_t)(w->len >> 24);
	hdr[1] = (uint8_t)(w->len >> 16);
	hdr[2] = (uint8_t)(w->len >> 8);
	hdr[3] = (uint8_t)w->len;
	/* header and body in one call (one wake-up of the reader), the rest if it was short */
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = w->p;
	iov[1].iov_len = w->len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = w->len > 0 ? 2 : 1;
	total = sizeof(hdr) + w->len;
	while ((n = sendmsg(fd, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
	}
	if (n < 0) {
		return -1;
	}
	if ((size_t)n < sizeof(hdr)) {
		if (write_all(fd, hdr + n, sizeof(hdr) - (size_t)n) != 0) {
			return -1;
		}
		n = sizeof(hdr);
	}
	return (size_t)n < total
	           ? write_all(fd, w->p + ((size_t)n - sizeof(hdr)), total - (size_t)n)
	           : 0;
}

int p11rpc_recv(int fd, uint8_t **out, size_t *len)
{
	uint8_t hdr[4], *p = NULL;
	size_t n;
	int r;

	*out = NULL;
	*len = 0;
	if ((r = read_all(fd, hdr, sizeof(hdr))) != 0) {
		return r;
	}
	n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	if (n > P11RPC_MSG_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if ((p = malloc(n > 0 ? n : 1)) == NULL) {
		return -1;
	}
	if (n > 0 && read_all(fd, p, n) != 0) {
		p11rpc_msg_free(p, n);
		return -1;
	}
	*out = p;
	*len = n;
	return 0;
}

void p11rpc_msg_free(uint8_t *p, size_t len)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, len);
		free(p);
	}
}

static void r_fixed(struct p11rpc_r *r, void *p, size_t n)
{
	const uint8_t *s = r_take(r, n);

	if (s != NULL) {
		memcpy(p, s, n);
	} else {
		memset(p, ' ', n);
	}
}

static void w_version(struct p11rpc_w *w, const CK_VERSION *v)
{
	p11rpc_w_u8(w, v->major);
	p11rpc_w_u8(w, v->minor);
}

static void r_version(struct p11rpc_r *r, CK_VERSION *v)
{
	v->major = p11rpc_r_u8(r);
	v->minor = p11rpc_r_u8(r);
}

void p11rpc_w_slot_info(struct p11rpc_w *w, const CK_SLOT_INFO *si)
{
	p11rpc_w_raw(w, si->slotDescription, sizeof(si->slotDescription));
	p11rpc_w_raw(w, si->manufacturerID, sizeof(si->manufacturerID));
	p11rpc_w_u64(w, si->flags);
	w_version(w, &si->hardwareVersion);
	w_version(w, &si->firmwareVersion);
}

void p11rpc_r_slot_info(struct p11rpc_r *r, CK_SLOT_INFO *si)
{
	r_fixed(r, si->slotDescription, sizeof(si->slotDescription));
	r_fixed(r, si->manufacturerID, sizeof(si->manufacturerID));
	si->flags = (CK_FLAGS)p11rpc_r_u64(r);
	r_version(r, &si->hardwareVersion);
	r_version(r, &si->firmwareVersion);
}

void p11rpc_w_token_info(struct p11rpc_w *w, const CK_TOKEN_INFO *ti)
{
	const CK_ULONG v[] = {ti->flags, ti->ulMaxSessionCount, ti->ulSessionCount,
	    ti->ulMaxRwSessionCount, ti->ulRwSessionCount, ti->ulMaxPinLen, ti->ulMinPinLen,
	    ti->ulTotalPublicMemory, ti->ulFreePublicMemory, ti->ulTotalPrivateMemory,
	    ti->ulFreePrivateMemory};
	size_t i;

	p11rpc_w_raw(w, ti->label, sizeof(ti->label));
	p11rpc_w_raw(w, ti->manufacturerID, sizeof(ti->manufacturerID));
	p11rpc_w_raw(w, ti->model, sizeof(ti->model));
	p11rpc_w_raw(w, ti->serialNumber, sizeof(ti->serialNumber));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		p11rpc_w_u64(w, v[i]);
	}
	w_version(w, &ti->hardwareVersion);
	w_version(w, &ti->firmwareVersion);
	p11rpc_w_raw(w, ti->utcTime, sizeof(ti->utcTime));
}

void p11rpc_r_token_info(struct p11rpc_r *r, CK_TOKEN_INFO *ti)
{
	CK_ULONG *const v[] = {&ti->flags, &ti->ulMaxSessionCount, &ti->ulSessionCount,
	    &ti->ulMaxRwSessionCount, &ti->ulRwSessionCount, &ti->ulMaxPinLen, &ti->ulMinPinLen,
	    &ti->ulTotalPublicMemory, &ti->ulFreePublicMemory, &ti->ulTotalPrivateMemory,
	    &ti->ulFreePrivateMemory};
	size_t i;

	r_fixed(r, ti->label, sizeof(ti->label));
	r_fixed(r, ti->manufacturerID, sizeof(ti->manufacturerID));
	r_fixed(r, ti->model, sizeof(ti->model));
	r_fixed(r, ti->serialNumber, sizeof(ti->serialNumber));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		*v[i] = (CK_ULONG)p11rpc_r_u64(r);
	}
	r_version(r, &ti->hardwareVersion);
	r_version(r, &ti->firmwareVersion);
	r_fixed(r, ti->utcTime, sizeof(ti->utcTime));
}
