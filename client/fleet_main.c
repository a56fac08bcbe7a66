/*
 * x509ssh-fleet: one command on many hosts from one process (x509ssh-fleet(1)). Each host's
 * options resolve as x509ssh's would for it (fleet_host.c); one poll loop drives them all
 * (fleet_run.c); what each host did is printed as a status line, its output inline or gathered
 * (-b), or JSON Lines (--json), with the run's exit status: 0 all ok, 255 when any host gave
 * no result (unreachable, untrusted, not authenticated...), else 3 (a command killed by a
 * signal) or 4 (a command exited non-zero).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cmdline.h"
#include "p11.h"
#include "fleet_main.h"
#include "fleet_host.h"
#include "fleet_run.h"
#include "gather.h"
#include "hostlist.h"
#include "identity.h"
#include "known_hosts.h"
#include "log.h"
#include "report.h"
#include "textfile.h"
#include "trust_x509.h"

void fleet_fail(const char *category, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "x509ssh-fleet: %s: ", category);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void fleet_usage(void)
{
	fprintf(stderr,
	    "usage: x509ssh-fleet [-46bqv] [-F configfile] [-I pkcs11-uri | module] [-i identity]\n"
	    "           [-l login] [-o Option=value] [-p port] [-j parallel] [-t seconds]\n"
	    "           [-h hosts-file] [-H destination]... [--json] [--inline] [--outdir dir]\n"
	    "           [--errdir dir] [--stdin file] [--rate n] [--max-output bytes] [--shell]\n"
	    "           -- command [argument ...]\n");
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- reading files ---- */

static int read_all(const char *path, char **out, size_t *len, size_t max)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC), r, e;

	*out = NULL;
	*len = 0;
	if (fd < 0) {
		return -1;
	}
	r = textfile_read_fd(fd, max, out, len);
	e = errno;
	if (fd != STDIN_FILENO) {
		close(fd);
	}
	errno = e;
	return r;
}

/* ---- the hosts' callbacks ---- */

/* a host's file in --outdir / --errdir: its destination as written, '/' replaced */
static int open_host_file(const char *dir, const char *text)
{
	char path[4096], name[1100];
	size_t i;

	for (i = 0; text[i] != '\0' && i + 1 < sizeof(name); i++) {
		name[i] = text[i] == '/' ? '_' : text[i];
	}
	name[i] = '\0';
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

/* the token configuration of o as a key ("" when it names no token) */
static void token_key(const struct options *o, struct fleet_sb *k)
{
	if (o->pkcs11_provider != NULL) {
		fleet_sb_printf(k, "%s\n", o->pkcs11_provider);
	}
	for (size_t i = 0; i < o->n_identity_file && !o->identity_file_default; i++) {
		if (strncmp(o->identity_file[i], "pkcs11:", 7) == 0) {
			fleet_sb_printf(k, "%s\n", o->identity_file[i]);
		}
	}
}

/* keep one identity list per distinct token configuration for the whole run */
static void keep_tokens(struct fleet *f, const struct options *o)
{
	struct fleet_sb k = FLEET_SB_INIT;
	char err[512];
	size_t i;

	token_key(o, &k);
	if (k.err || k.len == 0) {
		goto out;
	}
	for (i = 0; i < KEEP_IDS_MAX && f->keep_key[i] != NULL; i++) {
		if (strcmp(f->keep_key[i], k.p) == 0) {
			goto out;
		}
	}
	if (i == KEEP_IDS_MAX || identities_new(o, &f->keep_ids[i], err, sizeof(err)) != 0) {
		goto out;
	}
	f->keep_key[i] = k.p;
	k.p = NULL;
out:
	fleet_sb_free(&k);
}

/*
 * Before the first connection, every host is resolved once and the key files it names are
 * loaded (an encrypted one's passphrase asked, once for the run): a prompt then never stops the
 * loop while other hosts are connected (a host that starts later with a key of its own would
 * otherwise be asked for it with the others waiting). A host that does not resolve is left to
 * its turn, which reports it; token lists are kept as its turn keeps them.
 */
static void unlock_keys_first(struct fleet *f)
{
	struct fleet_host_state h;
	char err[512];

	for (size_t i = 0; i < f->hl.n; i++) {
		const struct fleet_dest *d = &f->hl.dest[i];

		memset(&h, 0, sizeof(h));
		h.out.fd = h.err.fd = -1;
		if (fleet_host_prepare(&h, &f->hc, d->user, d->host, d->port, err, sizeof(err)) ==
		    0) {
			keep_tokens(f, &h.o);
			for (size_t k = 0; k <= h.nhops; k++) {
				identities_unlock_kept(h.lt[k].ids);
			}
		}
		fleet_host_free(&h);
	}
}

static int cb_prepare(
    void *arg, size_t i, const struct loop_target **t, size_t *n, char *err, size_t errlen)
{
	struct fleet *f = arg;
	const struct fleet_dest *d = &f->hl.dest[i];
	struct fleet_host_state *h;

	if ((h = f->hs[i] = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "config: out of memory");
		return -1;
	}
	h->out.fd = h->err.fd = -1;
	if ((f->outdir != NULL && (h->out.fd = open_host_file(f->outdir, d->text)) < 0) ||
	    (f->errdir != NULL && (h->err.fd = open_host_file(f->errdir, d->text)) < 0)) {
		snprintf(err, errlen, "config: cannot create the output file of %s: %s", d->text,
		    strerror(errno));
		return -1;
	}
	if (fleet_host_prepare(h, &f->hc, d->user, d->host, d->port, err, errlen) != 0) {
		return -1;
	}
	keep_tokens(f, &h->o);
	for (size_t k = 0; k <= h->nhops; k++) {
		identities_unlock_kept(h->lt[k].ids); /* asked once, for the first host */
	}
	*t = h->lt;
	*n = h->nhops + 1;
	return 0;
}

static int cb_output(void *arg, size_t i, int is_stderr, const uint8_t *p, size_t len)
{
	struct fleet *f = arg;

	return fleet_host_output(f->hs[i], is_stderr, p, len, f->hc.cap);
}

static void cb_hostkey(void *arg, size_t i, const struct ssh_event *ev)
{
	struct fleet *f = arg;

	fleet_host_hostkey(f->hs[i], ev);
}

static void progress_clear(struct fleet *f)
{
	if (f->progress) {
		fputs("\r\033[K", stderr);
	}
}

static void cb_tick(void *arg, size_t running)
{
	struct fleet *f = arg;
	uint64_t t = now_ms();
	double secs, rate;
	size_t failed = f->done - f->sum.count[FLEET_OK];

	if (!f->progress || t - f->last_progress < 200) {
		return;
	}
	f->last_progress = t;
	secs = (double)(t - f->t0_ms) / 1000.0;
	rate = secs > 0 ? (double)f->done / secs : 0;
	fprintf(stderr, "\r[%zu/%zu] %zu ok, %zu failed, %zu running, %.1f/s", f->done, f->hl.n,
	    f->sum.count[FLEET_OK], failed, running, rate);
	if (rate > 0) {
		fprintf(stderr, ", ETA %.0f s", (double)(f->hl.n - f->done) / rate);
	}
	fputs("\033[K", stderr);
	fflush(stderr);
}

/* the detail -b and --inline show: NULL for exit 0 */
static const char *detail_of(const struct fleet_outcome *oc, char *buf, size_t len)
{
	switch (oc->status) {
	case FLEET_OK:
		return NULL;
	case FLEET_EXIT:
		snprintf(buf, len, "exit %d", oc->exit_status);
		return buf;
	case FLEET_SIGNAL:
		snprintf(buf, len, "signal %s", oc->signal);
		return buf;
	default:
		snprintf(buf, len, "%s", oc->err_line != NULL ? oc->err_line : "error");
		return buf;
	}
}

static void put_block(struct fleet_sb *sb, const struct fleet_capture *c, const char *head)
{
	if (c->kept.len == 0) {
		return;
	}
	if (head != NULL) {
		fleet_sb_str(sb, head);
	}
	fleet_sb_add(sb, c->kept.p, c->kept.len);
	if (c->kept.p[c->kept.len - 1] != '\n') {
		fleet_sb_ch(sb, '\n');
	}
}

static void cb_done(void *arg, size_t i, const struct fleet_outcome *oc)
{
	struct fleet *f = arg;
	struct fleet_host_state *h = f->hs[i];
	const struct fleet_dest *d = &f->hl.dest[i];
	struct fleet_host_state empty;
	char detail[2200];

	if (h == NULL) {
		memset(&empty, 0, sizeof(empty));
		empty.out.fd = empty.err.fd = -1;
		h = &empty;
	}
	f->done++;
	fleet_summary_add(&f->sum, oc->status);
	fleet_sb_reset(&f->sb);
	if (f->json) {
		struct fleet_result r;
		memset(&r, 0, sizeof(r));
		r.host = d->text;
		r.address = oc->address;
		r.port = oc->port;
		r.user = h->prepared && h->o.user != NULL ? h->o.user : d->user;
		r.status = oc->status;
		r.exit_status = oc->exit_status;
		r.signal = oc->signal;
		r.err_line = oc->err_line;
		if (oc->err_line != NULL) {
			size_t cl = strcspn(oc->err_line, ":");
			snprintf(detail, sizeof(detail), "%.*s", (int)cl, oc->err_line);
			r.err_category = detail;
		}
		r.hostkey_alg = h->hk_alg;
		r.hostkey_fp = h->hk_fp;
		if (h->x509_subject != NULL) {
			r.x509_subject = h->x509_subject;
			r.x509_issuer = h->x509_issuer;
			r.x509_not_after = h->x509_not_after;
			r.x509_verdict = oc->status == FLEET_TRUST && oc->err_line != NULL
			                     ? oc->err_line
			                 : oc->t_kex_us != FLEET_NO_TIME ? "trusted"
			                                                 : "not verified";
		}
		r.auth_method = oc->auth_method;
		r.t_connect_us = oc->t_connect_us;
		r.t_kex_us = oc->t_kex_us;
		r.t_auth_us = oc->t_auth_us;
		r.t_command_us = oc->t_command_us;
		r.t_total_us = oc->t_total_us;
		r.out.data = h->out.kept.p;
		r.out.len = h->out.kept.len;
		r.out.total = h->out.total;
		r.err.data = h->err.kept.p;
		r.err.len = h->err.kept.len;
		r.err.total = h->err.total;
		fleet_json_result(&f->sb, &r, f->max_output);
	} else if (f->gather) {
		if (fleet_gather_add(f->g, d->text, detail_of(oc, detail, sizeof(detail)),
		        h->out.kept.p, h->out.kept.len, h->err.kept.p, h->err.kept.len) != 0) {
			fleet_fail("config", "out of memory");
		}
	} else {
		struct fleet_line l;
		struct tm tm;
		time_t t = time(NULL);
		localtime_r(&t, &tm);
		memset(&l, 0, sizeof(l));
		l.index = f->done;
		l.total = f->hl.n;
		l.when = &tm;
		l.host = d->text;
		l.status = oc->status;
		l.exit_status = oc->exit_status;
		l.signal = oc->signal;
		l.cause = oc->err_line;
		l.elapsed_us = oc->t_total_us > 0 ? (uint64_t)oc->t_total_us : 0;
		fleet_report_line(&f->sb, &l);
		if (f->inline_out) {
			put_block(&f->sb, &h->out, NULL);
			put_block(&f->sb, &h->err, "--- stderr\n");
		}
	}
	if (f->sb.len > 0) {
		progress_clear(f);
		fwrite(f->sb.p, 1, f->sb.len, stdout);
		fflush(stdout);
	}
	if (h != &empty) {
		fleet_host_free(h);
		free(h);
		f->hs[i] = NULL;
	}
}

/* raise the soft open-file limit to what -j needs (as far as the hard limit allows) */
static void raise_nofile(size_t *parallel)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)(*parallel * FDS_PER_HOST + FDS_SPARE);

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need) {
		return;
	}
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < need) {
		size_t fit = rl.rlim_cur > FDS_SPARE + FDS_PER_HOST
		                 ? (size_t)((rl.rlim_cur - FDS_SPARE) / FDS_PER_HOST)
		                 : 1;
		fprintf(stderr,
		    "x509ssh-fleet: open files capped at %llu by the hard limit: -j %zu instead of "
		    "%zu\n",
		    (unsigned long long)rl.rlim_cur, fit, *parallel);
		*parallel = fit;
	}
}

static int read_hosts(struct fleet *f, const struct fleet_args *a)
{
	char err[1200];

	for (size_t i = 0; i < a->nhostfiles; i++) {
		char *buf = NULL;
		size_t len = 0;
		if (read_all(a->hostfiles[i], &buf, &len, HOSTS_FILE_MAX) != 0) {
			fleet_fail("config", "%s: %s", a->hostfiles[i], strerror(errno));
			return -1;
		}
		int r = fleet_hostlist_parse(&f->hl, buf, len, a->hostfiles[i], err, sizeof(err));
		free(buf);
		if (r != 0) {
			fleet_fail("config", "%s", err);
			return -1;
		}
	}
	if (f->hl.n == 0) {
		fleet_fail("config", "no hosts (-h FILE or -H destination)");
		return -1;
	}
	return 0;
}

/* what every host gets on stdin: --stdin's bytes; with --shell, the command line and exit */
static int build_input(struct fleet *f, const struct fleet_args *a, char **in, size_t *inlen)
{
	struct fleet_sb sb = FLEET_SB_INIT;

	*in = NULL;
	*inlen = 0;
	if (f->hc.shell && a->stdin_file != NULL) {
		fleet_fail("config", "--shell sends the command line as the shell's input: no "
		                     "--stdin with it");
		return -1;
	}
	if (a->stdin_file != NULL) {
		if (read_all(a->stdin_file, in, inlen, SIZE_MAX / 4) != 0) {
			fleet_fail("config", "--stdin %s: %s", a->stdin_file, strerror(errno));
			return -1;
		}
		if (*in == NULL && (*in = malloc(1)) == NULL) {
			fleet_fail("config", "out of memory");
			return -1;
		}
		return 0;
	}
	if (!f->hc.shell) {
		return 0;
	}
	for (int i = 0; i < f->hc.ncmd; i++) {
		fleet_sb_printf(&sb, "%s%s", i > 0 ? " " : "", f->hc.cmd[i]);
	}
	fleet_sb_str(&sb, "\nexit\n");
	if (sb.err) {
		fleet_sb_free(&sb);
		fleet_fail("config", "out of memory");
		return -1;
	}
	*in = sb.p;
	*inlen = sb.len;
	return 0;
}

int main(int argc, char **argv)
{
	struct fleet f;
	struct fleet_args a;
	struct fleet_run_cfg rc;
	struct fleet_run_ops ops;
	char *in = NULL;
	size_t inlen = 0;
	int status = FAIL, level = OPT_UNSET;

	/* the token helper (a process of ours running the PKCS#11 modules) never returns */
	(void)p11_helper_main(argc, argv);
	if (loop_no_dumps() != 0) {
		fleet_fail("config", "cannot make the process non-dumpable: %s", strerror(errno));
		return FAIL;
	}
	log_set_program(1); /* the flags' and the run's error lines name x509ssh-fleet */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	memset(&f, 0, sizeof(f));
	memset(&a, 0, sizeof(a));
	fleet_hostlist_init(&f.hl);
	f.max_output = SIZE_MAX;
	a.parallel = PARALLEL_DEFAULT;
	if (fleet_parse_args(&f, &a, argc, argv) != 0 || fleet_check_flags(&f, &level) != 0) {
		goto out;
	}
	if (log_init(level != OPT_UNSET ? level : LOG_INFO, NULL) != 0) {
		goto out;
	}
	if (read_hosts(&f, &a) != 0 || build_input(&f, &a, &in, &inlen) != 0) {
		goto out;
	}
	f.hc.cap = f.max_output != SIZE_MAX ? f.max_output : KEEP_DEFAULT;
	if ((f.hs = calloc(f.hl.n, sizeof(*f.hs))) == NULL ||
	    (f.gather && (f.g = fleet_gather_new()) == NULL)) {
		fleet_fail("config", "out of memory");
		goto out;
	}
	if (a.parallel > f.hl.n) {
		a.parallel = f.hl.n;
	}
	raise_nofile(&a.parallel);
	f.progress = isatty(STDERR_FILENO) && !f.quiet;
	identities_queue_tokens(1); /* hosts sharing a token sign one at a time */
	known_hosts_keep(1);        /* each known_hosts file read once for the run */
	identities_keep_keys(1);    /* each key file decrypted once for the run */
	unlock_keys_first(&f);

	memset(&rc, 0, sizeof(rc));
	rc.hosts = f.hl.n;
	rc.parallel = a.parallel;
	rc.rate = a.rate;
	rc.limit_s = a.limit_s;
	rc.in = (const uint8_t *)in;
	rc.inlen = inlen;
	rc.iobuf = FLEET_IOBUF;
	memset(&ops, 0, sizeof(ops));
	ops.prepare = cb_prepare;
	ops.output = cb_output;
	ops.hostkey = cb_hostkey;
	ops.done = cb_done;
	ops.tick = cb_tick;
	ops.arg = &f;
	f.t0_ms = now_ms();
	if (fleet_run(&rc, &ops) != 0) {
		goto out;
	}
	progress_clear(&f);
	f.sum.wall_us = (now_ms() - f.t0_ms) * 1000u;
	fleet_sb_reset(&f.sb);
	if (f.json) {
		fleet_json_summary(&f.sb, &f.sum);
	} else if (f.gather) {
		fleet_gather_write(f.g, &f.sb);
	}
	fwrite(f.sb.p != NULL ? f.sb.p : "", 1, f.sb.len, stdout);
	if (fflush(stdout) != 0) {
		fleet_fail("config", "cannot write the results: %s", strerror(errno));
		goto out;
	}
	status = fleet_summary_exit_code(&f.sum);
out:
	for (size_t i = 0; f.hs != NULL && i < f.hl.n; i++) {
		if (f.hs[i] != NULL) {
			fleet_host_free(f.hs[i]);
			free(f.hs[i]);
		}
	}
	for (size_t i = 0; i < KEEP_IDS_MAX; i++) {
		identities_free(f.keep_ids[i]);
		free(f.keep_key[i]);
	}
	free(f.hs);
	fleet_gather_free(f.g);
	fleet_sb_free(&f.sb);
	if (f.hc.xargv != NULL) {
		for (int i = 0; i < f.hc.xargc; i++) {
			free(f.hc.xargv[i]);
		}
		free(f.hc.xargv);
	}
	free(a.hostfiles);
	if (in != NULL) {
		OPENSSL_cleanse(in, inlen);
	}
	free(in);
	fleet_hostlist_free(&f.hl);
	known_hosts_keep(0);
	identities_keep_keys(0);
	trust_x509_cleanup();
	log_close();
	return status;
}
