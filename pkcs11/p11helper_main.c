/*
 * The token helper's side (p11_helper_main): the PKCS#11 modules live in this process, which
 * runs the requests of p11helper.c one at a time on fd 3 until it reads EOF. The modules are the
 * untrusted part: the helper caps everything it hands back and keeps no secret but the PIN of a
 * C_Login request, wiped with the message. Slots and sessions are named by the helper's own
 * handles (index + 1 in its tables), so that one function list in the program can reach the
 * modules of every load. The helper's fds 1 and 2 are an anonymous file: what a module prints
 * while it logs in or signs goes ahead of the call's reply as an output frame (shown with -v),
 * never on the user's terminal.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "p11_int.h"
#include "p11rpc.h"

#define MAX_LOADS     64
#define MAX_HSLOTS    512
#define MAX_HSESSIONS 1024
#define MAX_MOD_SLOTS 64
#define MAX_TMPL      16
#define MAX_DATA      65536 /* bytes signed in one request (a hash, or Ed25519's data) */
#define MAX_SIG       16384 /* bytes of one signature */
#define OUT_LINE_MAX  241   /* p11quiet.c's 240 bytes of a line */

struct hslot {
	CK_FUNCTION_LIST *fl;
	CK_SLOT_ID real;
	uint32_t load; /* 0: free */
};

struct hsession {
	CK_FUNCTION_LIST *fl;
	CK_SESSION_HANDLE real;
	uint32_t load; /* 0: free */
	/* the search template, kept until C_FindObjectsFinal (a module may read it late) */
	CK_ATTRIBUTE tmpl[MAX_TMPL];
	uint8_t *vals;
};

struct srv {
	struct p11_modset *loads[MAX_LOADS]; /* load n is loads[n - 1] */
	struct hslot slots[MAX_HSLOTS];
	struct hsession sess[MAX_HSESSIONS];
};

static struct hslot *slot_of(struct srv *S, uint64_t h)
{
	return h >= 1 && h <= MAX_HSLOTS && S->slots[h - 1].load != 0 ? &S->slots[h - 1] : NULL;
}

static struct hsession *sess_of(struct srv *S, uint64_t h)
{
	return h >= 1 && h <= MAX_HSESSIONS && S->sess[h - 1].load != 0 ? &S->sess[h - 1] : NULL;
}

/* ---- LOAD and UNLOAD ---- */

/* an optional string of the request: NULL when absent */
static const char *opt_str(struct p11rpc_r *r, char *buf, size_t len)
{
	uint8_t has = p11rpc_r_u8(r);

	p11rpc_r_str(r, buf, len);
	return has ? buf : NULL;
}

static void unload(struct srv *S, uint32_t id)
{
	size_t i;

	if (id < 1 || id > MAX_LOADS || S->loads[id - 1] == NULL) {
		return;
	}
	for (i = 0; i < MAX_HSESSIONS; i++) {
		if (S->sess[i].load == id) {
			(void)S->sess[i].fl->C_CloseSession(S->sess[i].real);
			S->sess[i].load = 0;
			free(S->sess[i].vals);
			S->sess[i].vals = NULL;
		}
	}
	for (i = 0; i < MAX_HSLOTS; i++) {
		if (S->slots[i].load == id) {
			S->slots[i].load = 0;
		}
	}
	p11_modset_unref(S->loads[id - 1]);
	S->loads[id - 1] = NULL;
}

/* the slots of one module, when the module is one the request asks for */
static int add_module_slots(struct srv *S, uint32_t id, CK_FUNCTION_LIST *fl, const char *ldesc,
    const char *lmanuf, int registry, size_t *nload, char *err, size_t errlen)
{
	CK_SLOT_ID v[MAX_MOD_SLOTS];
	CK_ULONG n = MAX_MOD_SLOTS, i;
	CK_INFO info;
	CK_RV rv;
	size_t j = 0;

	if (fl->C_GetInfo(&info) != CKR_OK ||
	    !p11_field_match(ldesc, info.libraryDescription, sizeof(info.libraryDescription)) ||
	    !p11_field_match(lmanuf, info.manufacturerID, sizeof(info.manufacturerID))) {
		return 0;
	}
	if ((rv = fl->C_GetSlotList(CK_TRUE, v, &n)) != CKR_OK) {
		if (registry) {
			return 0;
		}
		errfmt(err, errlen, "C_GetSlotList: %s", p11_rv_str(rv));
		return P11_ERR_INTERNAL;
	}
	for (i = 0; i < n && i < MAX_MOD_SLOTS; i++) {
		while (j < MAX_HSLOTS && S->slots[j].load != 0) {
			j++;
		}
		if (j == MAX_HSLOTS || *nload == P11RPC_LOAD_SLOTS) {
			errfmt(err, errlen, "more than %d slots",
			    j == MAX_HSLOTS ? MAX_HSLOTS : P11RPC_LOAD_SLOTS);
			return P11_ERR_TOO_LARGE;
		}
		(*nload)++;
		S->slots[j].fl = fl;
		S->slots[j].real = v[i];
		S->slots[j].load = id;
	}
	return 0;
}

static int do_load(struct srv *S, struct p11rpc_r *in, uint32_t *idp, char *err, size_t errlen)
{
	char path[PATH_MAX], name[1024], ldesc[256], lmanuf[256];
	const char *p, *nm, *ld, *lm;
	struct p11_modset *set = NULL;
	uint32_t id;
	size_t i, nload = 0;
	int r;

	p = opt_str(in, path, sizeof(path));
	nm = opt_str(in, name, sizeof(name));
	ld = opt_str(in, ldesc, sizeof(ldesc));
	lm = opt_str(in, lmanuf, sizeof(lmanuf));
	if (p11rpc_r_end(in) != 0) {
		errfmt(err, errlen, "the token helper got a malformed request");
		return P11_ERR_FORMAT;
	}
	for (id = 1; id <= MAX_LOADS && S->loads[id - 1] != NULL; id++) {
	}
	if (id > MAX_LOADS) {
		errfmt(err, errlen, "more than %d module loads", MAX_LOADS);
		return P11_ERR_TOO_LARGE;
	}
	if ((r = p11_modset_load(p, &set, err, errlen)) != 0) {
		return r;
	}
	S->loads[id - 1] = set;
	for (i = 0; set->mods[i] != NULL; i++) {
		if (set->from_registry && !p11_module_wanted(nm, set->mods[i])) {
			continue;
		}
		if ((r = add_module_slots(S, id, set->mods[i], ld, lm, set->from_registry, &nload,
		         err, errlen)) != 0) {
			unload(S, id);
			return r;
		}
	}
	*idp = id;
	return 0;
}

static CK_RV op_load(struct srv *S, struct p11rpc_r *in, struct p11rpc_w *out)
{
	char err[512] = "";
	uint32_t id = 0, n = 0;
	size_t i;
	int r;

	/* what the modules print goes ahead of the reply as its output frame (send_output) */
	r = do_load(S, in, &id, err, sizeof(err));
	p11rpc_w_u32(out, (uint32_t)-r);
	p11rpc_w_str(out, err);
	p11rpc_w_u32(out, id);
	for (i = 0; r == 0 && i < MAX_HSLOTS; i++) {
		n += S->slots[i].load == id;
	}
	p11rpc_w_u32(out, n);
	for (i = 0; r == 0 && i < MAX_HSLOTS; i++) {
		if (S->slots[i].load == id) {
			p11rpc_w_u64(out, i + 1);
			p11rpc_w_u64(out, S->slots[i].real);
		}
	}
	return CKR_OK;
}

static CK_RV op_unload(struct srv *S, struct p11rpc_r *in, struct p11rpc_w *out)
{
	struct p11_quiet q;
	uint32_t id = p11rpc_r_u32(in);

	(void)out;
	if (p11rpc_r_end(in) != 0) {
		return CKR_ARGUMENTS_BAD;
	}
	p11_quiet_begin(&q); /* what C_Finalize prints is dropped */
	unload(S, id);
	p11_quiet_end(&q, NULL);
	return CKR_OK;
}

/* ---- slots and sessions ---- */

static CK_RV op_slot_info(struct srv *S, struct p11rpc_r *in, struct p11rpc_w *out)
{
	struct hslot *s = slot_of(S, p11rpc_r_u64(in));
	CK_SLOT_INFO si;
	CK_RV rv;

	if (p11rpc_r_end(in) != 0 || s == NULL) {
		return CKR_SLOT_ID_INVALID;
	}
	memset(&si, 0, sizeof(si));
	if ((rv = s->fl->C_GetSlotInfo(s->real, &si)) == CKR_OK) {
		p11rpc_w_slot_info(out, &si);
	}
	return rv;
}

static CK_RV op_token_info(struct srv *S, struct p11rpc_r *in, struct p11rpc_w *out)
{
	struct hslot *s = slot_of(S, p11rpc_r_u64(in));
	CK_TOKEN_INFO ti;
	CK_RV rv;

	if (p11rpc_r_end(in) != 0 || s == NULL) {
		return CKR_SLOT_ID_INVALID;
	}
	memset(&ti, 0, sizeof(ti));
	if ((rv = s->fl->C_GetTokenInfo(s->real, &ti)) == CKR_OK) {
		p11rpc_w_token_info(out, &ti);
	}
	return rv;
}

static CK_RV op_open_session(struct srv *S, struct p11rpc_r *in, struct p11rpc_w *out)
{
	struct hslot *s = slot_of(S, p11rpc_r_u64(in));
	CK_FLAGS flags = (CK_FLAGS)p11rpc_r_u64(in);
	CK_SESSION_HANDLE h;
	size_t i;
	CK_RV rv;

	if (p11rpc_r_end(in) != 0 || s == NULL) {
		return CKR_SLOT_ID_INVALID;
	}
	for (i = 0; i < MAX_HSESSIONS && S->sess[i].load != 0; i++) {
	}
	if (i == MAX_HSESSIONS) {
		return CKR_SESSION_COUNT;
	}
	if ((rv = s->fl->C_OpenSession(s->real, flags, NULL, NULL, &h)) != CKR_OK) {
		return rv;
	}
	S->sess[i].fl = s->fl;
	S->sess[i].real = h;
	S->sess[i].load = s->load;
	p11rpc_w_u64(out, i + 1);
	return CKR_OK;
}

/* the session of a request that names one first; NULL when unknown */
#define SESSION_OR_FAIL(S, in, s)                                                                  \
	do {                                                                                       \
		if (((s) = sess_of((S), p11rpc_r_u64(in))) == NULL) {                              \
			return CKR_SESSION_HANDLE_INVALID;                                         \
		}                                                                                  \
	} while (0)

static CK_RV op_close_session(struct srv *S, struct p11rpc_r *in, struct p11rpc_w *out)
{
	struct hsession *s;

	(void)out;
	SESSION_OR_FAIL(S, in, s);
	if (p11rpc_r_end(in) != 0) {
		return CKR_ARGUMENTS_BAD;
	}
	s->load = 0;
	free(s->vals);
	s->vals = NULL;
	return s->fl->C_CloseSession(s->real);
}

static CK_RV op_login(struct srv *S, struct p11rpc_r *in, struct p11rpc_w *out)
{
	struct hsession *s;
	CK_USER_TYPE who;
	const uint8_t *pin;
	size_t n;
	uint8_t has;

	(void)out;
	SESSION_OR_FAIL(S, in, s);
	who = (CK_USER_TYPE)p11rpc_r_u64(in);
	has = p11rpc_r_u8(in);
	p11rpc_r_bytes(in, &pin, &n, P11_PIN_MAX);
	if (p11rpc_r_end(in) != 0) {
		return CKR_ARGUMENTS_BAD;
	}
	/* the PIN stays in the request, which the loop wipes */
	return s->fl->C_Login(s->real, who, has ? (CK_UTF8CHAR_PTR)pin : NULL, has ? n : 0);
}

static CK_RV op_session_info(struct srv *S, struct p11rpc_r *in, struct p11rpc_w *out)
{
	struct hsession *s;
	CK_SESSION_INFO si;
	CK_RV rv;

	SESSION_OR_FAIL(S, in, s);
	if (p11rpc_r_end(in) != 0) {
		return CKR_ARGUMENTS_BAD;
	}
	memset(&si, 0, sizeof(si));
	if ((rv = s->fl->C_GetSessionInfo(s->real, &si)) == CKR_OK) {
		p11rpc_w_u64(out, si.slotID);
		p11rpc_w_u64(out, si.state);
		p11rpc_w_u64(out, si.flags);
		p11rpc_w_u64(out, si.ulDeviceError);
	}
	return rv;
}

static CK_RV op_find_init(struct srv *S, struct p11rpc_r *in, struct p11rpc_w *out)
{
	struct hsession *s;
	const uint8_t *v[MAX_TMPL];
	size_t len[MAX_TMPL], total = 0, off = 0;
	uint32_t n, i;

	(void)out;
	SESSION_OR_FAIL(S, in, s);
	if ((n = p11rpc_r_u32(in)) > MAX_TMPL) {
		return CKR_ARGUMENTS_BAD;
	}
	for (i = 0; i < n; i++) {
		s->tmpl[i].type = (CK_ATTRIBUTE_TYPE)p11rpc_r_u64(in);
		p11rpc_r_bytes(in, &v[i], &len[i], P11_MAX_ATTR);
		total += len[i];
	}
	if (p11rpc_r_end(in) != 0) {
		return CKR_ARGUMENTS_BAD;
	}
	free(s->vals);
	if ((s->vals = malloc(total > 0 ? total : 1)) == NULL) {
		return CKR_HOST_MEMORY;
	}
	for (i = 0; i < n; i++) {
		if (len[i] > 0) {
			memcpy(s->vals + off, v[i], len[i]);
		}
		s->tmpl[i].pValue = s->vals + off;
		s->tmpl[i].ulValueLen = len[i];
		off += len[i];
	}
	return s->fl->C_FindObjectsInit(s->real, s->tmpl, n);
}

static CK_RV op_find(struct srv *S, struct p11rpc_r *in, struct p11rpc_w *out)
{
	CK_OBJECT_HANDLE h[P11_MAX_OBJECTS];
	struct hsession *s;
	CK_ULONG max, found = 0, i;
	CK_RV rv;

	SESSION_OR_FAIL(S, in, s);
	max = (CK_ULONG)p11rpc_r_u64(in);
	if (p11rpc_r_end(in) != 0 || max > P11_MAX_OBJECTS) {
		return CKR_ARGUMENTS_BAD;
	}
	if ((rv = s->fl->C_FindObjects(s->real, h, max, &found)) != CKR_OK) {
		return rv;
	}
	if (found > max) {
		return CKR_GENERAL_ERROR;
	}
	p11rpc_w_u32(out, (uint32_t)found);
	for (i = 0; i < found; i++) {
		p11rpc_w_u64(out, h[i]);
	}
	return CKR_OK;
}

static CK_RV op_find_final(struct srv *S, struct p11rpc_r *in, struct p11rpc_w *out)
{
	struct hsession *s;
	CK_RV rv;

	(void)out;
	SESSION_OR_FAIL(S, in, s);
	if (p11rpc_r_end(in) != 0) {
		return CKR_ARGUMENTS_BAD;
	}
	rv = s->fl->C_FindObjectsFinal(s->real);
	free(s->vals);
	s->vals = NULL;
	return rv;
}

/* the values come back in the order asked; a value only where a buffer was given and filled */
static CK_RV op_get_attrs(struct srv *S, struct p11rpc_r *in, struct p11rpc_w *out)
{
	static uint8_t buf[MAX_TMPL][P11_MAX_ATTR]; /* large: not on the stack */
	CK_ATTRIBUTE t[MAX_TMPL];
	CK_ULONG cap[MAX_TMPL];
	struct hsession *s;
	CK_OBJECT_HANDLE o;
	uint32_t n, i;
	CK_RV rv;

	SESSION_OR_FAIL(S, in, s);
	o = (CK_OBJECT_HANDLE)p11rpc_r_u64(in);
	if ((n = p11rpc_r_u32(in)) > MAX_TMPL) {
		return CKR_ARGUMENTS_BAD;
	}
	for (i = 0; i < n; i++) {
		t[i].type = (CK_ATTRIBUTE_TYPE)p11rpc_r_u64(in);
		t[i].pValue = p11rpc_r_u8(in) ? buf[i] : NULL;
		cap[i] = t[i].ulValueLen = (CK_ULONG)p11rpc_r_u64(in);
		if (t[i].pValue != NULL && cap[i] > P11_MAX_ATTR) {
			return CKR_ARGUMENTS_BAD;
		}
	}
	if (p11rpc_r_end(in) != 0) {
		return CKR_ARGUMENTS_BAD;
	}
	rv = s->fl->C_GetAttributeValue(s->real, o, t, n);
	p11rpc_w_u32(out, n);
	for (i = 0; i < n; i++) {
		int filled = t[i].pValue != NULL && t[i].ulValueLen != CK_UNAVAILABLE_INFORMATION &&
		             t[i].ulValueLen <= cap[i];

		p11rpc_w_u64(out, t[i].ulValueLen);
		p11rpc_w_u8(out, (uint8_t)filled);
		if (filled) {
			p11rpc_w_bytes(out, t[i].pValue, t[i].ulValueLen);
		}
	}
	return rv;
}

static CK_RV op_sign_init(struct srv *S, struct p11rpc_r *in, struct p11rpc_w *out)
{
	CK_MECHANISM m = {0, NULL, 0};
	struct hsession *s;
	CK_OBJECT_HANDLE key;

	(void)out;
	SESSION_OR_FAIL(S, in, s);
	m.mechanism = (CK_MECHANISM_TYPE)p11rpc_r_u64(in);
	key = (CK_OBJECT_HANDLE)p11rpc_r_u64(in);
	if (p11rpc_r_end(in) != 0) {
		return CKR_ARGUMENTS_BAD;
	}
	return s->fl->C_SignInit(s->real, &m, key);
}

static CK_RV op_sign(struct srv *S, struct p11rpc_r *in, struct p11rpc_w *out)
{
	uint8_t sig[MAX_SIG];
	struct hsession *s;
	const uint8_t *data;
	size_t dlen;
	CK_ULONG cap, len;
	uint8_t want;
	CK_RV rv;

	SESSION_OR_FAIL(S, in, s);
	p11rpc_r_bytes(in, &data, &dlen, MAX_DATA);
	want = p11rpc_r_u8(in);
	cap = len = (CK_ULONG)p11rpc_r_u64(in);
	if (p11rpc_r_end(in) != 0 || (want && cap > MAX_SIG)) {
		return CKR_ARGUMENTS_BAD;
	}
	rv = s->fl->C_Sign(s->real, (CK_BYTE_PTR)(uintptr_t)data, dlen, want ? sig : NULL, &len);
	p11rpc_w_u64(out, len);
	p11rpc_w_u8(out, (uint8_t)(rv == CKR_OK && want && len <= cap));
	if (rv == CKR_OK && want && len <= cap) {
		p11rpc_w_bytes(out, sig, len);
	}
	return rv;
}

/* ---- the loop ---- */

static const struct {
	enum p11rpc_op op;
	CK_RV (*fn)(struct srv *S, struct p11rpc_r *in, struct p11rpc_w *out);
} ops[] = {
    {P11RPC_LOAD, op_load},
    {P11RPC_UNLOAD, op_unload},
    {P11RPC_GET_SLOT_INFO, op_slot_info},
    {P11RPC_GET_TOKEN_INFO, op_token_info},
    {P11RPC_OPEN_SESSION, op_open_session},
    {P11RPC_CLOSE_SESSION, op_close_session},
    {P11RPC_LOGIN, op_login},
    {P11RPC_GET_SESSION_INFO, op_session_info},
    {P11RPC_FIND_OBJECTS_INIT, op_find_init},
    {P11RPC_FIND_OBJECTS, op_find},
    {P11RPC_FIND_OBJECTS_FINAL, op_find_final},
    {P11RPC_GET_ATTRIBUTE_VALUE, op_get_attrs},
    {P11RPC_SIGN_INIT, op_sign_init},
    {P11RPC_SIGN, op_sign},
};

/* ---- what the modules print ---- */

static int out_fd = -1; /* fds 1 and 2 share its offset; -1: no capture */

/* the lines of one output frame */
struct lines {
	char v[P11RPC_OUTPUT_MAX][OUT_LINE_MAX];
	size_t n;
};

static void keep_line(void *arg, const char *line)
{
	struct lines *l = arg;

	if (l->n < P11RPC_OUTPUT_MAX) {
		snprintf(l->v[l->n++], OUT_LINE_MAX, "%s", line);
	}
}

/* fds 1 and 2 on an anonymous file, for good */
static void capture_output(void)
{
	int fd = memfd_create("x509ssh-module-output", MFD_CLOEXEC);

	if (fd < 0) {
		return; /* no capture: what modules print reaches the program's stderr */
	}
	if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
		close(fd);
		return;
	}
	out_fd = fd;
}

/* what the last call printed, as one output frame (P11RPC_OUTPUT) ahead of its reply; the file
 * is emptied. 0, or -1 when the frame could not be sent */
static int send_output(int fd)
{
	static struct lines L; /* large: not on the stack */
	static char text[16384];
	struct p11_quiet_out qo = {.line = keep_line, .arg = &L};
	struct p11rpc_w w;
	off_t end;
	ssize_t got;
	size_t i;
	int r;

	if (out_fd < 0) {
		return 0;
	}
	(void)fflush(NULL); /* a module's stdio buffers */
	if ((end = lseek(out_fd, 0, SEEK_CUR)) <= 0) {
		return 0;
	}
	got = pread(out_fd, text, (size_t)end < sizeof(text) ? (size_t)end : sizeof(text), 0);
	(void)ftruncate(out_fd, 0);
	(void)lseek(out_fd, 0, SEEK_SET);
	L.n = 0;
	p11_quiet_lines(text, got > 0 ? (size_t)got : 0, &qo);
	if (L.n == 0) {
		return 0;
	}
	p11rpc_w_init(&w);
	p11rpc_w_u64(&w, P11RPC_OUTPUT);
	p11rpc_w_u32(&w, (uint32_t)L.n);
	for (i = 0; i < L.n; i++) {
		p11rpc_w_str(&w, L.v[i]);
	}
	r = w.failed ? -1 : p11rpc_send(fd, &w);
	p11rpc_w_free(&w);
	return r;
}

/* one request and its reply: 0, 1 at EOF, -1 when the program cannot be answered */
static int serve_one(struct srv *S, int fd)
{
	struct p11rpc_r in;
	struct p11rpc_w body, out;
	uint8_t *msg = NULL, op;
	size_t len, i;
	CK_RV rv = CKR_FUNCTION_NOT_SUPPORTED;
	int r;

	if ((r = p11rpc_recv(fd, &msg, &len)) != 0) {
		return r;
	}
	p11rpc_w_init(&body);
	p11rpc_w_init(&out);
	p11rpc_r_init(&in, msg, len);
	op = p11rpc_r_u8(&in);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (ops[i].op == op) {
			rv = ops[i].fn(S, &in, &body);
			break;
		}
	}
	p11rpc_msg_free(msg, len); /* a C_Login request held the PIN */
	p11rpc_w_u64(&out, rv);
	p11rpc_w_raw(&out, body.p, body.len);
	body.failed |= out.failed;
	r = body.failed || send_output(fd) != 0 ? -1 : p11rpc_send(fd, &out);
	p11rpc_w_free(&body);
	p11rpc_w_free(&out);
	return r;
}

int p11_helper_main(int argc, char **argv)
{
	static struct srv S;
	struct rlimit no_core = {0, 0};
	size_t i;
	int r;

	if (argc != 2 || strcmp(argv[1], P11RPC_MARK) != 0) {
		return -1;
	}
	(void)close_range(P11RPC_FD + 1, ~0u, 0); /* nothing of the program's but fds 0-3 */
	/* a module's crash ends this process by its signal: no core file (the PIN was here), no
	 * sanitizer report of ours; the terminal's signals are the program's to handle */
	(void)prctl(PR_SET_DUMPABLE, 0);
	(void)prctl(PR_SET_NAME, program_invocation_short_name); /* not "exe" in ps */
	(void)setrlimit(RLIMIT_CORE, &no_core);
	(void)signal(SIGSEGV, SIG_DFL);
	(void)signal(SIGBUS, SIG_DFL);
	(void)signal(SIGFPE, SIG_DFL);
	(void)signal(SIGILL, SIG_DFL);
	(void)signal(SIGABRT, SIG_DFL);
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGQUIT, SIG_IGN);
	(void)signal(SIGPIPE, SIG_IGN);
	capture_output();
	while ((r = serve_one(&S, P11RPC_FD)) == 0) {
	}
	for (i = 1; i <= MAX_LOADS; i++) {
		unload(&S, (uint32_t)i);
	}
	_exit(r == 1 ? 0 : 1);
}
