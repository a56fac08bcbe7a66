/*
 * Not a fuzz target: a check that the fuzz build makes undefined behaviour fatal. It overflows a
 * signed int on purpose; built with -fsanitize=undefined -fno-sanitize-recover=all (the fuzz
 * build's flags) UBSan stops it with exit status 1 before the last line. If it gets to print
 * "survived" and exit 0, reports from the network would pass unnoticed: tests/run.sh fails then.
 */
#include <limits.h>
#include <stdio.h>

int main(void)
{
	volatile int big = INT_MAX;
	int sum = big + 1;

	printf("survived undefined behaviour (%d): UBSan reports are not fatal\n", sum);
	return 0;
}
