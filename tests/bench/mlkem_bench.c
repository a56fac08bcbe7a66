/* Time per operation of ML-KEM-768 (client/ssh/mlkem.c): keygen, encaps, decaps. Not a test.
 *   build/mlkem_bench [iterations]          (default 2000) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mlkem.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
	return 0;
}
