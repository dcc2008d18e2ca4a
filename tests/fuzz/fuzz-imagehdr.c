/* fuzz-imagehdr - the image header sniffers (PNG chunks and CRCs, JPEG
 * segments, GIF, WebP), fed whole and in pieces of a size the length
 * picks, so that any image file is a seed as it is */
#include <stdint.h>
#include <stdlib.h>

#include "imagehdr.h"

const char *ig_prog = "fuzz-imagehdr";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ig_imghdr whole, pieces;
	size_t step;

	step = size % 17 + 1;
	ig_imghdr_init(&whole);
	ig_imghdr_feed(&whole, data, size);
	ig_imghdr_finish(&whole);
	ig_imghdr_init(&pieces);
	for (size_t off = 0; off < size; off += step)
		ig_imghdr_feed(&pieces, data + off, size - off < step ? size - off : step);
	ig_imghdr_finish(&pieces);
	/* how the bytes came does not change what they are */
	if (whole.width != pieces.width || whole.height != pieces.height ||
	    !whole.err[0] != !pieces.err[0])
		abort();
	if (!whole.err[0] && (uint64_t)whole.width * whole.height > IG_MAX_PIXELS)
		abort();
	ig_imghdr_free(&whole);
	ig_imghdr_free(&pieces);
	return 0;
}
