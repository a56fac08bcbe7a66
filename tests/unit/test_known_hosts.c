/* known_hosts: plain, hashed (fixture hashed by ssh-keygen -H), [host]:port, patterns, markers,
 * garbage, add-then-check, and a mutation sweep. Blobs come from ssh-keygen .pub fixtures. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "err.h"
#include "known_hosts.h"
#include "textfile.h"
#include "t.h"

struct key {
	uint8_t blob[2048];
	size_t len;
};

static struct key ed, ed_b, ec256, ec384, rsa;

/* the blob of an OpenSSH .pub file ("type base64 comment") */
static int load_pub(const char *path, struct key *k)
{
	k->len = t_pub_blob(path, k->blob, sizeof(k->blob));
	return k->len > 0 ? 0 : -1;
}

static struct kh_result res;

static enum kh_status chk(const char *const *files, size_t n, const char *name, const struct key *k)
{
	memset(&res, 0xee, sizeof(res));
	if (known_hosts_check(files, n, name, k->blob, k->len, &res) != 0) {
		return (enum kh_status) - 1;
	}
	return res.status;
}

static const char *plain[] = {"data/kh_plain"};
static const char *both[] = {"data/kh_plain", "data/kh_second"};
static const char *hashed[] = {"data/kh_hashed"};

/* the base64 the lines are written with reads back with the strict decoder */
static void test_b64(void)
{
	static const struct {
		const char *in, *want;
	} rows[] = {
	    {.in = "", .want = ""},
	    {.in = "f", .want = "Zg=="},
	    {.in = "fo", .want = "Zm8="},
	    {.in = "foo", .want = "Zm9v"},
	    {.in = "foobar", .want = "Zm9vYmFy"},
	};
	uint8_t *d = NULL, *big = NULL;
	size_t i, n = 0;
	char *s;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		s = textfile_b64_encode((const uint8_t *)rows[i].in, strlen(rows[i].in));
		CHECK_STR(s, rows[i].want);
		if (s != NULL && s[0] != '\0') {
			CHECK_EQ_INT(textfile_b64_decode(s, strlen(s), &d, &n), 0);
			CHECK(
			    d != NULL && n == strlen(rows[i].in) && memcmp(d, rows[i].in, n) == 0);
			free(d);
			d = NULL;
		}
		free(s);
	}
	/* the longest input whose text the decoder takes back, and one byte more */
	if ((big = calloc(1, TEXTFILE_B64_MAX / 4 * 3 + 1)) != NULL) {
		s = textfile_b64_encode(big, TEXTFILE_B64_MAX / 4 * 3);
		CHECK(s != NULL && strlen(s) == TEXTFILE_B64_MAX);
		free(s);
		CHECK(textfile_b64_encode(big, TEXTFILE_B64_MAX / 4 * 3 + 1) == NULL);
		free(big);
	}
}

/* textfile_read_fd: the whole pipe, across reads larger than one step; over max: EFBIG */
static void test_read_fd(void)
{
	static char big[200000];
	char *out = NULL;
	size_t len = 0;
	int p[2];

	for (size_t i = 0; i < sizeof(big); i++) {
		big[i] = (char)('a' + i % 26);
	}
	for (int over = 0; over < 2; over++) {
		CHECK_EQ_INT(pipe(p), 0);
		if (fork() == 0) {
			close(p[0]);
			_exit(write(p[1], big, sizeof(big)) == (ssize_t)sizeof(big) ? 0 : 1);
		}
		close(p[1]);
		if (!over) {
			CHECK_EQ_INT(textfile_read_fd(p[0], sizeof(big), &out, &len), 0);
			CHECK_EQ_INT(len, sizeof(big));
			CHECK(out != NULL && memcmp(out, big, sizeof(big)) == 0);
		} else {
			errno = 0;
			CHECK_EQ_INT(textfile_read_fd(p[0], sizeof(big) - 1, &out, &len), -1);
			CHECK_EQ_INT(errno, EFBIG);
			CHECK(out == NULL && len == 0);
		}
		free(out);
		out = NULL;
		close(p[0]);
		wait(NULL);
	}
	/* empty: a buffer all the same */
	CHECK_EQ_INT(pipe(p), 0);
	close(p[1]);
	CHECK_EQ_INT(textfile_read_fd(p[0], 10, &out, &len), 0);
	CHECK(out != NULL && len == 0);
	free(out);
	close(p[0]);
}

static void test_hostname(void)
{
	char b[64];

	CHECK_EQ_INT(known_hosts_hostname("h.example", 22, b, sizeof(b)), 0);
	CHECK_STR(b, "h.example");
	CHECK_EQ_INT(known_hosts_hostname("h.example", 2222, b, sizeof(b)), 0);
	CHECK_STR(b, "[h.example]:2222");
	CHECK_EQ_INT(known_hosts_hostname("::1", 830, b, sizeof(b)), 0);
	CHECK_STR(b, "[::1]:830");
	CHECK_EQ_INT(known_hosts_hostname("h.example", 2222, b, 10), SSH_ERR_TOO_LARGE);
	CHECK_EQ_INT(known_hosts_hostname("h.example", 22, b, 9), SSH_ERR_TOO_LARGE);
}

/* one lookup and what it must find: the status, and where when line / file are given */
struct kh_case {
	const char *const *files;
	size_t n;
	const char *name;
	const struct key *k;
	enum kh_status status;
	unsigned long line; /* 0: not checked */
	const char *file;   /* NULL: not checked */
};

static void run_cases(const struct kh_case *c, size_t n)
{
	enum kh_status st;
	size_t i;

	for (i = 0; i < n; i++) {
		st = chk(c[i].files, c[i].n, c[i].name, c[i].k);
		CHECK_MSG(st == c[i].status, "case %zu (%s): status %d, expected %d", i, c[i].name,
		    (int)st, (int)c[i].status);
		if (c[i].line != 0) {
			CHECK_MSG(res.line == c[i].line, "case %zu (%s): line %lu, expected %lu", i,
			    c[i].name, (unsigned long)res.line, (unsigned long)c[i].line);
		}
		if (c[i].file != NULL) {
			CHECK_MSG(strcmp(res.file, c[i].file) == 0,
			    "case %zu (%s): file %.*s, expected %s", i, c[i].name,
			    (int)sizeof(res.file), res.file, c[i].file);
		}
	}
}

static const struct kh_case plain_cases[] = {
    {plain, 1, "example.com", &ed, KH_MATCH, 2, "data/kh_plain"},
    {plain, 1, "192.0.2.1", &ed, KH_MATCH, 2, NULL},
    {plain, 1, "EXAMPLE.com", &ed, KH_MATCH, 0, NULL},
    {plain, 1, "example.com", &ec256, KH_OTHER_TYPES, 0, NULL},
    {plain, 1, "example.net", &ed, KH_NOT_FOUND, 0, NULL},
    {plain, 1, "example.co", &ed, KH_NOT_FOUND, 0, NULL},
    /* [host]:port */
    {plain, 1, "[example.com]:2222", &ec256, KH_MATCH, 3, NULL},
    {plain, 1, "[example.com]:2222", &ed, KH_OTHER_TYPES, 0, NULL},
    {plain, 1, "[example.com]:2223", &ec256, KH_NOT_FOUND, 0, NULL},
    /* several keys per host */
    {plain, 1, "multi.example.org", &ed, KH_MATCH, 4, NULL},
    {plain, 1, "multi.example.org", &ec256, KH_MATCH, 5, NULL},
    {plain, 1, "multi.example.org", &rsa, KH_MATCH, 6, NULL},
    {plain, 1, "multi.example.org", &ed_b, KH_MISMATCH, 4, "data/kh_plain"},
    /* the second file knows ed_b for this host: a match anywhere beats a mismatch */
    {both, 2, "multi.example.org", &ed_b, KH_MATCH, 3, "data/kh_second"},
    /* ECDSA curves are distinct key types */
    {plain, 1, "p384.example", &ec256, KH_OTHER_TYPES, 0, NULL},
    {both, 2, "p384.example", &ec256, KH_MATCH, 4, NULL},
    {both, 2, "p384.example", &ec384, KH_MATCH, 20, NULL},
    /* patterns and negation */
    {plain, 1, "a.wild.test", &ed, KH_MATCH, 7, NULL},
    {plain, 1, "bad.wild.test", &ed, KH_NOT_FOUND, 0, NULL},
    {plain, 1, "wild.test", &ed, KH_NOT_FOUND, 0, NULL},
    /* mismatch: file and line */
    {both, 2, "changed.example", &ed, KH_MISMATCH, 8, "data/kh_plain"},
    {both, 2, "second-only.example", &ed, KH_MISMATCH, 5, "data/kh_second"},
    /* @revoked wins over the plain line naming the same key */
    {plain, 1, "revoked.example", &ed, KH_REVOKED, 9, NULL},
    {plain, 1, "revoked.example", &ed_b, KH_MISMATCH, 10, NULL},
    /* @cert-authority skipped */
    {plain, 1, "www.example.com", &ed_b, KH_NOT_FOUND, 0, NULL},
    {plain, 1, "www.example.com", &ed, KH_NOT_FOUND, 0, NULL},
    /* garbage lines are skipped */
    {plain, 1, "garbage", &ed, KH_NOT_FOUND, 0, NULL},
    {plain, 1, "onlyhost", &ed, KH_NOT_FOUND, 0, NULL},
    {plain, 1, "bad64.example", &ed, KH_NOT_FOUND, 0, NULL},
    {plain, 1, "typemix.example", &ed, KH_NOT_FOUND, 0, NULL},
    {plain, 1, "typemix.example", &rsa, KH_NOT_FOUND, 0, NULL},
    {plain, 1, "marker.example", &ed, KH_NOT_FOUND, 0, NULL},
    {plain, 1, "|1|bad|bad", &ed, KH_NOT_FOUND, 0, NULL},
    /* CRLF line ending, leading whitespace and mixed case */
    {plain, 1, "crlf.example", &ed, KH_MATCH, 18, NULL},
    {plain, 1, "mixed.example", &ed, KH_MATCH, 19, NULL},
};

static const struct kh_case hashed_cases[] = {
    {hashed, 1, "hashed.example", &ed, KH_MATCH, 1, "data/kh_hashed"},
    {hashed, 1, "Hashed.EXAMPLE", &ed, KH_MATCH, 0, NULL},
    {hashed, 1, "hashed.example", &ec256, KH_OTHER_TYPES, 0, NULL},
    {hashed, 1, "[hashed.example]:2200", &ec256, KH_MATCH, 2, NULL},
    {hashed, 1, "[hashed.example]:2201", &ec256, KH_NOT_FOUND, 0, NULL},
    {hashed, 1, "hashed2.example", &rsa, KH_MATCH, 3, NULL},
    {hashed, 1, "192.0.2.77", &rsa, KH_MATCH, 4, NULL},
    {hashed, 1, "192.0.2.77", &ed, KH_OTHER_TYPES, 0, NULL},
    {hashed, 1, "hashed3.example", &ed, KH_NOT_FOUND, 0, NULL},
};

static void test_plain(void)
{
	run_cases(plain_cases, sizeof(plain_cases) / sizeof(plain_cases[0]));
	/* missing files are skipped */
	{
		const char *f[] = {"data/kh_does_not_exist", "data/kh_plain"};
		CHECK_EQ_INT(chk(f, 2, "example.com", &ed), KH_MATCH);
		CHECK_EQ_INT(chk(f, 1, "example.com", &ed), KH_NOT_FOUND);
		CHECK_EQ_INT(chk(NULL, 0, "example.com", &ed), KH_NOT_FOUND);
	}
	/* a blob that is not a key blob */
	CHECK(known_hosts_check(
	          plain, 1, "example.com", (const uint8_t *)"\0\0\0\x09ssh", 7, &res) < 0);
	CHECK(known_hosts_check(plain, 1, "", ed.blob, ed.len, &res) < 0);
}

static void test_hashed(void)
{
	run_cases(hashed_cases, sizeof(hashed_cases) / sizeof(hashed_cases[0]));
}

static void test_types(void)
{
	static const struct {
		const char *const *files;
		size_t n;
		const char *name, *want;
	} rows[] = {
	    {.files = both,
	        .n = 2,
	        .name = "multi.example.org",
	        .want = "ssh-ed25519,ecdsa-sha2-nistp256,ssh-rsa"},
	    {.files = both,
	        .n = 2,
	        .name = "p384.example",
	        .want = "ecdsa-sha2-nistp384,ecdsa-sha2-nistp256"},
	    {.files = plain, .n = 1, .name = "revoked.example", .want = "ssh-ed25519"},
	    {.files = plain, .n = 1, .name = "nobody.example", .want = ""},
	    {.files = hashed,
	        .n = 1,
	        .name = "[hashed.example]:2200",
	        .want = "ecdsa-sha2-nistp256"},
	};
	char *s;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		s = known_hosts_types(rows[i].files, rows[i].n, rows[i].name);
		CHECK_STR(s, rows[i].want);
		free(s);
	}
}

static void test_add(void)
{
	static const struct {
		const char *name;
		int hash;
	} refused[] = {
	    {.name = "a b"},
	    {.name = "a,b"},
	    {.name = "*", .hash = 1},
	    {.name = "@revoked"},
	    {.name = "x\ny"},
	    {.name = ""},
	};
	size_t i;
	char dir[] = "/tmp/x509ssh-kh-XXXXXX";
	char sub[128], file[160], cmd[512];
	const char *files[1];
	struct stat st;
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(file, sizeof(file), "%s/known_hosts", sub);
	files[0] = file;

	CHECK_EQ_INT(chk(files, 1, "round.example", &ed), KH_NOT_FOUND);
	CHECK_EQ_INT(known_hosts_add(file, "Round.Example", ed.blob, ed.len, 0), 0);
	CHECK(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(t_file_contains(file, "round.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"));
	CHECK_EQ_INT(chk(files, 1, "round.example", &ed), KH_MATCH);
	CHECK_EQ_INT(res.line, 1);
	CHECK_EQ_INT(chk(files, 1, "round.example", &ed_b), KH_MISMATCH);

	CHECK_EQ_INT(known_hosts_add(file, "[round.example]:2022", ec256.blob, ec256.len, 1), 0);
	CHECK(t_file_contains(file, "\n|1|"));
	CHECK(!t_file_contains(file, "2022"));
	CHECK_EQ_INT(chk(files, 1, "[round.example]:2022", &ec256), KH_MATCH);
	CHECK_EQ_INT(res.line, 2);
	CHECK_EQ_INT(chk(files, 1, "round.example", &ec256), KH_OTHER_TYPES);
	/* OpenSSH finds our hashed entry too */
	if (access("/usr/bin/ssh-keygen", X_OK) == 0) {
		snprintf(cmd, sizeof(cmd),
		    "/usr/bin/ssh-keygen -F '[round.example]:2022' -f %s | grep -q "
		    "ecdsa-sha2-nistp256",
		    file);
		CHECK_EQ_INT(system(cmd), 0);
		snprintf(cmd, sizeof(cmd),
		    "/usr/bin/ssh-keygen -F '[round.example]:2023' -f %s >/dev/null", file);
		CHECK(system(cmd) != 0);
	}

	/* a file without a final newline gets one before the new line */
	f = fopen(file, "a");
	CHECK(f != NULL);
	if (f != NULL) {
		fputs("dangling.example ssh-ed25519", f);
		fclose(f);
	}
	CHECK_EQ_INT(known_hosts_add(file, "after.example", rsa.blob, rsa.len, 0), 0);
	CHECK_EQ_INT(chk(files, 1, "after.example", &rsa), KH_MATCH);
	CHECK_EQ_INT(res.line, 4);

	/* names that would change the meaning of the line are refused */
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		CHECK_MSG(
		    known_hosts_add(file, refused[i].name, ed.blob, ed.len, refused[i].hash) < 0,
		    "name '%s' (hashed %d) was written", refused[i].name, refused[i].hash);
	}
	CHECK(known_hosts_add(file, "ok.example", (const uint8_t *)"\0\0\0\x01", 4, 0) < 0);
	CHECK_EQ_INT(chk(files, 1, "a", &ed), KH_NOT_FOUND);

	/* the directory cannot be created */
	snprintf(cmd, sizeof(cmd), "%s/known_hosts/x/y", sub);
	CHECK_EQ_INT(known_hosts_add(cmd, "h", ed.blob, ed.len, 0), SSH_ERR_SYSTEM);

	unlink(file);
	rmdir(sub);
	rmdir(dir);
}

/* the sweep's input lives in a memfd (read back through /proc/self/fd/N): rewriting a file on
 * disk ~20000 times costs a minute of I/O on some file systems, a memfd costs nothing */
/* known_hosts_keep: each file read once (a line written behind the run's back is not seen, a
 * missing file stays missing), the run's own additions seen at once (after a last line without
 * a newline too), and off reads the files again */
static void test_keep(void)
{
	char dir[] = "/tmp/x509ssh-kh-XXXXXX";
	char file[160], later[160];
	const char *files[2];
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(file, sizeof(file), "%s/known_hosts", dir);
	snprintf(later, sizeof(later), "%s/created_later", dir);
	files[0] = file;
	files[1] = later;
	f = fopen(file, "w");
	CHECK(f != NULL);
	if (f == NULL) {
		return;
	}
	fputs("# no newline at the end", f);
	fclose(f);

	known_hosts_keep(1);
	CHECK_EQ_INT(chk(files, 2, "kept.example", &ed), KH_NOT_FOUND);
	CHECK_EQ_INT(known_hosts_add(file, "kept.example", ed.blob, ed.len, 0), 0);
	CHECK_EQ_INT(chk(files, 2, "kept.example", &ed), KH_MATCH);
	CHECK_EQ_INT(res.line, 2);
	/* written behind the run's back, to a kept file and to one that was missing */
	f = fopen(file, "a");
	CHECK(f != NULL);
	if (f != NULL) {
		fputs("behind.example * ", f);
		fclose(f);
	}
	CHECK_EQ_INT(known_hosts_add(later, "behind.example", ec256.blob, ec256.len, 0), 0);
	CHECK_EQ_INT(chk(files, 2, "behind.example", &ec256), KH_MATCH); /* the run's own */
	CHECK_EQ_INT(known_hosts_add(file, "other.example", ed_b.blob, ed_b.len, 0), 0);
	CHECK_EQ_INT(chk(files, 2, "other.example", &ed_b), KH_MATCH);
	CHECK_EQ_INT(res.line, 3); /* the line written behind its back is not in the copy */
	known_hosts_keep(0);
	CHECK_EQ_INT(chk(files, 2, "other.example", &ed_b), KH_MATCH);
	CHECK_EQ_INT(res.line, 4);
	CHECK_EQ_INT(chk(files, 2, "kept.example", &ed), KH_MATCH);
	unlink(file);
	unlink(later);
	rmdir(dir);
}

static int rewrite(int fd, const unsigned char *b, size_t n)
{
	if (ftruncate(fd, 0) != 0) {
		return -1;
	}
	return n == 0 || pwrite(fd, b, n, 0) == (ssize_t)n ? 0 : -1;
}

/* every result must be an error or consistent: a valid status, file/line inside the input */
static int consistent(const char *path, size_t nlines, const struct key *k, const char *name)
{
	const char *files[1] = {path};
	struct kh_result r;
	char *t;
	int ok = 1;

	if (known_hosts_check(files, 1, name, k->blob, k->len, &r) != 0) {
		return 1;
	}
	switch (r.status) {
	case KH_NOT_FOUND:
	case KH_OTHER_TYPES:
		break;
	case KH_MATCH:
	case KH_MISMATCH:
	case KH_REVOKED:
		ok = strcmp(r.file, path) == 0 && r.line >= 1 && r.line <= nlines;
		break;
	default:
		ok = 0;
	}
	if ((t = known_hosts_types(files, 1, name)) == NULL) {
		return 0;
	}
	free(t);
	return ok;
}

/* step 1 flips every bit; step 9 flips one bit per byte, a different one each time */
static void sweep_one(const char *fixture, const char *name, const struct key *k, size_t step)
{
	char path[64];
	unsigned char *orig, *mut;
	size_t len, i, nlines = 1, bad = 0;
	int fd = memfd_create("x509ssh-khmut", MFD_CLOEXEC);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	orig = t_slurp(fixture, &len);
	if (fd < 0 || orig == NULL || (mut = malloc(len + 1)) == NULL) {
		CHECK(0);
		if (fd >= 0) {
			close(fd);
		}
		free(orig);
		return;
	}
	for (i = 0; i < len; i++) {
		nlines += orig[i] == '\n';
	}
	/* the unmutated fixture, read back through the path, knows the key: the sweep reads what
	 * it wrote */
	{
		const char *files[1] = {path};

		CHECK_EQ_INT(rewrite(fd, orig, len), 0);
		CHECK_EQ_INT(chk(files, 1, name, k), KH_MATCH);
	}
	for (i = 0; i <= len; i = t_sweep_next(i, len + 1)) { /* every truncation */
		if (rewrite(fd, orig, i) != 0 || !consistent(path, nlines, k, name)) {
			bad++;
		}
	}
	for (i = 0; i < len * 8; /* single-bit flips */
	     i = step == 1 ? t_sweep_next_bit(i, len * 8) : t_sweep_next_by(i, len * 8, step)) {
		memcpy(mut, orig, len);
		mut[i / 8] ^= (unsigned char)(1u << (i % 8));
		if (rewrite(fd, mut, len) != 0 || !consistent(path, nlines, k, name)) {
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
	close(fd);
	free(mut);
	free(orig);
}

int main(void)
{
	CHECK_EQ_INT(load_pub("data/kh_ed25519.pub", &ed), 0);
	CHECK_EQ_INT(load_pub("data/kh_ed25519_b.pub", &ed_b), 0);
	CHECK_EQ_INT(load_pub("data/kh_ecdsa256.pub", &ec256), 0);
	CHECK_EQ_INT(load_pub("data/kh_ecdsa384.pub", &ec384), 0);
	CHECK_EQ_INT(load_pub("data/kh_rsa.pub", &rsa), 0);
	CHECK_EQ_INT(ed.len, 51);
	CHECK_EQ_INT(ec256.len, 104);

	test_b64();
	test_read_fd();
	test_hostname();
	test_plain();
	test_hashed();
	test_types();
	test_add();
	test_keep();
	sweep_one("data/kh_hashed", "hashed.example", &ed, 1);
	sweep_one("data/kh_second", "multi.example.org", &ed_b, 1);
	sweep_one("data/kh_plain", "multi.example.org", &ed, 9);
	T_DONE();
}
