/*
 * Module behaviour that SoftHSM does not show, against the test-only p11mock module: a module
 * that prints on stderr while it is loaded (P11MOCK_NOISE) does not reach our fd 2; its lines go
 * to p11_opts.module_output (shown by the program with -v), control bytes replaced, or are
 * dropped when that is NULL.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p11.h"
#include "signer.h"
#include "t.h"

static char mock[PATH_MAX], got[4096];

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

static void collect(void *arg, const char *line)
{
	(void)arg;
	strncat(got, line, sizeof(got) - strlen(got) - 2);
	strcat(got, "|");
}

/* load the mock with fd 2 sent to a file; that file's contents into err2 */
static int load_noisy(struct p11_opts *o, char *err2, size_t len)
{
	char tmpl[] = "/tmp/x509ssh-quiet-XXXXXX", uri[PATH_MAX + 64], err[512];
	struct signer **v = NULL;
	size_t n = 0;
	ssize_t k;
	int fd, saved, r;

	if ((fd = mkstemp(tmpl)) < 0 || (saved = dup(2)) < 0) {
		return -1000;
	}
	dup2(fd, 2);
	snprintf(uri, sizeof(uri), "pkcs11:token=mock%%20token?module-path=%s", mock);
	r = p11_load_signers(uri, o, &v, &n, err, sizeof(err));
	p11_free_signers(v, n);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	k = pread(fd, err2, len - 1, 0);
	err2[k > 0 ? k : 0] = '\0';
	close(fd);
	unlink(tmpl);
	return r;
}

static void test_quiet(void)
{
	struct p11_opts o = {.batch_mode = 1, .module_output = collect};
	char err2[4096];

	setenv("P11MOCK_NOISE", "1", 1);
	got[0] = '\0';
	CHECK_EQ_INT(load_noisy(&o, err2, sizeof(err2)), 0);
	CHECK(strstr(err2, "mock-noise") == NULL);
	CHECK(strcmp(got, "mock-noise: ERROR:tcti:connect failed|mock-noise: second line|"
	                  "mock-noise: ?[31mcolour?[0m|") == 0);
	if (strstr(err2, "mock-noise") != NULL || got[0] == '\0') {
		fprintf(stderr, "  fd 2 got: %s\n  module_output got: %s\n", err2, got);
	}
	/* no callback: dropped */
	o.module_output = NULL;
	got[0] = '\0';
	CHECK_EQ_INT(load_noisy(&o, err2, sizeof(err2)), 0);
	CHECK(strstr(err2, "mock-noise") == NULL);
	CHECK(got[0] == '\0');
	/* our own stderr works again afterwards */
	unsetenv("P11MOCK_NOISE");
}

int main(void)
{
	if (find_mock() != 0) {
		fprintf(stderr, "p11mock.so not found next to this program\n");
		return 1;
	}
	setenv("P11MOCK_KEY", "data/key_rsa_pkcs8.pem", 1);
	setenv("P11MOCK_PIN", "4321", 1);
	test_quiet();
	T_DONE();
}
