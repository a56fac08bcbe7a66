/*
 * The token signer's worker thread against the test-only p11mock module (built next to this
 * program): a signature whose caller has gone away (the end it polls is closed before the worker
 * reports back) ends as a failed signature instead of a worker spinning forever, and the signer
 * still signs afterwards. Each case runs in a child process that the parent kills after 60 s:
 * a hang is a failure, not a stuck test run.
 */
#include <errno.h>
#include <limits.h>
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

#define CHILD_SECONDS 60

static char mock[PATH_MAX];

/* p11mock.so sits in the build directory, next to this program */
static int find_mock(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0) {
		return -1;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL) {
		return -1;
	}
	*slash = '\0';
	if (strlen(self) + sizeof("/p11mock.so") > sizeof(mock)) {
		return -1;
	}
	memcpy(mock, self, strlen(self));
	memcpy(mock + strlen(self), "/p11mock.so", sizeof("/p11mock.so"));
	return access(mock, R_OK);
}

static struct signer **load(size_t *n)
{
	struct p11_opts o = {.batch_mode = 1};
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

int main(void)
{
	if (find_mock() != 0) {
		fprintf(stderr, "p11mock.so not found next to this program (%s)\n", mock);
		CHECK(0);
		T_DONE();
	}
	CHECK(in_child("caller gone before the worker reports", gone_caller));
	T_DONE();
}
