/*
 * The token signer's worker thread against the test-only p11mock module (built next to this
 * program): a signature whose caller has gone away (the end it polls is closed before the worker
 * reports back) ends as a failed signature instead of a worker spinning forever, and the signer
 * still signs afterwards; the PIN asked through the caller (SIGNER_NEED_SECRET) once per token,
 * a second signer of the token waiting for that question. Each case runs in a child process that
 * the parent kills after 60 s: a hang is a failure, not a stuck test run. Every case runs twice:
 * with the module in this process, and in the token helper (this program run again, as the
 * client's programs do); a module that crashes in C_Sign in the helper fails the signature with
 * "the token module crashed (signal SEGV)", and the signer fails the same way afterwards; one
 * that exits there, with "the token module exited with status 3".
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "p11.h"
#include "p11_int.h"
#include "signer.h"
#include "t.h"
#include "t_p11mock.h"

#define CHILD_SECONDS 60

static char mock[PATH_MAX];
static int use_helper; /* the modules in the token helper */

static struct signer **load(size_t *n)
{
	struct p11_opts o = {.batch_mode = 1, .helper = use_helper};
	struct signer **v = NULL;
	char uri[PATH_MAX + 128], err[512];

	setenv("P11MOCK_KEY", "data/key_rsa_pkcs8.pem", 1);
	setenv("P11MOCK_PIN", "4321", 1);
	snprintf(
	    uri, sizeof(uri), "pkcs11:token=mock%%20token?module-path=%s&pin-value=4321", mock);
	if (p11_load_signers(uri, &o, &v, n, err, sizeof(err)) != 0) {
		fprintf(stderr, "  load %s: %s\n", uri, err);
		return NULL;
	}
	return v;
}

static const uint8_t req_data[] = "session id and userauth request";
static const struct signer_req rsa_sha256 = {
    .prim = SIGNER_RSA_PKCS1, .digest = "SHA256", .data = req_data, .len = sizeof(req_data)};

/* sign; sign_finish() blocks until the worker is done */
static int sign_now(struct signer *s)
{
	uint8_t *sig = NULL;
	size_t len = 0;
	int r = s->ops->sign(s, &rsa_sha256, &sig, &len);

	if (r == SIGNER_AGAIN) {
		r = s->ops->sign_finish(s, &sig, &len);
	}
	free(sig);
	return r;
}

/* the caller's end is closed while the worker waits for the token: the worker cannot wake
 * anybody; sign_finish() must return (a failed signature), then the signer works again */
static int gone_caller(void)
{
	struct signer **v;
	struct p11_key *k;
	uint8_t *sig = NULL;
	size_t n = 0, len = 0;
	int r, ok = 1;

	/* the client ignores SIGPIPE (loop.c); so does this child */
	signal(SIGPIPE, SIG_IGN);
	if ((v = load(&n)) == NULL || n != 1 || !p11_is_signer(v[0])) {
		fprintf(stderr, "  cannot load the mock key\n");
		return 0;
	}
	if (sign_now(v[0]) != 0) {
		fprintf(stderr, "  first signature: %s\n", signer_error(v[0]));
		ok = 0;
	}
	k = v[0]->impl;
	pthread_mutex_lock(&k->tok->mu); /* the worker waits here until the end is closed */
	r = v[0]->ops->sign(v[0], &rsa_sha256, &sig, &len);
	if (r != SIGNER_AGAIN) {
		pthread_mutex_unlock(&k->tok->mu);
		fprintf(stderr, "  sign() answered %d, not SIGNER_AGAIN\n", r);
		p11_free_signers(v, n);
		return 0;
	}
	close(k->pfd[0]);
	k->pfd[0] = -1;
	pthread_mutex_unlock(&k->tok->mu);
	r = v[0]->ops->sign_finish(v[0], &sig, &len);
	if (r >= 0 || sig != NULL || strstr(signer_error(v[0]), "could not report back") == NULL) {
		fprintf(stderr, "  sign_finish with the caller's end closed: %d \"%s\"\n", r,
		    signer_error(v[0]));
		ok = 0;
	}
	free(sig);
	if (sign_now(v[0]) != 0) {
		fprintf(stderr, "  signature after the failed one: %s\n", signer_error(v[0]));
		ok = 0;
	}
	p11_free_signers(v, n);
	return ok;
}

/* ---- the PIN asked through the caller, once per token ---- */

/* a mock key whose PIN the caller asks (no pin-value); C_Login calls counted in a fresh file */
static struct signer **load_ask(size_t *n)
{
	struct p11_opts o = {.can_ask = 1, .helper = use_helper};
	struct signer **v = NULL;
	char uri[PATH_MAX + 128], err[512];

	setenv("P11MOCK_KEY", "data/key_rsa_pkcs8.pem", 1);
	setenv("P11MOCK_PIN", "4321", 1);
	snprintf(uri, sizeof(uri), "pkcs11:token=mock%%20token?module-path=%s", mock);
	if (p11_load_signers(uri, &o, &v, n, err, sizeof(err)) != 0 || *n != 1) {
		fprintf(stderr, "  load %s: %s\n", uri, err);
		p11_free_signers(v, *n);
		return NULL;
	}
	return v;
}

static void count_file(void)
{
	static char f[64];

	snprintf(f, sizeof(f), "/tmp/x509ssh-p11signer-%ld.logins", (long)getpid());
	unlink(f);
	setenv("P11MOCK_COUNT", f, 1);
}

static int logins(void)
{
	FILE *f = fopen(getenv("P11MOCK_COUNT"), "r");
	char line[64];
	int n = 0;

	if (f == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
	}
	fclose(f);
	unlink(getenv("P11MOCK_COUNT"));
	return n;
}

/* 1 when s's poll_fd is readable within ms */
static int readable(struct signer *s, int ms)
{
	struct pollfd p = {.fd = s->ops->poll_fd(s), .events = POLLIN};

	return p.fd >= 0 && poll(&p, 1, ms) == 1;
}

/* a result, after waiting for the worker when it says SIGNER_AGAIN */
static int collect(struct signer *s, int r)
{
	uint8_t *sig = NULL;
	size_t len = 0;

	if (r == SIGNER_AGAIN) {
		if (!readable(s, 20000)) {
			return SIGNER_ERR_INTERNAL;
		}
		r = s->ops->sign_finish(s, &sig, &len);
	}
	CHECK(r == SIGNER_OK ? sig != NULL && len == 256 : sig == NULL);
	free(sig);
	return r;
}

static int start(struct signer *s)
{
	uint8_t *sig = NULL;
	size_t len = 0;
	int r = s->ops->sign(s, &rsa_sha256, &sig, &len);

	CHECK(sig == NULL);
	return r;
}

static int answer(struct signer *s, const char *pin)
{
	uint8_t *sig = NULL;
	size_t len = 0;
	int r = s->ops->secret_answer(s, pin, &sig, &len);

	if (r == SIGNER_OK) {
		free(sig);
	}
	return r;
}

static int finish(struct signer *s)
{
	uint8_t *sig = NULL;
	size_t len = 0;
	int r = s->ops->sign_finish(s, &sig, &len);

	free(sig);
	return r;
}

/* two signers of one token (two loads, as two hops may name it differently) and a second set
 * that waits: a needs the PIN, b waits for a's question (SIGNER_AGAIN, no worker, its poll_fd
 * silent) */
static int two_waiting(struct signer ***va, struct signer ***vb, size_t *n)
{
	int f = 0;
	const char *q;

	signal(SIGPIPE, SIG_IGN);
	count_file();
	if ((*va = load_ask(n)) == NULL || (*vb = load_ask(n)) == NULL) {
		return 0;
	}
	if (start((*va)[0]) != SIGNER_NEED_SECRET ||
	    (q = (*va)[0]->ops->secret_prompt((*va)[0], &f)) == NULL ||
	    strcmp(q, "Enter PIN for token 'mock token': ") != 0 || f != SIGNER_SECRET_PIN) {
		fprintf(stderr, "  the first signer does not ask for the PIN\n");
		return 0;
	}
	if (start((*vb)[0]) != SIGNER_AGAIN || (*vb)[0]->ops->poll_fd((*vb)[0]) < 0 ||
	    readable((*vb)[0], 0) || finish((*vb)[0]) != SIGNER_AGAIN ||
	    (*vb)[0]->ops->secret_prompt((*vb)[0], &f) != NULL) {
		fprintf(stderr, "  the second signer does not wait for the first one's question\n");
		return 0;
	}
	return 1;
}

/* the PIN asked once: b goes on with the login a's answer brought */
static int queue_once(void)
{
	struct signer **a = NULL, **b = NULL;
	size_t n = 1;
	int ok = two_waiting(&a, &b, &n);

	if (ok) {
		CHECK_EQ_INT(collect(a[0], answer(a[0], "4321")), SIGNER_OK);
		CHECK(readable(b[0], 20000));
		CHECK_EQ_INT(collect(b[0], finish(b[0])), SIGNER_OK);
		CHECK_EQ_INT(logins(), 1);
	}
	p11_free_signers(a, a != NULL ? 1 : 0);
	p11_free_signers(b, b != NULL ? 1 : 0);
	return ok && t_fail == 0;
}

/* a's question given up: b asks for itself */
static int queue_cancelled(void)
{
	struct signer **a = NULL, **b = NULL;
	size_t n = 1;
	int ok = two_waiting(&a, &b, &n);

	if (ok) {
		CHECK_EQ_INT(answer(a[0], NULL), SIGNER_ERR_PASSPHRASE);
		CHECK(strstr(signer_error(a[0]), "token mock token: no PIN entered") != NULL);
		CHECK(readable(b[0], 20000));
		CHECK_EQ_INT(finish(b[0]), SIGNER_NEED_SECRET);
		CHECK_EQ_INT(collect(b[0], answer(b[0], "4321")), SIGNER_OK);
		CHECK_EQ_INT(logins(), 1);
	}
	p11_free_signers(a, a != NULL ? 1 : 0);
	p11_free_signers(b, b != NULL ? 1 : 0);
	return ok && t_fail == 0;
}

/* a's PIN refused: b does not send it again (nor ask one) */
static int queue_refused(void)
{
	struct signer **a = NULL, **b = NULL;
	size_t n = 1;
	int ok = two_waiting(&a, &b, &n);

	if (ok) {
		CHECK_EQ_INT(collect(a[0], answer(a[0], "1111")), SIGNER_ERR_PASSPHRASE);
		CHECK(strstr(signer_error(a[0]), "CKR_PIN_INCORRECT") != NULL);
		CHECK(readable(b[0], 20000));
		CHECK_EQ_INT(finish(b[0]), SIGNER_ERR_PASSPHRASE);
		CHECK(strstr(signer_error(b[0]), "a PIN was refused before") != NULL);
		CHECK_EQ_INT(logins(), 1);
	}
	p11_free_signers(a, a != NULL ? 1 : 0);
	p11_free_signers(b, b != NULL ? 1 : 0);
	return ok && t_fail == 0;
}

/* b gives up its wait (its connection ended): it leaves the queue and signs later */
static int queue_left(void)
{
	struct signer **a = NULL, **b = NULL;
	size_t n = 1;
	int ok = two_waiting(&a, &b, &n);

	if (ok) {
		b[0]->ops->sign_cancel(b[0]);
		CHECK(b[0]->ops->poll_fd(b[0]) < 0);
		CHECK_EQ_INT(collect(a[0], answer(a[0], "4321")), SIGNER_OK);
		CHECK_EQ_INT(collect(b[0], start(b[0])), SIGNER_OK);
		CHECK_EQ_INT(logins(), 1);
	}
	p11_free_signers(a, a != NULL ? 1 : 0);
	p11_free_signers(b, b != NULL ? 1 : 0);
	return ok && t_fail == 0;
}

/* a gives up its signature while the login with its PIN runs (its connection ended): the login
 * is collected and b goes on with it */
static int queue_asker_left(void)
{
	struct signer **a = NULL, **b = NULL;
	size_t n = 1;
	int ok = two_waiting(&a, &b, &n);

	if (ok) {
		CHECK_EQ_INT(answer(a[0], "4321"), SIGNER_AGAIN);
		a[0]->ops->sign_cancel(a[0]);
		CHECK(a[0]->ops->poll_fd(a[0]) < 0);
		CHECK(readable(b[0], 0));
		CHECK_EQ_INT(collect(b[0], finish(b[0])), SIGNER_OK);
		CHECK_EQ_INT(collect(a[0], start(a[0])), SIGNER_OK); /* a signs again later */
		CHECK_EQ_INT(logins(), 1);
	}
	p11_free_signers(a, a != NULL ? 1 : 0);
	p11_free_signers(b, b != NULL ? 1 : 0);
	return ok && t_fail == 0;
}

/* nobody to ask (can_ask 0, no PIN in the URI): the error of before, no question */
static int nobody_to_ask(void)
{
	struct p11_opts o = {.can_ask = 0, .helper = use_helper};
	struct signer **v = NULL;
	char uri[PATH_MAX + 128], err[512];
	size_t n = 0;
	int ok;

	setenv("P11MOCK_KEY", "data/key_rsa_pkcs8.pem", 1);
	snprintf(uri, sizeof(uri), "pkcs11:token=mock%%20token?module-path=%s", mock);
	if (p11_load_signers(uri, &o, &v, &n, err, sizeof(err)) != 0) {
		return 0;
	}
	ok = start(v[0]) == SIGNER_ERR_PASSPHRASE &&
	     strstr(signer_error(v[0]), "a PIN is needed and nobody can be asked") != NULL;
	p11_free_signers(v, n);
	return ok;
}

/* the helper's module crashes in C_Sign: the signature in flight fails with the helper's death,
 * and so does the next one */
static int helper_crash(void)
{
	struct signer **v;
	size_t n = 0;
	int ok = 1;

	setenv("P11MOCK_FLAGS", "crash-sign", 1);
	if ((v = load(&n)) == NULL || n != 1) {
		return 0;
	}
	if (sign_now(v[0]) != SIGNER_ERR_DEVICE ||
	    strcmp(signer_error(v[0]), "the token module crashed (signal SEGV)") != 0) {
		fprintf(stderr, "  crash: \"%s\"\n", signer_error(v[0]));
		ok = 0;
	}
	if (p11_helper_failure() == NULL ||
	    strcmp(p11_helper_failure(), "the token module crashed (signal SEGV)") != 0) {
		ok = 0;
	}
	if (sign_now(v[0]) >= 0 || strstr(signer_error(v[0]), "crashed (signal SEGV)") == NULL) {
		fprintf(stderr, "  after the crash: \"%s\"\n", signer_error(v[0]));
		ok = 0;
	}
	p11_free_signers(v, n);
	return ok;
}

/* the helper's module exits in C_Sign: its status is the error */
static int helper_exit(void)
{
	struct signer **v;
	size_t n = 0;
	int ok;

	setenv("P11MOCK_FLAGS", "exit-sign", 1);
	if ((v = load(&n)) == NULL || n != 1) {
		return 0;
	}
	ok = sign_now(v[0]) == SIGNER_ERR_DEVICE &&
	     strcmp(signer_error(v[0]), "the token module exited with status 3") == 0;
	if (!ok) {
		fprintf(stderr, "  exit: \"%s\"\n", signer_error(v[0]));
	}
	p11_free_signers(v, n);
	return ok;
}

/* run fn in a child; 1 if it returned 1 within CHILD_SECONDS */
static int in_child(const char *what, int (*fn)(void))
{
	struct timespec nap = {0, 50 * 1000 * 1000};
	pid_t pid, got;
	int st = 0, ticks;

	fflush(NULL);
	if ((pid = fork()) < 0) {
		return 0;
	}
	if (pid == 0) {
		exit(fn() ? 0 : 1);
	}
	for (ticks = 0; ticks < CHILD_SECONDS * 20; ticks++) {
		if ((got = waitpid(pid, &st, WNOHANG)) == pid) {
			return WIFEXITED(st) && WEXITSTATUS(st) == 0;
		}
		if (got < 0 && errno != EINTR) {
			return 0;
		}
		nanosleep(&nap, NULL);
	}
	fprintf(stderr, "  %s: still running after %d s (a worker that never ends?)\n", what,
	    CHILD_SECONDS);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return 0;
}

int main(int argc, char **argv)
{
	(void)p11_helper_main(argc, argv); /* this program as the token helper: never returns */
	if (t_find_mock(mock, sizeof(mock)) != 0) {
		fprintf(stderr, "p11mock.so not found next to this program (%s)\n", mock);
		CHECK(0);
		T_DONE();
	}
	for (use_helper = 0; use_helper <= 1; use_helper++) {
		CHECK_MSG(in_child("caller gone before the worker reports", gone_caller),
		    "helper %d", use_helper);
		CHECK_MSG(in_child("the PIN asked once for two signers of a token", queue_once),
		    "helper %d", use_helper);
		CHECK_MSG(
		    in_child("the first PIN question given up: the second asks", queue_cancelled),
		    "helper %d", use_helper);
		CHECK_MSG(
		    in_child("a refused PIN is not sent by the waiting signer", queue_refused),
		    "helper %d", use_helper);
		CHECK_MSG(in_child("a waiting signer given up leaves the queue", queue_left),
		    "helper %d", use_helper);
		CHECK_MSG(in_child("the asking signer given up during its login", queue_asker_left),
		    "helper %d", use_helper);
		CHECK_MSG(
		    in_child("nobody to ask for the PIN", nobody_to_ask), "helper %d", use_helper);
	}
	use_helper = 1;
	CHECK(in_child("the helper's module crashes in C_Sign", helper_crash));
	CHECK(in_child("the helper's module exits in C_Sign", helper_exit));
	T_DONE();
}
