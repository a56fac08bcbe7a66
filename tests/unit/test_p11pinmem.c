/*
 * The memory of refused pin-source files (pkcs11/p11pinmem.c) against the test-only p11mock
 * module, which counts its C_Login calls: a wrong file PIN costs one C_Login; a later load (as a
 * later run would) presents it no more and says why; the file rewritten with the right PIN logs
 * in and clears the record; a touch alone is a change too; a corrupt record file is tolerated;
 * the directory and file modes are 0700 and 0600; the record never holds the PIN. HOME is a
 * temporary directory.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "p11.h"
#include "signer.h"
#include "ssh/buf.h"
#include "t.h"
#include "t_p11mock.h"
#include "t_sign.h"

static char mock[PATH_MAX], dir[64];

static const char *path(const char *name)
{
	static char p[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static size_t logins(void)
{
	FILE *f = fopen(path("logins"), "r");
	char line[64];
	size_t n = 0;

	if (f == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n += strncmp(line, "user", 4) == 0;
	}
	fclose(f);
	return n;
}

static void write_pin_to(const char *name, const char *pin)
{
	FILE *f = fopen(path(name), "w");

	if (f == NULL) {
		CHECK(0);
		return;
	}
	fprintf(f, "%s\n", pin);
	fclose(f);
	chmod(path(name), 0600);
}

static void write_pin(const char *pin)
{
	write_pin_to("pin", pin);
}

/* one run: load the mock with pin-source=file:DIR/pin, sign once; the signer's result and, in
 * err, its message */
static int run_with(const char *name, char *err, size_t errlen)
{
	struct p11_opts o = {.batch_mode = 1};
	struct signer **v = NULL;
	struct buf sig;
	size_t n = 0;
	char uri[PATH_MAX + 256];
	int r;

	buf_init(&sig);
	snprintf(uri, sizeof(uri), "pkcs11:token=mock%%20token?module-path=%s&pin-source=file:%s",
	    mock, path(name));
	if ((r = p11_load_signers(uri, &o, &v, &n, err, errlen)) != 0) {
		fprintf(stderr, "  load: %s\n", err);
		return -1000;
	}
	r = t_sign_ssh(v[0], "rsa-sha2-256", (const uint8_t *)"data", 4, &sig);
	snprintf(err, errlen, "%s", r != 0 ? signer_error(v[0]) : "");
	p11_free_signers(v, n);
	buf_free(&sig);
	return r;
}

static int run(char *err, size_t errlen)
{
	return run_with("pin", err, errlen);
}

static int file_has(const char *file, const char *word)
{
	char buf[8192];
	FILE *f = fopen(file, "r");
	size_t n;

	if (f == NULL) {
		return 0;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, word) != NULL;
}

static void test_memory(void)
{
	char err[1024];
	struct stat st;
	struct timespec later[2];

	/* a wrong PIN in the file: one C_Login, refused and remembered */
	write_pin("9999");
	CHECK_EQ_INT(run(err, sizeof(err)), SIGNER_ERR_PASSPHRASE);
	CHECK(strstr(err, "CKR_PIN_INCORRECT") != NULL);
	CHECK(strstr(err, "not presented again until it changes") != NULL);
	CHECK_EQ_INT(logins(), 1);
	CHECK(stat(path(".x509ssh"), &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(stat(path(".x509ssh/pin-refused"), &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(file_has(path(".x509ssh/pin-refused"), "mock%20token"));
	CHECK(!file_has(path(".x509ssh/pin-refused"), "9999"));

	/* the next runs: no C_Login at all, and the line says why and how to reset */
	CHECK_EQ_INT(run(err, sizeof(err)), SIGNER_ERR_PASSPHRASE);
	CHECK_EQ_INT(run(err, sizeof(err)), SIGNER_ERR_PASSPHRASE);
	CHECK_EQ_INT(logins(), 1);
	CHECK(strstr(err, "token mock token: pin-source ") != NULL);
	CHECK(strstr(err, "was refused before (on ") != NULL);
	CHECK(strstr(err, "not presenting it again until it changes (or remove its line from ") !=
	      NULL);
	CHECK(strstr(err, "/.x509ssh/pin-refused)") != NULL);

	/* touched (same contents, new times): presented again, refused again, one more C_Login */
	CHECK(stat(path("pin"), &st) == 0);
	later[0] = st.st_atim;
	later[1] = st.st_mtim;
	later[1].tv_sec += 10;
	CHECK(utimensat(AT_FDCWD, path("pin"), later, 0) == 0);
	CHECK_EQ_INT(run(err, sizeof(err)), SIGNER_ERR_PASSPHRASE);
	CHECK_EQ_INT(logins(), 2);
	CHECK_EQ_INT(run(err, sizeof(err)), SIGNER_ERR_PASSPHRASE);
	CHECK_EQ_INT(logins(), 2);

	/* rewritten with the right PIN: logs in at once, and the record is gone */
	write_pin("4321");
	CHECK_EQ_INT(run(err, sizeof(err)), 0);
	CHECK_EQ_INT(logins(), 3);
	CHECK(!file_has(path(".x509ssh/pin-refused"), "mock%20token"));
	CHECK_EQ_INT(run(err, sizeof(err)), 0);
	CHECK_EQ_INT(logins(), 4);
}

/* garbage lines and an overlong line are dropped, not fatal; the records still work */
static void test_corrupt(void)
{
	char err[1024], big[5000];
	FILE *f = fopen(path(".x509ssh/pin-refused"), "w");

	if (f == NULL) {
		CHECK(0);
		return;
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fprintf(f, "garbage\n%s\n1 2 3\n\n x y z 1.2 3.4 5 6\nno newline at the end", big);
	fclose(f);
	unlink(path("logins"));
	write_pin("1111");
	CHECK_EQ_INT(run(err, sizeof(err)), SIGNER_ERR_PASSPHRASE);
	CHECK_EQ_INT(run(err, sizeof(err)), SIGNER_ERR_PASSPHRASE);
	CHECK_EQ_INT(logins(), 1);
	CHECK(strstr(err, "was refused before") != NULL);
	CHECK(!file_has(path(".x509ssh/pin-refused"), "garbage"));
}

/* bounded: many refused files keep at most 64 records, the newest */
static void test_bounded(void)
{
	char err[1024], line[512], name[32];
	FILE *f;
	size_t n = 0;
	int i;

	for (i = 0; i < 70; i++) {
		snprintf(name, sizeof(name), "pin%d", i);
		write_pin_to(name, "1111");
		CHECK_EQ_INT(run_with(name, err, sizeof(err)), SIGNER_ERR_PASSPHRASE);
	}
	if ((f = fopen(path(".x509ssh/pin-refused"), "r")) == NULL) {
		CHECK(0);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
	}
	fclose(f);
	CHECK_EQ_INT(n, 64);
	/* the newest is kept: pin69 is still refused without a C_Login, pin0 is presented */
	unlink(path("logins"));
	CHECK_EQ_INT(run_with("pin69", err, sizeof(err)), SIGNER_ERR_PASSPHRASE);
	CHECK_EQ_INT(logins(), 0);
	CHECK_EQ_INT(run_with("pin0", err, sizeof(err)), SIGNER_ERR_PASSPHRASE);
	CHECK_EQ_INT(logins(), 1);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/x509ssh-pinmem-XXXXXX");
	if (t_find_mock(mock, sizeof(mock)) != 0 || mkdtemp(dir) == NULL) {
		fprintf(stderr, "p11mock.so not found next to this program, or no temp dir\n");
		return 1;
	}
	setenv("HOME", dir, 1);
	setenv("P11MOCK_KEY", "data/key_rsa_pkcs8.pem", 1);
	setenv("P11MOCK_PIN", "4321", 1);
	setenv("P11MOCK_COUNT", path("logins"), 1);
	test_memory();
	test_corrupt();
	test_bounded();
	if (t_fail == 0) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)system(cmd);
	}
	T_DONE();
}
