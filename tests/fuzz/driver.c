/* driver.c - a fuzz harness without libFuzzer: each file named is one
 * input, so that the corpus and every finding run in the test suite, under
 * whichever compiler and sanitizers built it */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		unsigned char *p = NULL;
		size_t n = 0, cap = 0, got;

		if (!f) {
			perror(argv[i]);
			return 2;
		}
		do {
			if (cap - n < 65536)
				p = realloc(p, cap = cap * 2 + 65536);
			if (!p)
				return 2;
			n += got = fread(p + n, 1, cap - n, f);
		} while (got > 0);
		if (ferror(f)) {
			perror(argv[i]);
			return 2;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(p, n);
		free(p);
	}
	return 0;
}
