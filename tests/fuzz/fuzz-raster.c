/* fuzz-raster - the PNG and JPEG row decoders, every row of the image and
 * what follows it, as ig-grid reads a map. Whether color is wanted goes
 * by the length, so that any image file is a seed as it is. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ig_raster r;
	unsigned char *row;
	char err[512];

	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (ig_raster_open(&r, path, size & 1, err, sizeof err) != 0) {
		if (!err[0])
			abort();	/* every refusal says why */
		ig_raster_close(&r);
		return 0;
	}
	if ((uint64_t)r.width * r.height > IG_MAX_PIXELS || r.rowbytes == 0)
		abort();
	row = malloc(r.rowbytes);
	for (uint32_t y = 0; y < r.height; y++)
		if (ig_raster_row(&r, row) != 0)
			break;
	ig_raster_finish(&r);
	free(row);
	ig_raster_close(&r);
	return 0;
}
