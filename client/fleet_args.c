/*
 * x509ssh-fleet's command line: its own flags (-h -H -j -t -b, the long options) and the
 * connection flags it passes to every host's x509ssh argv (x509ssh-fleet(1)).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "fleet_main.h"
#include "log.h"

enum {
	OPT_JSON = 1000,
	OPT_INLINE,
	OPT_OUTDIR,
	OPT_ERRDIR,
	OPT_STDIN,
	OPT_RATE,
	OPT_MAXOUT,
	OPT_SHELL,
	OPT_HELP
};

static const struct option long_opts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"inline", no_argument, NULL, OPT_INLINE},
    {"outdir", required_argument, NULL, OPT_OUTDIR},
    {"errdir", required_argument, NULL, OPT_ERRDIR},
    {"stdin", required_argument, NULL, OPT_STDIN},
    {"rate", required_argument, NULL, OPT_RATE},
    {"max-output", required_argument, NULL, OPT_MAXOUT},
    {"shell", no_argument, NULL, OPT_SHELL},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s[0] < '0' || s[0] > '9') {
		return -1;
	}
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max) {
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_rate(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || (strcmp(end, "") != 0 && strcmp(end, "/s") != 0) ||
	    !(v > 0) || v > 1e6) {
		return -1;
	}
	*out = v;
	return 0;
}

/* the x509ssh flags as given, one or two argv words each */
static int push_flag(struct fleet *f, int opt, const char *arg)
{
	char flag[3] = {'-', (char)opt, '\0'};

	if ((f->hc.xargv[f->hc.xargc++] = strdup(flag)) == NULL) {
		return -1;
	}
	if (arg != NULL && (f->hc.xargv[f->hc.xargc++] = strdup(arg)) == NULL) {
		return -1;
	}
	return 0;
}

int fleet_parse_args(struct fleet *f, struct fleet_args *a, int argc, char **argv)
{
	unsigned long long v;
	char err[1200];
	int opt;

	if ((f->hc.xargv = calloc((size_t)argc * 2 + 2, sizeof(char *))) == NULL ||
	    (f->hc.xargv[f->hc.xargc++] = strdup("x509ssh")) == NULL ||
	    (a->hostfiles = calloc((size_t)argc + 1, sizeof(char *))) == NULL) {
		fleet_fail("config", "out of memory");
		return -1;
	}
	opterr = 0;
	while (
	    (opt = getopt_long(argc, argv, "+:46qvF:i:I:l:o:p:h:H:j:t:b", long_opts, NULL)) != -1) {
		switch (opt) {
		case '4':
		case '6':
		case 'v':
		case 'q':
			if (opt == 'q') {
				f->quiet = 1;
			}
			if (push_flag(f, opt, NULL) != 0) {
				goto oom;
			}
			break;
		case 'F':
		case 'i':
		case 'I':
		case 'l':
		case 'o':
		case 'p':
			if (push_flag(f, opt, optarg) != 0) {
				goto oom;
			}
			break;
		case 'h':
			a->hostfiles[a->nhostfiles++] = optarg;
			break;
		case 'H':
			if (fleet_hostlist_add(&f->hl, optarg, "-H", 0, err, sizeof(err)) != 0) {
				fleet_fail("config", "%s", err);
				return -1;
			}
			break;
		case 'j':
			if (parse_uint(optarg, 100000, &v) != 0 || v == 0) {
				fleet_fail(
				    "config", "-j %s: a number of hosts from 1 to 100000", optarg);
				return -1;
			}
			a->parallel = (size_t)v;
			break;
		case 't':
			if (parse_uint(optarg, 86400 * 365, &v) != 0) {
				fleet_fail("config", "-t %s: seconds (0 = no limit)", optarg);
				return -1;
			}
			a->limit_s = (unsigned)v;
			break;
		case 'b':
			f->gather = 1;
			break;
		case OPT_JSON:
			f->json = 1;
			break;
		case OPT_INLINE:
			f->inline_out = 1;
			break;
		case OPT_OUTDIR:
			f->outdir = optarg;
			break;
		case OPT_ERRDIR:
			f->errdir = optarg;
			break;
		case OPT_STDIN:
			a->stdin_file = optarg;
			break;
		case OPT_RATE:
			if (parse_rate(optarg, &a->rate) != 0) {
				fleet_fail("config",
				    "--rate %s: new connections per second (N or N/s)", optarg);
				return -1;
			}
			break;
		case OPT_MAXOUT:
			if (parse_uint(optarg, SIZE_MAX / 2, &v) != 0) {
				fleet_fail("config", "--max-output %s: a number of bytes", optarg);
				return -1;
			}
			f->max_output = (size_t)v;
			break;
		case OPT_SHELL:
			f->hc.shell = 1;
			break;
		case OPT_HELP:
			fleet_usage();
			exit(0);
		case ':':
			fleet_fail("config", "option %s needs an argument", argv[optind - 1]);
			fleet_usage();
			return -1;
		default:
			fleet_fail("config", "unknown option %s", argv[optind - 1]);
			fleet_usage();
			return -1;
		}
	}
	f->hc.cmd = argv + optind;
	f->hc.ncmd = argc - optind;
	if (f->hc.ncmd == 0) {
		fleet_fail("config", "no command given (x509ssh-fleet [options] -- command)");
		fleet_usage();
		return -1;
	}
	return 0;
oom:
	fleet_fail("config", "out of memory");
	return -1;
}

/* the connection flags checked once, as x509ssh checks them; the log level they set */
int fleet_check_flags(struct fleet *f, int *level)
{
	struct options o;
	struct cmdline a;
	char **argv, *dbuf = NULL;
	int argc, r;

	options_init(&o);
	if ((argv = fleet_host_argv(&f->hc, NULL, "localhost", 0, &argc, &dbuf)) == NULL) {
		fleet_fail("config", "out of memory");
		return -1;
	}
	r = cmdline_parse(argc, argv, &o, &a);
	*level = a.log_level;
	free(a.command);
	free(argv[(size_t)f->hc.xargc + (size_t)f->hc.ncmd + 7]);
	free(argv);
	free(dbuf);
	options_free(&o);
	return r == CMDLINE_OK ? 0 : -1;
}
