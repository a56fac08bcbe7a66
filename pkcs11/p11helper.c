/*
 * The program's side of the token helper: the process is started once (p11_helper_start) and
 * shared by every load and connection; its requests are serialised by one mutex (the signing
 * workers of several keys may call at once). The function list returned by
 * p11_helper_functions() forwards each call as one request and waits for the reply, so that the
 * rest of pkcs11/ is the same in both modes. Nothing the helper sends is trusted: every length is
 * checked against what was asked. When the helper dies (EOF or a broken reply), its exit is
 * collected with waitpid and every later call fails with CKR_DEVICE_ERROR;
 * p11_helper_failure() then says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "p11_int.h"
#include "p11rpc.h"

extern char **environ;

static struct {
	pthread_mutex_t mu;
	int fd;
	pid_t pid;
	int dead;
	char why[128];
	struct p11_quiet_out out; /* where the modules' output frames go (the last load's) */
} H = {PTHREAD_MUTEX_INITIALIZER, -1, -1, 0, "", {NULL, NULL}};

const char *p11_helper_failure(void)
{
	const char *w;

	pthread_mutex_lock(&H.mu);
	w = H.dead ? H.why : NULL;
	pthread_mutex_unlock(&H.mu);
	return w;
}

/* under H.mu: the helper is gone; collect its exit and say how it ended */
static void helper_died(void)
{
	const struct timespec tick = {0, 10 * 1000 * 1000};
	const char *name;
	int st = 0, tries;
	pid_t w;

	if (H.dead) {
		return;
	}
	H.dead = 1;
	close(H.fd);
	H.fd = -1;
	/* its end closes as it exits; one that lives on without it (a module closed fd 3) is
	 * stopped after a second */
	for (tries = 0; (w = waitpid(H.pid, &st, WNOHANG)) == 0 && tries < 100; tries++) {
		nanosleep(&tick, NULL);
	}
	if (w == 0) {
		(void)kill(H.pid, SIGKILL);
		while ((w = waitpid(H.pid, &st, 0)) < 0 && errno == EINTR) {
		}
		errfmt(H.why, sizeof(H.why), "the token helper closed its socket (stopped)");
	} else if (w != H.pid) {
		errfmt(H.why, sizeof(H.why), "the token helper is gone");
	} else if (WIFSIGNALED(st)) {
		name = sigabbrev_np(WTERMSIG(st));
		if (name != NULL) {
			errfmt(H.why, sizeof(H.why), "the token module crashed (signal %s)", name);
		} else {
			errfmt(H.why, sizeof(H.why), "the token module crashed (signal %d)",
			    WTERMSIG(st));
		}
	} else {
		errfmt(H.why, sizeof(H.why), "the token module exited with status %d",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
}

/* this program's executable: its path (under valgrind, /proc/self/exe is valgrind's own, and
 * valgrind answers readlink with the program's path), or /proc/self/exe when the file was
 * deleted since the start (an upgrade) */
static void own_exe(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	static const char deleted[] = " (deleted)";

	if (n <= 0 || (size_t)n >= len - 1 ||
	    ((size_t)n >= sizeof(deleted) - 1 &&
	        memcmp(buf + n - (sizeof(deleted) - 1), deleted, sizeof(deleted) - 1) == 0)) {
		snprintf(buf, len, "/proc/self/exe");
		return;
	}
	buf[n] = '\0';
}

int p11_helper_start(char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char *argv[3], exe[PATH_MAX];
	sigset_t mask, dfl;
	int sv[2] = {-1, -1}, fd, r = P11_ERR_SYSTEM, e;
	pid_t pid;

	pthread_mutex_lock(&H.mu);
	if (H.fd >= 0 || H.dead) {
		pthread_mutex_unlock(&H.mu);
		return 0; /* running, or dead: the calls say so */
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		errfmt(
		    err, errlen, "cannot start the token helper: socketpair: %s", strerror(errno));
		goto out;
	}
	if (sv[1] == P11RPC_FD) { /* dup2 onto itself would keep close-on-exec */
		if ((fd = fcntl(sv[1], F_DUPFD_CLOEXEC, P11RPC_FD + 1)) < 0) {
			errfmt(err, errlen, "cannot start the token helper: %s", strerror(errno));
			goto out;
		}
		close(sv[1]);
		sv[1] = fd;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	/* no signal blocked, every signal's action the default (a module's crash must end it) */
	sigemptyset(&mask);
	sigfillset(&dfl);
	sigdelset(&dfl, SIGKILL);
	sigdelset(&dfl, SIGSTOP);
	posix_spawnattr_setsigmask(&at, &mask);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	/* stdin is not the module's; what it prints on stdout goes to stderr, never into the
	 * session's data; fd 3 is the socket; every other fd is closed */
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	posix_spawn_file_actions_adddup2(&fa, sv[1], P11RPC_FD);
	posix_spawn_file_actions_addclosefrom_np(&fa, P11RPC_FD + 1);
	argv[0] = program_invocation_name; /* p11-kit's enable-in/disable-in see our name */
	argv[1] = (char *)P11RPC_MARK;
	argv[2] = NULL;
	own_exe(exe, sizeof(exe));
	e = posix_spawn(&pid, exe, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (e != 0) {
		errfmt(err, errlen, "cannot start the token helper: %s", strerror(e));
		goto out;
	}
	H.fd = sv[0];
	H.pid = pid;
	sv[0] = -1;
	r = 0;
out:
	if (sv[0] >= 0) {
		close(sv[0]);
	}
	if (sv[1] >= 0) {
		close(sv[1]);
	}
	pthread_mutex_unlock(&H.mu);
	return r;
}

/* 1 if the message is an output frame: its lines handed on (under H.mu); -1 if it is a broken
 * one; 0 if it is a reply */
static int output_frame(const uint8_t *msg, size_t len)
{
	struct p11rpc_r rd;
	char line[256];
	uint32_t n, i;

	p11rpc_r_init(&rd, msg, len);
	if (p11rpc_r_u64(&rd) != P11RPC_OUTPUT || rd.failed) {
		return 0;
	}
	if ((n = p11rpc_r_u32(&rd)) > P11RPC_OUTPUT_MAX) {
		return -1;
	}
	for (i = 0; i < n && !rd.failed; i++) {
		p11rpc_r_str(&rd, line, sizeof(line));
		if (!rd.failed && H.out.line != NULL) {
			H.out.line(H.out.arg, line);
		}
	}
	return p11rpc_r_end(&rd) != 0 ? -1 : 1;
}

/* one request and its reply: 0 with *msg (free with p11rpc_msg_free), or -1 (the helper is
 * dead, or never started); the request is wiped. The output frame the helper may send first is
 * handed to H.out. */
static int call(struct p11rpc_w *req, uint8_t **msg, size_t *len)
{
	int r = -1, frames = 0, o;

	*msg = NULL;
	*len = 0;
	pthread_mutex_lock(&H.mu);
	if (H.fd < 0 || H.dead) {
		goto out;
	}
	if (p11rpc_send(H.fd, req) != 0) {
		helper_died();
		goto out;
	}
	for (;;) {
		if (p11rpc_recv(H.fd, msg, len) != 0) {
			helper_died();
			goto out;
		}
		if ((o = output_frame(*msg, *len)) == 0) {
			break;
		}
		p11rpc_msg_free(*msg, *len);
		*msg = NULL;
		*len = 0;
		if (o < 0 || ++frames > 1) { /* one frame per call */
			(void)kill(H.pid, SIGKILL);
			helper_died();
			errfmt(H.why, sizeof(H.why),
			    "the token helper sent a malformed reply (stopped)");
			goto out;
		}
	}
	r = 0;
out:
	pthread_mutex_unlock(&H.mu);
	p11rpc_w_free(req);
	return r;
}

/* a reply that the helper sent broken: it cannot be trusted further */
static CK_RV broken_reply(void)
{
	pthread_mutex_lock(&H.mu);
	if (!H.dead && H.fd >= 0) {
		(void)kill(H.pid, SIGKILL);
		helper_died();
		errfmt(H.why, sizeof(H.why), "the token helper sent a malformed reply (stopped)");
	}
	pthread_mutex_unlock(&H.mu);
	return CKR_DEVICE_ERROR;
}

int p11_helper_load(const struct p11_helper_req *q, const struct p11_quiet_out *qo, uint32_t *load,
    struct p11_helper_slot *slots, size_t max, size_t *nslots, char *err, size_t errlen)
{
	const char *v[] = {q->path, q->module_name, q->lib_desc, q->lib_manuf};
	struct p11rpc_w w;
	struct p11rpc_r rd;
	uint8_t *msg = NULL;
	size_t len, i;
	uint32_t status, n;
	char text[512];
	int r = P11_ERR_INTERNAL;

	*load = 0;
	*nslots = 0;
	if (qo != NULL && qo->line != NULL) {
		pthread_mutex_lock(&H.mu);
		H.out = *qo;
		pthread_mutex_unlock(&H.mu);
	}
	p11rpc_w_init(&w);
	p11rpc_w_u8(&w, P11RPC_LOAD);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		p11rpc_w_u8(&w, v[i] != NULL);
		p11rpc_w_str(&w, v[i]);
	}
	if (call(&w, &msg, &len) != 0) {
		const char *why = p11_helper_failure();

		errfmt(err, errlen, "%s", why != NULL ? why : "the token helper is not running");
		return P11_ERR_INTERNAL;
	}
	p11rpc_r_init(&rd, msg, len);
	(void)p11rpc_r_u64(&rd); /* CKR_OK */
	status = p11rpc_r_u32(&rd);
	p11rpc_r_str(&rd, text, sizeof(text));
	*load = p11rpc_r_u32(&rd);
	if ((n = p11rpc_r_u32(&rd)) > max) {
		rd.failed = 1;
	}
	for (i = 0; i < n && !rd.failed; i++) {
		slots[i].handle = (CK_SLOT_ID)p11rpc_r_u64(&rd);
		slots[i].real = (CK_SLOT_ID)p11rpc_r_u64(&rd);
	}
	if (p11rpc_r_end(&rd) != 0 || status > 64) {
		(void)broken_reply();
		errfmt(err, errlen, "the token helper sent a malformed reply");
		goto out;
	}
	if (status != 0) {
		errfmt(err, errlen, "%s", text);
		r = -(int)status;
		goto out;
	}
	*nslots = n;
	r = 0;
out:
	p11rpc_msg_free(msg, len);
	return r;
}

void p11_helper_unload(uint32_t load)
{
	struct p11rpc_w w;
	uint8_t *msg;
	size_t len;

	p11rpc_w_init(&w);
	p11rpc_w_u8(&w, P11RPC_UNLOAD);
	p11rpc_w_u32(&w, load);
	if (call(&w, &msg, &len) == 0) {
		p11rpc_msg_free(msg, len);
	}
}

/* ---- the forwarding function list ---- */

/* send the request; on a reply, rd reads it after its CK_RV (returned); *msg to free */
static CK_RV rpc(struct p11rpc_w *w, struct p11rpc_r *rd, uint8_t **msg, size_t *len)
{
	CK_RV rv;

	if (call(w, msg, len) != 0) {
		p11rpc_r_init(rd, NULL, 0);
		return CKR_DEVICE_ERROR;
	}
	p11rpc_r_init(rd, *msg, *len);
	rv = (CK_RV)p11rpc_r_u64(rd);
	return rd->failed ? broken_reply() : rv;
}

/* the end of a reply: rv, or a broken reply */
static CK_RV done(struct p11rpc_r *rd, CK_RV rv, uint8_t *msg, size_t len)
{
	if (p11rpc_r_end(rd) != 0) {
		rv = broken_reply();
	}
	p11rpc_msg_free(msg, len);
	return rv;
}

static void req(struct p11rpc_w *w, enum p11rpc_op op, uint64_t handle)
{
	p11rpc_w_init(w);
	p11rpc_w_u8(w, (uint8_t)op);
	p11rpc_w_u64(w, handle);
}

static CK_RV fw_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR si)
{
	struct p11rpc_w w;
	struct p11rpc_r rd;
	uint8_t *msg;
	size_t len;
	CK_RV rv;

	req(&w, P11RPC_GET_SLOT_INFO, slot);
	if ((rv = rpc(&w, &rd, &msg, &len)) == CKR_OK) {
		p11rpc_r_slot_info(&rd, si);
	}
	return done(&rd, rv, msg, len);
}

static CK_RV fw_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR ti)
{
	struct p11rpc_w w;
	struct p11rpc_r rd;
	uint8_t *msg;
	size_t len;
	CK_RV rv;

	req(&w, P11RPC_GET_TOKEN_INFO, slot);
	if ((rv = rpc(&w, &rd, &msg, &len)) == CKR_OK) {
		p11rpc_r_token_info(&rd, ti);
	}
	return done(&rd, rv, msg, len);
}

static CK_RV fw_OpenSession(
    CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify, CK_SESSION_HANDLE_PTR s)
{
	struct p11rpc_w w;
	struct p11rpc_r rd;
	uint8_t *msg;
	size_t len;
	CK_RV rv;

	if (app != NULL || notify != NULL) {
		return CKR_ARGUMENTS_BAD; /* no callbacks across processes */
	}
	req(&w, P11RPC_OPEN_SESSION, slot);
	p11rpc_w_u64(&w, flags);
	if ((rv = rpc(&w, &rd, &msg, &len)) == CKR_OK) {
		*s = (CK_SESSION_HANDLE)p11rpc_r_u64(&rd);
	}
	return done(&rd, rv, msg, len);
}

/* a call that sends the session handle and gets the CK_RV alone */
static CK_RV fw_simple(enum p11rpc_op op, CK_SESSION_HANDLE s)
{
	struct p11rpc_w w;
	struct p11rpc_r rd;
	uint8_t *msg;
	size_t len;
	CK_RV rv;

	req(&w, op, s);
	rv = rpc(&w, &rd, &msg, &len);
	return done(&rd, rv, msg, len);
}

static CK_RV fw_CloseSession(CK_SESSION_HANDLE s)
{
	return fw_simple(P11RPC_CLOSE_SESSION, s);
}

static CK_RV fw_FindObjectsFinal(CK_SESSION_HANDLE s)
{
	return fw_simple(P11RPC_FIND_OBJECTS_FINAL, s);
}

static CK_RV fw_Login(CK_SESSION_HANDLE s, CK_USER_TYPE who, CK_UTF8CHAR_PTR pin, CK_ULONG n)
{
	struct p11rpc_w w;
	struct p11rpc_r rd;
	uint8_t *msg;
	size_t len;
	CK_RV rv;

	if (n >= P11_PIN_MAX) {
		return CKR_PIN_LEN_RANGE;
	}
	req(&w, P11RPC_LOGIN, s);
	p11rpc_w_u64(&w, who);
	p11rpc_w_u8(&w, pin != NULL);
	p11rpc_w_bytes(&w, pin, pin != NULL ? n : 0);
	rv = rpc(&w, &rd, &msg, &len); /* wipes the request, PIN and all */
	return done(&rd, rv, msg, len);
}

static CK_RV fw_GetSessionInfo(CK_SESSION_HANDLE s, CK_SESSION_INFO_PTR si)
{
	struct p11rpc_w w;
	struct p11rpc_r rd;
	uint8_t *msg;
	size_t len;
	CK_RV rv;

	req(&w, P11RPC_GET_SESSION_INFO, s);
	if ((rv = rpc(&w, &rd, &msg, &len)) == CKR_OK) {
		si->slotID = (CK_SLOT_ID)p11rpc_r_u64(&rd);
		si->state = (CK_STATE)p11rpc_r_u64(&rd);
		si->flags = (CK_FLAGS)p11rpc_r_u64(&rd);
		si->ulDeviceError = (CK_ULONG)p11rpc_r_u64(&rd);
	}
	return done(&rd, rv, msg, len);
}

static CK_RV fw_FindObjectsInit(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	struct p11rpc_w w;
	struct p11rpc_r rd;
	uint8_t *msg;
	size_t len;
	CK_ULONG i;
	CK_RV rv;

	if (n > 16) {
		return CKR_ARGUMENTS_BAD;
	}
	req(&w, P11RPC_FIND_OBJECTS_INIT, s);
	p11rpc_w_u32(&w, (uint32_t)n);
	for (i = 0; i < n; i++) {
		p11rpc_w_u64(&w, t[i].type);
		p11rpc_w_bytes(&w, t[i].pValue, t[i].ulValueLen);
	}
	rv = rpc(&w, &rd, &msg, &len);
	return done(&rd, rv, msg, len);
}

static CK_RV fw_FindObjects(
    CK_SESSION_HANDLE s, CK_OBJECT_HANDLE_PTR out, CK_ULONG max, CK_ULONG_PTR found)
{
	struct p11rpc_w w;
	struct p11rpc_r rd;
	uint8_t *msg;
	size_t len;
	uint32_t n, i;
	CK_RV rv;

	*found = 0;
	if (max > P11_MAX_OBJECTS) {
		max = P11_MAX_OBJECTS;
	}
	req(&w, P11RPC_FIND_OBJECTS, s);
	p11rpc_w_u64(&w, max);
	if ((rv = rpc(&w, &rd, &msg, &len)) == CKR_OK) {
		if ((n = p11rpc_r_u32(&rd)) > max) {
			rd.failed = 1;
		}
		for (i = 0; i < n && !rd.failed; i++) {
			out[i] = (CK_OBJECT_HANDLE)p11rpc_r_u64(&rd);
		}
		*found = rd.failed ? 0 : n;
	}
	return done(&rd, rv, msg, len);
}

static CK_RV fw_GetAttributeValue(
    CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	struct p11rpc_w w;
	struct p11rpc_r rd;
	const uint8_t *v;
	uint8_t *msg;
	size_t len, vlen;
	CK_ULONG i, got;
	CK_RV rv;

	if (n > 16) {
		return CKR_ARGUMENTS_BAD;
	}
	req(&w, P11RPC_GET_ATTRIBUTE_VALUE, s);
	p11rpc_w_u64(&w, o);
	p11rpc_w_u32(&w, (uint32_t)n);
	for (i = 0; i < n; i++) {
		p11rpc_w_u64(&w, t[i].type);
		p11rpc_w_u8(&w, t[i].pValue != NULL);
		p11rpc_w_u64(&w, t[i].ulValueLen);
	}
	rv = rpc(&w, &rd, &msg, &len);
	if (msg != NULL && !rd.failed) {
		if (p11rpc_r_u32(&rd) != n) {
			rd.failed = 1;
		}
		for (i = 0; i < n && !rd.failed; i++) {
			got = (CK_ULONG)p11rpc_r_u64(&rd);
			if (p11rpc_r_u8(&rd)) {
				p11rpc_r_bytes(&rd, &v, &vlen, P11_MAX_ATTR);
				if (t[i].pValue == NULL || vlen != got || vlen > t[i].ulValueLen) {
					rd.failed = 1;
					break;
				}
				if (vlen > 0) {
					memcpy(t[i].pValue, v, vlen);
				}
			}
			t[i].ulValueLen = got;
		}
	}
	return done(&rd, rv, msg, len);
}

static CK_RV fw_SignInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	struct p11rpc_w w;
	struct p11rpc_r rd;
	uint8_t *msg;
	size_t len;
	CK_RV rv;

	if (m->pParameter != NULL || m->ulParameterLen != 0) {
		return CKR_MECHANISM_PARAM_INVALID; /* no mechanism of ours has parameters */
	}
	req(&w, P11RPC_SIGN_INIT, s);
	p11rpc_w_u64(&w, m->mechanism);
	p11rpc_w_u64(&w, key);
	rv = rpc(&w, &rd, &msg, &len);
	return done(&rd, rv, msg, len);
}

static CK_RV fw_Sign(
    CK_SESSION_HANDLE s, CK_BYTE_PTR data, CK_ULONG dlen, CK_BYTE_PTR sig, CK_ULONG_PTR siglen)
{
	struct p11rpc_w w;
	struct p11rpc_r rd;
	const uint8_t *v;
	uint8_t *msg;
	size_t len, vlen;
	CK_ULONG got;
	CK_RV rv;

	req(&w, P11RPC_SIGN, s);
	p11rpc_w_bytes(&w, data, dlen);
	p11rpc_w_u8(&w, sig != NULL);
	p11rpc_w_u64(&w, *siglen);
	rv = rpc(&w, &rd, &msg, &len);
	if (msg != NULL && !rd.failed) {
		got = (CK_ULONG)p11rpc_r_u64(&rd);
		if (p11rpc_r_u8(&rd)) {
			p11rpc_r_bytes(&rd, &v, &vlen, 16384);
			if (sig == NULL || vlen != got || vlen > *siglen) {
				rd.failed = 1;
			} else if (vlen > 0) {
				memcpy(sig, v, vlen);
			}
		}
		*siglen = got;
	}
	return done(&rd, rv, msg, len);
}

static CK_FUNCTION_LIST fl;

/* the forwarding calls over a list whose other calls answer not supported */
static void fill_functions(void)
{
	p11_helper_unsupported(&fl);
	fl.version.major = CRYPTOKI_VERSION_MAJOR;
	fl.version.minor = CRYPTOKI_VERSION_MINOR;
	fl.C_GetSlotInfo = fw_GetSlotInfo;
	fl.C_GetTokenInfo = fw_GetTokenInfo;
	fl.C_OpenSession = fw_OpenSession;
	fl.C_CloseSession = fw_CloseSession;
	fl.C_Login = fw_Login;
	fl.C_GetSessionInfo = fw_GetSessionInfo;
	fl.C_FindObjectsInit = fw_FindObjectsInit;
	fl.C_FindObjects = fw_FindObjects;
	fl.C_FindObjectsFinal = fw_FindObjectsFinal;
	fl.C_GetAttributeValue = fw_GetAttributeValue;
	fl.C_SignInit = fw_SignInit;
	fl.C_Sign = fw_Sign;
}

CK_FUNCTION_LIST *p11_helper_functions(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	(void)pthread_once(&once, fill_functions);
	return &fl;
}
