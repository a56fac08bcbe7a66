/*
 * OpenSSH known_hosts files: lookup (plain and hashed names, patterns, @revoked), the list of
 * known key types for a host, and appending a new line.
 */
#include "textfile.h"
#include "known_hosts.h"
#include "known_hosts_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "buf.h"
#include "err.h"
#include "namelist.h"

#define KH_MAX_LINE   (16 * 1024) /* longer lines are skipped */
#define KH_MAX_NAME   1024        /* host name as looked up / written */
#define KH_MAX_TYPE   64          /* key type name */
#define KH_SALT_LEN   20          /* OpenSSH: salt and hash are both SHA-1 sized */
#define KH_HASH_LEN   20
#define KH_HASH_MAGIC "|1|"

/* ---- helpers ---- */

/* The key type at the start of a key blob (a string of printable non-space ASCII). */
static int blob_type(const uint8_t *blob, size_t len, char *out, size_t outlen)
{
	struct rd r = rd_make(blob, len);
	const uint8_t *t = NULL;
	size_t tlen = 0, i;
	int ret;

	out[0] = '\0';
	if ((ret = rd_string(&r, &t, &tlen)) != 0) {
		return ret;
	}
	if (tlen == 0 || tlen > KH_MAX_TYPE || tlen >= outlen) {
		return SSH_ERR_FORMAT;
	}
	for (i = 0; i < tlen; i++) {
		if (t[i] <= 0x20 || t[i] >= 0x7f) {
			return SSH_ERR_FORMAT;
		}
	}
	memcpy(out, t, tlen);
	out[tlen] = '\0';
	return 0;
}

static int lower_name(const char *name, char *out, size_t outlen)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= outlen) {
		return SSH_ERR_TOO_LARGE;
	}
	for (i = 0; i <= n; i++) {
		char c = name[i];
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	return 0;
}

static int hash_name(
    const uint8_t *salt, size_t saltlen, const char *name, uint8_t out[KH_HASH_LEN])
{
	size_t outlen = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, salt, saltlen, (const unsigned char *)name,
	        strlen(name), out, KH_HASH_LEN, &outlen) == NULL ||
	    outlen != KH_HASH_LEN) {
		return SSH_ERR_LIBCRYPTO;
	}
	return 0;
}

/* 1 if the host field (pattern list or |1|salt|hash) names lname, 0 if not, negative on error */
static int host_matches(const char *field, const char *lname)
{
	uint8_t *salt = NULL, *want = NULL;
	uint8_t got[KH_HASH_LEN];
	size_t saltlen = 0, wantlen = 0;
	const char *s, *bar;
	int r = 0;

	if (strncmp(field, KH_HASH_MAGIC, strlen(KH_HASH_MAGIC)) != 0) {
		if (field[0] == '|') {
			return 0; /* another hash scheme: not ours */
		}
		return namelist_match_patterns(lname, field, 1) == 1;
	}
	s = field + strlen(KH_HASH_MAGIC);
	if ((bar = strchr(s, '|')) == NULL) {
		goto out;
	}
	if (textfile_b64_decode(s, (size_t)(bar - s), &salt, &saltlen) != 0 ||
	    saltlen != KH_SALT_LEN) {
		goto out;
	}
	if (textfile_b64_decode(bar + 1, strlen(bar + 1), &want, &wantlen) != 0 ||
	    wantlen != KH_HASH_LEN) {
		goto out;
	}
	if ((r = hash_name(salt, saltlen, lname, got)) != 0) {
		goto out;
	}
	r = CRYPTO_memcmp(got, want, KH_HASH_LEN) == 0;
out:
	free(salt);
	free(want);
	return r;
}

static char *next_token(char **pp)
{
	char *p = *pp, *start;

	while (*p == ' ' || *p == '\t') {
		p++;
	}
	if (*p == '\0') {
		*pp = p;
		return NULL;
	}
	start = p;
	while (*p != '\0' && *p != ' ' && *p != '\t') {
		p++;
	}
	if (*p != '\0') {
		*p++ = '\0';
	}
	*pp = p;
	return start;
}

struct kh_entry {
	const char *file;
	unsigned long line;
	int revoked;
	const char *type;
	const uint8_t *blob;
	size_t bloblen;
};

typedef int (*kh_cb)(const struct kh_entry *e, void *ctx);

/* Call cb for every well-formed line of every readable file whose host field names lname. */
static int kh_foreach(
    const char *const *files, size_t nfiles, const char *lname, kh_cb cb, void *ctx)
{
	FILE *fp = NULL;
	char *line = NULL;
	uint8_t *kblob = NULL;
	size_t i;
	int r = 0;

	if ((line = malloc(KH_MAX_LINE + 1)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	for (i = 0; i < nfiles; i++) {
		unsigned long lineno = 0;
		int bad = 0;

		if (files == NULL || files[i] == NULL ||
		    (!kh_keep_open(files[i], &fp) && (fp = fopen(files[i], "re")) == NULL) ||
		    fp == NULL) {
			continue; /* missing or unreadable files are skipped */
		}
		while (textfile_read_line(fp, line, KH_MAX_LINE + 1, &bad)) {
			struct kh_entry e;
			char ktype[KH_MAX_TYPE + 1];
			char *p = line, *hosts, *type, *b64;
			size_t kbloblen = 0, len;
			int m;

			lineno++;
			if (bad) {
				continue;
			}
			len = strlen(line);
			if (len > 0 && line[len - 1] == '\r') {
				line[--len] = '\0';
			}
			memset(&e, 0, sizeof(e));
			if ((hosts = next_token(&p)) == NULL || hosts[0] == '#') {
				continue;
			}
			if (hosts[0] == '@') {
				if (strcmp(hosts, "@revoked") != 0) {
					continue; /* @cert-authority and unknown markers */
				}
				e.revoked = 1;
				if ((hosts = next_token(&p)) == NULL) {
					continue;
				}
			}
			if ((type = next_token(&p)) == NULL || (b64 = next_token(&p)) == NULL) {
				continue;
			}
			if ((m = host_matches(hosts, lname)) < 0) {
				r = m;
				goto out;
			}
			if (m == 0) {
				continue;
			}
			free(kblob);
			kblob = NULL;
			if ((m = textfile_b64_decode(b64, strlen(b64), &kblob, &kbloblen)) != 0) {
				if (m == SSH_ERR_ALLOC) {
					r = m;
					goto out;
				}
				continue;
			}
			if (blob_type(kblob, kbloblen, ktype, sizeof(ktype)) != 0 ||
			    strcmp(ktype, type) != 0) {
				continue;
			}
			e.file = files[i];
			e.line = lineno;
			e.type = ktype;
			e.blob = kblob;
			e.bloblen = kbloblen;
			if ((r = cb(&e, ctx)) != 0) {
				goto out;
			}
		}
		fclose(fp);
		fp = NULL;
	}
out:
	if (fp != NULL) {
		fclose(fp);
	}
	free(kblob);
	free(line);
	return r;
}

/* ---- lookup ---- */

struct check_ctx {
	const uint8_t *blob;
	size_t bloblen;
	const char *type;
	int revoked, match, mismatch, other;
	struct kh_result rev_at, match_at, mismatch_at;
};

static void set_where(struct kh_result *res, const struct kh_entry *e)
{
	snprintf(res->file, sizeof(res->file), "%s", e->file);
	res->line = e->line;
}

static int check_cb(const struct kh_entry *e, void *vctx)
{
	struct check_ctx *c = vctx;
	int same = e->bloblen == c->bloblen && memcmp(e->blob, c->blob, c->bloblen) == 0;

	if (e->revoked) {
		if (same && !c->revoked) {
			c->revoked = 1;
			set_where(&c->rev_at, e);
		}
		return 0;
	}
	if (strcmp(e->type, c->type) != 0) {
		c->other = 1;
	} else if (same) {
		if (!c->match) {
			c->match = 1;
			set_where(&c->match_at, e);
		}
	} else if (!c->mismatch) {
		c->mismatch = 1;
		set_where(&c->mismatch_at, e);
	}
	return 0;
}

int known_hosts_check(const char *const *files, size_t nfiles, const char *khname,
    const uint8_t *blob, size_t bloblen, struct kh_result *res)
{
	struct check_ctx c;
	char lname[KH_MAX_NAME + 1];
	char type[KH_MAX_TYPE + 1];
	int r;

	if (res == NULL) {
		return SSH_ERR_INTERNAL;
	}
	memset(res, 0, sizeof(*res));
	res->status = KH_NOT_FOUND;
	if (khname == NULL || blob == NULL || (files == NULL && nfiles > 0)) {
		return SSH_ERR_INTERNAL;
	}
	if ((r = lower_name(khname, lname, sizeof(lname))) != 0) {
		return r;
	}
	if ((r = blob_type(blob, bloblen, type, sizeof(type))) != 0) {
		return r;
	}
	memset(&c, 0, sizeof(c));
	c.blob = blob;
	c.bloblen = bloblen;
	c.type = type;
	if ((r = kh_foreach(files, nfiles, lname, check_cb, &c)) != 0) {
		return r;
	}
	if (c.revoked) {
		*res = c.rev_at;
		res->status = KH_REVOKED;
	} else if (c.match) {
		*res = c.match_at;
		res->status = KH_MATCH;
	} else if (c.mismatch) {
		*res = c.mismatch_at;
		res->status = KH_MISMATCH;
	} else if (c.other) {
		res->status = KH_OTHER_TYPES;
	}
	return 0;
}

/* ---- known types ---- */

/* the distinct key types of the matching lines, a name list in *vctx (char *) */
static int types_cb(const struct kh_entry *e, void *vctx)
{
	char **list = vctx;

	if (e->revoked) {
		return 0;
	}
	return namelist_add(list, e->type, strlen(e->type));
}

char *known_hosts_types(const char *const *files, size_t nfiles, const char *khname)
{
	char lname[KH_MAX_NAME + 1];
	char *list = NULL;

	if (khname == NULL || (files == NULL && nfiles > 0) ||
	    lower_name(khname, lname, sizeof(lname)) != 0) {
		return NULL;
	}
	if (kh_foreach(files, nfiles, lname, types_cb, &list) != 0) {
		free(list);
		return NULL;
	}
	return list != NULL ? list : strdup("");
}

/* ---- names and adding ---- */

int known_hosts_hostname(const char *host, int port, char *out, size_t outlen)
{
	int n;

	if (host == NULL || out == NULL || outlen == 0) {
		return SSH_ERR_INTERNAL;
	}
	if (port <= 0 || port == 22) {
		n = snprintf(out, outlen, "%s", host);
	} else {
		n = snprintf(out, outlen, "[%s]:%d", host, port);
	}
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return SSH_ERR_TOO_LARGE;
	}
	return 0;
}

/* a name we may write: no whitespace, control bytes, list or pattern characters, markers */
static int name_ok(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	if (*p == '\0' || *p == '@' || *p == '|' || *p == '#') {
		return 0;
	}
	for (; *p != '\0'; p++) {
		if (*p <= 0x20 || *p == 0x7f || strchr(",*?!", *p) != NULL) {
			return 0;
		}
	}
	return 1;
}

static int make_parent_dir(const char *file)
{
	struct stat st;
	char *dir = NULL, *slash;
	int r = 0;

	if ((dir = strdup(file)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir) {
		goto out; /* current directory or root */
	}
	*slash = '\0';
	if (stat(dir, &st) == 0) {
		goto out;
	}
	if (errno != ENOENT || (mkdir(dir, 0700) != 0 && errno != EEXIST)) {
		r = SSH_ERR_SYSTEM;
	}
out:
	free(dir);
	return r;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			return SSH_ERR_SYSTEM;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int known_hosts_add(
    const char *file, const char *khname, const uint8_t *blob, size_t bloblen, int hash)
{
	struct buf line;
	struct stat st;
	char lname[KH_MAX_NAME + 1];
	char type[KH_MAX_TYPE + 1];
	uint8_t salt[KH_SALT_LEN], mac[KH_HASH_LEN];
	char *b64 = NULL, *b64salt = NULL, *b64mac = NULL;
	int fd = -1, r, saved;

	buf_init(&line);
	if (file == NULL || khname == NULL || blob == NULL) {
		r = SSH_ERR_INTERNAL;
		goto out;
	}
	if ((r = lower_name(khname, lname, sizeof(lname))) != 0) {
		goto out;
	}
	if (!name_ok(lname)) {
		r = SSH_ERR_FORMAT;
		goto out;
	}
	if ((r = blob_type(blob, bloblen, type, sizeof(type))) != 0) {
		goto out;
	}
	if (bloblen > KH_MAX_LINE || (b64 = textfile_b64_encode(blob, bloblen)) == NULL) {
		r = SSH_ERR_TOO_LARGE;
		goto out;
	}
	if (hash) {
		if (RAND_bytes(salt, sizeof(salt)) != 1) {
			r = SSH_ERR_LIBCRYPTO;
			goto out;
		}
		if ((r = hash_name(salt, sizeof(salt), lname, mac)) != 0) {
			goto out;
		}
		if ((b64salt = textfile_b64_encode(salt, sizeof(salt))) == NULL ||
		    (b64mac = textfile_b64_encode(mac, sizeof(mac))) == NULL) {
			r = SSH_ERR_ALLOC;
			goto out;
		}
		if ((r = buf_put(&line, KH_HASH_MAGIC, strlen(KH_HASH_MAGIC))) != 0 ||
		    (r = buf_put(&line, b64salt, strlen(b64salt))) != 0 ||
		    (r = buf_put_u8(&line, '|')) != 0 ||
		    (r = buf_put(&line, b64mac, strlen(b64mac))) != 0) {
			goto out;
		}
	} else if ((r = buf_put(&line, lname, strlen(lname))) != 0) {
		goto out;
	}
	if ((r = buf_put_u8(&line, ' ')) != 0 || (r = buf_put(&line, type, strlen(type))) != 0 ||
	    (r = buf_put_u8(&line, ' ')) != 0 || (r = buf_put(&line, b64, strlen(b64))) != 0 ||
	    (r = buf_put_u8(&line, '\n')) != 0) {
		goto out;
	}
	if ((r = make_parent_dir(file)) != 0) {
		goto out;
	}
	/* the lock keeps the newline check and the line of one writer together when several
	 * clients (a fleet run beside an xargs loop) append at once; released by close() */
	if ((fd = open(file, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    flock(fd, LOCK_EX) != 0 || fstat(fd, &st) != 0) {
		r = SSH_ERR_SYSTEM;
		goto out;
	}
	if (st.st_size > 0) {
		char last = '\n';
		if (pread(fd, &last, 1, st.st_size - 1) != 1) {
			r = SSH_ERR_SYSTEM;
			goto out;
		}
		if (last != '\n' && (r = write_all(fd, (const uint8_t *)"\n", 1)) != 0) {
			goto out;
		}
	}
	if ((r = write_all(fd, buf_ptr(&line), buf_len(&line))) != 0) {
		goto out;
	}
	if (fsync(fd) != 0) {
		r = SSH_ERR_SYSTEM;
		goto out;
	}
	r = close(fd) == 0 ? 0 : SSH_ERR_SYSTEM;
	fd = -1;
	if (r == 0) {
		kh_keep_append(file, (const char *)buf_ptr(&line), buf_len(&line));
	}
out:
	saved = errno;
	if (fd >= 0) {
		close(fd);
	}
	OPENSSL_cleanse(salt, sizeof(salt));
	free(b64);
	free(b64salt);
	free(b64mac);
	buf_free(&line);
	errno = saved;
	return r;
}
