/* Time per token signature through pkcs11/ (the async signer: a worker thread per signature),
 * with the module in this process or in the token helper. Not a test; tests/bench/token_bench.sh
 * runs it.
 *   build/p11sign_bench URI N inproc|helper
 * URI selects one key and carries its PIN (pin-value or pin-source). Prints one line:
 * "load_ms <keys loaded, helper started> sig_ms <mean wall time per signature>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "p11.h"
#include "signer.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	static const uint8_t data[] = "session id and userauth request";
	const struct signer_req req = {
	    .prim = SIGNER_RSA_PKCS1, .digest = "SHA512", .data = data, .len = sizeof(data)};
	struct p11_opts o;
	struct signer **v = NULL;
	uint8_t *sig = NULL;
	size_t n = 0, len = 0;
	char err[512];
	double t0, t1, t2 = 0, t3;
	long i, count;
	int r;

	(void)p11_helper_main(argc, argv); /* this program as the token helper: never returns */
	if (argc != 4 || (count = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: p11sign_bench URI N inproc|helper\n");
		return 2;
	}
	memset(&o, 0, sizeof(o));
	o.batch_mode = 1;
	o.helper = strcmp(argv[3], "helper") == 0;
	t0 = now_ms();
	if (p11_load_signers(argv[1], &o, &v, &n, err, sizeof(err)) != 0 || n != 1) {
		fprintf(
		    stderr, "p11sign_bench: %s\n", n > 1 ? "the URI selects several keys" : err);
		return 1;
	}
	t1 = now_ms();
	/* signature -1 logs in: not timed */
	for (i = -1; i < count; i++) {
		if (i == 0) {
			t2 = now_ms();
		}
		r = v[0]->ops->sign(v[0], &req, &sig, &len);
		if (r == SIGNER_AGAIN) {
			r = v[0]->ops->sign_finish(v[0], &sig, &len);
		}
		free(sig);
		sig = NULL;
		if (r != SIGNER_OK) {
			fprintf(
			    stderr, "p11sign_bench: signature %ld: %s\n", i, signer_error(v[0]));
			p11_free_signers(v, n);
			return 1;
		}
	}
	t3 = now_ms();
	printf("load_ms %.3f sig_ms %.4f\n", t1 - t0, (t3 - t2) / (double)count);
	p11_free_signers(v, n);
	return 0;
}
