/* fuzz-raster - the PNG and JPEG row decoders, every row of the image and
 * what follows it, as ig-grid reads a map, and again as a thumbnail reads
 * it (ISA-L's inflate, pngfast.c), the two compared. Whether color is
 * wanted goes by the length, so that any image file is a seed as it is. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "path.h"
#include "raster.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
const char *ig_prog = "fuzz-raster";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* a file in memory, named by its /proc path as a map's path is */
	if ((fd = memfd_create("fuzz-raster", MFD_CLOEXEC)) < 0)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return 0;
}

/* every row and what follows them, read with flags: 0, or -1 if refused;
 * the rows land in *rows (rowbytes a row) */
static int
decode(int flags, unsigned char **rows, size_t *rowbytes)
{
	struct ig_raster r;
	char err[512];
	int rc = 0;

	*rows = NULL;
	if (ig_raster_open(&r, path, flags, err, sizeof err) != 0) {
		if (!err[0])
			abort();	/* every refusal says why */
		ig_raster_close(&r);
		return -1;
	}
	if ((uint64_t)r.width * r.height > IG_MAX_PIXELS || r.rowbytes == 0)
		abort();
	*rowbytes = r.rowbytes;
	*rows = calloc(r.height, r.rowbytes);
	if (!*rows)
		abort();
	for (uint32_t y = 0; y < r.height && rc == 0; y++)
		rc = ig_raster_row(&r, *rows + (size_t)y * r.rowbytes);
	if (rc == 0)
		rc = ig_raster_finish(&r);
	if (rc != 0 && !err[0])
		abort();
	*rowbytes *= r.height;
	ig_raster_close(&r);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int color = size & 1 ? IG_RASTER_COLOR : 0;
	unsigned char *lib, *fast;
	size_t nlib = 0, nfast = 0;
	int rlib, rfast;

	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	/* libpng's rows, then the same file read past it (pngfast.c): where
	 * both read the whole image, the pixels are the same */
	rlib = decode(color, &lib, &nlib);
	rfast = decode(color | IG_RASTER_NO_TAIL, &fast, &nfast);
	if (rlib == 0 && rfast == 0 && (nlib != nfast || memcmp(lib, fast, nlib) != 0))
		abort();
	free(lib);
	free(fast);
	return 0;
}
