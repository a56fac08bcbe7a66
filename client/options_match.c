/*
 * Match lines as ssh_config(5) of OpenSSH 10.2 defines them: all, canonical, final, exec, host,
 * originalhost, user, localuser, localnetwork, tagged, version, sessiontype, command; each may
 * be negated with '!', all of a line must hold. One table row per criterion that takes an
 * argument.
 */
#include "options_match.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "namelist.h"
#include "paths.h"

#define MATCH_MAX_EXPANDED (64 * 1024) /* longest exec command after the tokens */
#define MATCH_MAX_CIDR     64          /* longest "address/bits" */
#define MATCH_MAX_WORD     32          /* longest criterion name before '=' */

/* what the criteria compare against, computed once per line */
struct mctx {
	const struct options *o;
	const char *host;  /* HostName expanded, else the host as given */
	const char *ruser; /* User, else the local user */
	const char *where; /* FILE:LINE */
};

/* one %-token and its value */
struct token {
	char c;
	const char *v;
};

/*
 * Copy in to *out replacing %c by the value of token c and %% by %; an unknown token is an
 * error when strict, else copied as it is. malloc'd.
 */
static int expand_tokens(const char *in, const struct token *t, size_t nt, int strict, char **out,
    char *err, size_t errlen)
{
	struct buf b;
	const char *p;
	size_t i;
	int r = 0;

	*out = NULL;
	buf_init(&b);
	buf_set_max(&b, MATCH_MAX_EXPANDED);
	for (p = in; *p != '\0' && r == 0; p++) {
		if (*p != '%') {
			r = buf_put_u8(&b, (uint8_t)*p);
			continue;
		}
		if (p[1] == '%') {
			r = buf_put_u8(&b, '%');
			p++;
			continue;
		}
		for (i = 0; i < nt && t[i].c != p[1]; i++) {
		}
		if (i < nt && p[1] != '\0') {
			r = buf_put(&b, t[i].v, strlen(t[i].v));
			p++;
		} else if (strict) {
			errfmt(err, errlen, "unknown token '%%%.1s' in '%.100s'", p + 1, in);
			r = SSH_ERR_FORMAT;
			goto out;
		} else {
			r = buf_put_u8(&b, '%');
		}
	}
	if (r == 0) {
		r = buf_put_u8(&b, '\0');
	}
	if (r != 0) {
		errfmt(err, errlen, "%s", r == SSH_ERR_ALLOC ? "out of memory" : "line too long");
		goto out;
	}
	if ((*out = strdup((const char *)buf_ptr(&b))) == NULL) {
		errfmt(err, errlen, "out of memory");
		r = SSH_ERR_ALLOC;
	}
out:
	buf_free(&b);
	return r;
}

char *options_match_host(const struct options *o)
{
	struct token t[] = {{'h', o->host != NULL ? o->host : ""}};
	char *out = NULL;

	if (o->hostname == NULL) {
		return strdup(o->host != NULL ? o->host : "");
	}
	if (expand_tokens(o->hostname, t, 1, 0, &out, NULL, 0) != 0) {
		return NULL;
	}
	return out;
}

/* ---- the pattern criteria ---- */

static int list_match(const char *s, const char *arg, int nocase)
{
	if (arg[0] == '\0') {
		return s[0] == '\0'; /* Match tagged "" / command "": none given */
	}
	return namelist_match_patterns(s, arg, nocase) == 1;
}

static int c_host(const struct mctx *m, const char *arg, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return list_match(m->host, arg, 1);
}

static int c_originalhost(const struct mctx *m, const char *arg, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return list_match(m->o->host != NULL ? m->o->host : "", arg, 1);
}

static int c_user(const struct mctx *m, const char *arg, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return list_match(m->ruser, arg, 0);
}

static int c_localuser(const struct mctx *m, const char *arg, char *err, size_t errlen)
{
	const char *u = paths_local_user();

	(void)m;
	(void)err;
	(void)errlen;
	return list_match(u != NULL ? u : "", arg, 0);
}

static int c_tagged(const struct mctx *m, const char *arg, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return list_match(m->o->tag != NULL ? m->o->tag : "", arg, 0);
}

static int c_command(const struct mctx *m, const char *arg, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return list_match(m->o->command != NULL ? m->o->command : "", arg, 0);
}

static int c_version(const struct mctx *m, const char *arg, char *err, size_t errlen)
{
	(void)m;
	(void)err;
	(void)errlen;
	return list_match(OPTIONS_MATCH_VERSION, arg, 0);
}

static int c_sessiontype(const struct mctx *m, const char *arg, char *err, size_t errlen)
{
	const char *t;

	(void)err;
	(void)errlen;
	if (m->o->session_type == SESSION_SUBSYSTEM) {
		t = "subsystem";
	} else if (m->o->session_type == SESSION_NONE) {
		t = "none";
	} else if (m->o->command != NULL && m->o->command[0] != '\0') {
		t = "exec";
	} else {
		t = "shell";
	}
	return list_match(t, arg, 0);
}

/* ---- localnetwork ---- */

struct cidr {
	int af;
	uint8_t addr[16];
	unsigned bits;
};

/* "address[/bits]" (IPv4 or IPv6), as OpenSSH's CIDR lists; no negation */
static int parse_cidr(const char *s, size_t n, struct cidr *c)
{
	char buf[MATCH_MAX_CIDR];
	char *slash;
	unsigned max;

	memset(c, 0, sizeof(*c));
	if (n == 0 || n >= sizeof(buf)) {
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash++ = '\0';
	}
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->af = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->af = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	c->bits = max;
	if (slash != NULL) {
		unsigned v = 0;
		if (*slash == '\0' || strlen(slash) > 3) {
			return -1;
		}
		for (; *slash != '\0'; slash++) {
			if (*slash < '0' || *slash > '9') {
				return -1;
			}
			v = v * 10 + (unsigned)(*slash - '0');
		}
		if (v > max) {
			return -1;
		}
		c->bits = v;
	}
	return 0;
}

static int cidr_has(const struct cidr *c, int af, const uint8_t *a)
{
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (af != c->af || memcmp(c->addr, a, full) != 0) {
		return 0;
	}
	if (rest == 0) {
		return 1;
	}
	return ((c->addr[full] ^ a[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

/* 1 if the address is in one of the networks of the (checked) list */
static int in_list(const char *list, int af, const uint8_t *a)
{
	struct namelist_iter it;
	struct cidr c;
	const char *el;
	size_t n;

	namelist_begin(&it, list);
	while (namelist_next(&it, &el, &n)) {
		if (parse_cidr(el, n, &c) == 0 && cidr_has(&c, af, a)) {
			return 1;
		}
	}
	return 0;
}

static int c_localnetwork(const struct mctx *m, const char *arg, char *err, size_t errlen)
{
	struct ifaddrs *ifs = NULL, *i;
	struct namelist_iter it;
	struct cidr c;
	const char *el;
	size_t n, count = 0;
	int found = 0;

	namelist_begin(&it, arg);
	while (namelist_next(&it, &el, &n)) {
		if (parse_cidr(el, n, &c) != 0) {
			errfmt(err, errlen, "bad network '%.*s' for Match localnetwork",
			    (int)(n < 100 ? n : 100), el);
			return SSH_ERR_FORMAT;
		}
		count++;
	}
	if (count == 0) {
		errfmt(err, errlen, "Match localnetwork needs a network list");
		return SSH_ERR_FORMAT;
	}
	if (getifaddrs(&ifs) != 0) {
		log_error("%s: Match localnetwork: cannot list the local addresses: %s", m->where,
		    strerror(errno));
		return 0;
	}
	for (i = ifs; i != NULL && !found; i = i->ifa_next) {
		const uint8_t *a;
		int af;
		if (i->ifa_addr == NULL || (i->ifa_flags & IFF_UP) == 0) {
			continue;
		}
		af = i->ifa_addr->sa_family;
		if (af == AF_INET) {
			a = (const uint8_t *)&(
			    (const struct sockaddr_in *)(const void *)i->ifa_addr)
			        ->sin_addr;
		} else if (af == AF_INET6) {
			a = (const uint8_t *)&(
			    (const struct sockaddr_in6 *)(const void *)i->ifa_addr)
			        ->sin6_addr;
		} else {
			continue;
		}
		if (in_list(arg, af, a)) {
			log_debug3(
			    "%s: interface %s has an address in %s", m->where, i->ifa_name, arg);
			found = 1;
		}
	}
	freeifaddrs(ifs);
	return found;
}

/* ---- exec ---- */

/* %C: the SHA-1 of %l%h%p%r%j in hex, as OpenSSH's connection hash */
static int conn_hash(
    const char *l, const char *h, const char *p, const char *r, const char *j, char out[2 * 20 + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0, i;
	char *cat = NULL;
	int ret = 0;

	if (asprintf(&cat, "%s%s%s%s%s", l, h, p, r, j) < 0) {
		return SSH_ERR_ALLOC;
	}
	if (EVP_Q_digest(NULL, "SHA1", NULL, cat, strlen(cat), md, &mdlen) != 1 || mdlen != 20) {
		ret = SSH_ERR_LIBCRYPTO;
	}
	free(cat);
	for (i = 0; ret == 0 && i < mdlen; i++) {
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	}
	return ret;
}

/* run cmd with the user's shell as OpenSSH does ($SHELL, else /bin/sh; stdin and stdout on
 * /dev/null); its exit status, or an error when it could not run or did not exit */
static int run_shell(const char *cmd, char *err, size_t errlen)
{
	const char *shell = getenv("SHELL");
	char *argv[4];
	pid_t pid;
	int status = 0, fd;

	if (shell == NULL || shell[0] == '\0') {
		shell = "/bin/sh";
	}
	if (access(shell, X_OK) != 0) {
		errfmt(err, errlen, "shell '%.100s' is not executable: %s", shell, strerror(errno));
		return SSH_ERR_SYSTEM;
	}
	log_debug1("Executing command: '%.500s'", cmd);
	if ((pid = fork()) < 0) {
		errfmt(err, errlen, "cannot run Match exec: %s", strerror(errno));
		return SSH_ERR_SYSTEM;
	}
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) < 0 || dup2(fd, STDIN_FILENO) < 0 ||
		    dup2(fd, STDOUT_FILENO) < 0) {
			_exit(127);
		}
		closefrom(STDERR_FILENO + 1);
		argv[0] = (char *)(uintptr_t)shell;
		argv[1] = (char *)(uintptr_t) "-c";
		argv[2] = (char *)(uintptr_t)cmd;
		argv[3] = NULL;
		execv(shell, argv);
		/* die by a signal: the parent tells "could not run" from an exit status */
		signal(SIGTERM, SIG_DFL);
		raise(SIGTERM);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			errfmt(err, errlen, "Match exec: %s", strerror(errno));
			return SSH_ERR_SYSTEM;
		}
	}
	if (!WIFEXITED(status)) {
		errfmt(err, errlen, "Match exec '%.100s' did not exit normally", cmd);
		return SSH_ERR_SYSTEM;
	}
	log_debug3("command returned status %d", WEXITSTATUS(status));
	return WEXITSTATUS(status);
}

static int c_exec(const struct mctx *m, const char *arg, char *err, size_t errlen)
{
	char lhost[256], shost[256], port[16], uid[32], hash[41];
	const char *lu = paths_local_user();
	const char *kalias = m->o->host_key_alias != NULL ? m->o->host_key_alias : m->host;
	char *cmd = NULL;
	int r;

	if (gethostname(lhost, sizeof(lhost)) != 0) {
		lhost[0] = '\0';
	}
	lhost[sizeof(lhost) - 1] = '\0';
	memcpy(shost, lhost, sizeof(shost));
	shost[strcspn(shost, ".")] = '\0';
	snprintf(port, sizeof(port), "%d", m->o->port > 0 ? m->o->port : 22);
	snprintf(uid, sizeof(uid), "%llu", (unsigned long long)getuid());
	const char *jump = m->o->proxy_jump != NULL ? m->o->proxy_jump : "";
	if ((r = conn_hash(lhost, m->host, port, m->ruser, jump, hash)) != 0) {
		errfmt(err, errlen, "Match exec: cannot hash the connection");
		return r;
	}
	{
		const struct token t[] = {{'C', hash}, {'L', shost}, {'d', paths_home()},
		    {'h', m->host}, {'i', uid}, {'j', jump}, {'k', kalias}, {'l', lhost},
		    {'n', m->o->host != NULL ? m->o->host : ""}, {'p', port}, {'r', m->ruser},
		    {'u', lu != NULL ? lu : ""}};
		if ((r = expand_tokens(arg, t, sizeof(t) / sizeof(t[0]), 1, &cmd, err, errlen)) !=
		    0) {
			return r;
		}
	}
	r = run_shell(cmd, err, errlen);
	free(cmd);
	return r < 0 ? r : r == 0;
}

/* ---- the line ---- */

static const struct criterion {
	const char *name;
	int (*fn)(const struct mctx *m, const char *arg, char *err, size_t errlen);
	int empty_ok;   /* "" is an argument: matches when there is none */
	int only_if_ok; /* not evaluated once an earlier criterion failed (exec) */
} criteria[] = {
    {"host", c_host, 0, 0},
    {"originalhost", c_originalhost, 0, 0},
    {"user", c_user, 0, 0},
    {"localuser", c_localuser, 0, 0},
    {"localnetwork", c_localnetwork, 0, 0},
    {"tagged", c_tagged, 1, 0},
    {"command", c_command, 1, 0},
    {"version", c_version, 0, 0},
    {"sessiontype", c_sessiontype, 0, 0},
    {"exec", c_exec, 0, 1},
};

static const struct criterion *find_criterion(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(criteria) / sizeof(criteria[0]); i++) {
		if (strcasecmp(criteria[i].name, name) == 0) {
			return &criteria[i];
		}
	}
	return NULL;
}

int options_match_line(const struct options *o, const struct args *a, struct cfg_pass *pass,
    const char *where, int *result, char *err, size_t errlen)
{
	const struct criterion *c;
	struct mctx m;
	char *host = NULL;
	const char *lu;
	size_t i = 1, attributes = 0;
	int all = 1, r = 0;

	*result = 0;
	if (a->n < 2) {
		errfmt(err, errlen, "Match needs a criterion");
		return SSH_ERR_FORMAT;
	}
	if ((host = options_match_host(o)) == NULL) {
		errfmt(err, errlen, "out of memory");
		return SSH_ERR_ALLOC;
	}
	lu = paths_local_user();
	m.o = o;
	m.host = host;
	m.ruser = o->user != NULL ? o->user : (lu != NULL ? lu : "");
	m.where = where;
	while (i < a->n) {
		const char *attr = a->v[i++], *name, *arg, *eq;
		char word[MATCH_MAX_WORD];
		int neg = attr[0] == '!', hit;

		name = neg ? attr + 1 : attr;
		/* "criterion=argument" is the same as "criterion argument" */
		if ((eq = strchr(name, '=')) != NULL) {
			if ((size_t)(eq - name) >= sizeof(word)) {
				errfmt(err, errlen, "unsupported Match criterion '%.100s'", attr);
				r = SSH_ERR_FORMAT;
				goto out;
			}
			memcpy(word, name, (size_t)(eq - name));
			word[eq - name] = '\0';
			name = word;
		}
		if (strcasecmp(name, "all") == 0) {
			/* alone, or after one criterion ("Match canonical all") */
			if (attributes > 1 || i < a->n) {
				errfmt(err, errlen,
				    "Match all cannot be combined with other criteria");
				r = SSH_ERR_FORMAT;
				goto out;
			}
			if (all) {
				all = !neg;
			}
			break;
		}
		attributes++;
		if (strcasecmp(name, "canonical") == 0 || strcasecmp(name, "final") == 0) {
			if (!neg && strcasecmp(name, "final") == 0) {
				pass->want_final = 1;
			}
			hit = pass->final;
			if (hit == neg) {
				all = 0;
			}
			log_debug3("%s: %smatched '%s'", where, hit != neg ? "" : "not ", attr);
			continue;
		}
		if ((c = find_criterion(name)) == NULL) {
			errfmt(err, errlen, "unsupported Match criterion '%.100s'", attr);
			r = SSH_ERR_FORMAT;
			goto out;
		}
		if (eq != NULL) {
			arg = eq + 1;
		} else if (i < a->n) {
			arg = a->v[i++];
		} else {
			arg = NULL;
		}
		if (arg == NULL || (arg[0] == '\0' && !c->empty_ok)) {
			errfmt(err, errlen, "Match %s needs an argument", c->name);
			r = SSH_ERR_FORMAT;
			goto out;
		}
		if (c->only_if_ok && !all) {
			log_debug3("%s: skipped %s \"%.100s\"", where, c->name, arg);
			continue;
		}
		if ((hit = c->fn(&m, arg, err, errlen)) < 0) {
			r = hit;
			goto out;
		}
		if (hit == neg) {
			all = 0;
		}
		log_debug3(
		    "%s: %smatched '%s \"%.100s\"'", where, hit != neg ? "" : "not ", attr, arg);
	}
	*result = all;
	log_debug2("%s: match %sfound", where, all ? "" : "not ");
out:
	free(host);
	return r;
}
