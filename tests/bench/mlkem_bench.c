/* Time per operation of the hybrids' KEMs: ML-KEM-768 (client/ssh/mlkem.c) and sntrup761
 * (client/ssh/sntrup761.c): keygen, encaps, decaps. Not a test.
 *   build/mlkem_bench [iterations]          (default 2000; sntrup761 runs a tenth of them) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mlkem.h"
#include "sntrup761.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sntrup_bench(long n)
{
	static uint8_t pk[SNTRUP761_PK_BYTES], sk[SNTRUP761_SK_BYTES], ct[SNTRUP761_CT_BYTES];
	uint8_t key[SNTRUP761_SS_BYTES];
	double t0, t1, t2, t3;
	long i;
	int bad = 0;

	t0 = now();
	for (i = 0; i < n; i++) {
		bad |= sntrup761_keygen(pk, sk);
	}
	t1 = now();
	for (i = 0; i < n; i++) {
		bad |= sntrup761_encaps(pk, ct, key);
	}
	t2 = now();
	for (i = 0; i < n; i++) {
		bad |= sntrup761_decaps(sk, ct, key);
	}
	t3 = now();
	if (bad != 0) {
		fprintf(stderr, "mlkem_bench: an sntrup761 operation failed\n");
		return 1;
	}
	printf("sntrup761, %ld runs, CPU time per operation:\n", n);
	printf("  keygen %8.1f us\n", (t1 - t0) / (double)n * 1e6);
	printf("  encaps %8.1f us\n", (t2 - t1) / (double)n * 1e6);
	printf("  decaps %8.1f us\n", (t3 - t2) / (double)n * 1e6);
	printf("  client (keygen + decaps) %8.1f us\n", ((t1 - t0) + (t3 - t2)) / (double)n * 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t ek[MLKEM768_EK_BYTES], dk[MLKEM768_DK_BYTES], ct[MLKEM768_CT_BYTES];
	uint8_t key[MLKEM_SHARED_BYTES];
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000, i;
	double t0, t1, t2, t3;
	int bad = 0;

	if (n <= 0) {
		n = 2000;
	}
	t0 = now();
	for (i = 0; i < n; i++) {
		bad |= mlkem768_keygen(ek, dk);
	}
	t1 = now();
	for (i = 0; i < n; i++) {
		bad |= mlkem768_encaps(ek, ct, key);
	}
	t2 = now();
	for (i = 0; i < n; i++) {
		bad |= mlkem768_decaps(dk, ct, key);
	}
	t3 = now();
	if (bad != 0) {
		fprintf(stderr, "mlkem_bench: an operation failed\n");
		return 1;
	}
	printf("ML-KEM-768, %ld runs, CPU time per operation:\n", n);
	printf("  keygen %8.1f us\n", (t1 - t0) / (double)n * 1e6);
	printf("  encaps %8.1f us\n", (t2 - t1) / (double)n * 1e6);
	printf("  decaps %8.1f us\n", (t3 - t2) / (double)n * 1e6);
	printf("  client (keygen + decaps) %8.1f us\n", ((t1 - t0) + (t3 - t2)) / (double)n * 1e6);
	return sntrup_bench(n / 10 > 0 ? n / 10 : 1);
}
