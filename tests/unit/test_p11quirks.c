/*
 * Module behaviour that SoftHSM does not show, against the test-only p11mock module: a module
 * that prints on stderr while it is loaded (P11MOCK_NOISE) does not reach our fd 2; its lines go
 * to p11_opts.module_output (shown by the program with -v), control bytes replaced, or are
 * dropped when that is NULL. The quirks of real modules (P11MOCK_QUIRKS): token fields padded
 * with NULs match and print like blank-padded ones; an all-zero serial is left out of the keys'
 * URIs (it tells no token apart); an uninitialised token in another slot is skipped; a
 * mechanism whose size range excludes the key does not stop the signature; a CKA_ID stored as
 * text ("01", tpm2_ptool --id) is matched by id=01 as the bytes stored, not by id=%01.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p11.h"
#include "signer.h"
#include "ssh/buf.h"
#include "t.h"
#include "t_p11mock.h"
#include "t_sign.h"

static char mock[PATH_MAX], got[4096];

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

/* load the mock with quirks q and the URI's path part path; the load's result, names in err */
static int load_quirky(const char *q, const char *path, char *err, size_t len, int sign)
{
	struct p11_opts o = {.batch_mode = 1};
	char uri[PATH_MAX + 256];
	struct signer **v = NULL;
	struct buf sig;
	size_t n = 0;
	int r;

	setenv("P11MOCK_QUIRKS", q, 1);
	snprintf(uri, sizeof(uri), "pkcs11:%s?module-path=%s&pin-value=4321", path, mock);
	if ((r = p11_load_signers(uri, &o, &v, &n, err, len)) != 0) {
		return r;
	}
	snprintf(err, len, "%s", v[0]->name);
	if (sign) {
		buf_init(&sig);
		CHECK_EQ_INT(t_sign_ssh(v[0], "rsa-sha2-256", (const uint8_t *)"d", 1, &sig), 0);
		buf_free(&sig);
	}
	p11_free_signers(v, n);
	return n == 1 ? 0 : -1000;
}

static void test_quirks(void)
{
	char name[1024];

	/* NUL padding: token=, model= match; the key's URI has no NULs or blanks */
	CHECK_EQ_INT(
	    load_quirky("nulpad", "token=mock%20token;model=mock", name, sizeof(name), 1), 0);
	CHECK(strstr(name, "pkcs11:token=mock%20token;serial=0001;id=%01;object=mockkey") == name);
	/* all-zero serial: not in the key's URI; serial= in a URI still matches the field */
	CHECK_EQ_INT(load_quirky("zeroserial", "token=mock%20token", name, sizeof(name), 1), 0);
	CHECK(strstr(name, "pkcs11:token=mock%20token;id=%01;object=mockkey") == name);
	CHECK_EQ_INT(
	    load_quirky("zeroserial", "serial=0000000000000000", name, sizeof(name), 0), 0);
	/* an uninitialised token (listed first, all-zero serial, empty label) is skipped */
	CHECK_EQ_INT(load_quirky("extraslot", "model=mock", name, sizeof(name), 1), 0);
	CHECK(strstr(name, "token=mock%20token") != NULL);
	CHECK_EQ_INT(load_quirky("extraslot", "serial=0000000000000000", name, sizeof(name), 0),
	    P11_ERR_NOT_FOUND);
	CHECK(strstr(name, "no token matches") != NULL);
	/* a lying mechanism size range (max 1024 bits, the key has 2048) does not stop signing */
	CHECK_EQ_INT(load_quirky("mechrange", "token=mock%20token", name, sizeof(name), 1), 0);
	/* CKA_ID as text: id=01 is the two bytes "01"; id=%01 is one byte and matches nothing */
	CHECK_EQ_INT(load_quirky("textid", "token=mock%20token;id=01", name, sizeof(name), 1), 0);
	CHECK(strstr(name, ";id=01;") != NULL);
	CHECK_EQ_INT(load_quirky("textid", "token=mock%20token;id=%01", name, sizeof(name), 0),
	    P11_ERR_NOT_FOUND);
	CHECK_EQ_INT(
	    load_quirky("", "token=mock%20token;id=01", name, sizeof(name), 0), P11_ERR_NOT_FOUND);
	unsetenv("P11MOCK_QUIRKS");
}

int main(void)
{
	if (t_find_mock(mock, sizeof(mock)) != 0) {
		fprintf(stderr, "p11mock.so not found next to this program\n");
		return 1;
	}
	setenv("P11MOCK_KEY", "data/key_rsa_pkcs8.pem", 1);
	setenv("P11MOCK_PIN", "4321", 1);
	test_quiet();
	test_quirks();
	T_DONE();
}
