/* placeholder.c - deterministic placeholder images */
#include <string.h>
#include <xxhash.h>

#include "placeholder.h"
#include "pngw.h"

struct look {
	uint32_t width, height;
	unsigned char top[3], bottom[3], accent[3];
	uint32_t cell;		/* tiles, like a map's squares */
	uint32_t phase;
};

static void
row(void *ctx, uint32_t y, unsigned char *out)
{
	const struct look *l = ctx;
	uint32_t t = l->height > 1 ? y * 256 / (l->height - 1) : 0;
	int ty = (int)((y + l->phase) / l->cell);

	for (uint32_t x = 0; x < l->width; x++) {
		int tx = (int)((x + l->phase) / l->cell);
		int edge = (x + l->phase) % l->cell == 0 || (y + l->phase) % l->cell == 0;
		int accent = ((tx * 7 + ty * 13 + (int)l->phase) % 5) == 0;

		for (int c = 0; c < 3; c++) {
			unsigned v = (l->top[c] * (256 - t) + l->bottom[c] * t) >> 8;

			if (accent)
				v = (v + l->accent[c]) / 2;
			if (edge)
				v = v * 3 / 4;
			out[3 * x + c] = (unsigned char)v;
		}
	}
}

int
ig_placeholder(struct ig_buf *png, const char *prompt, long long seed,
    uint32_t width, uint32_t height, char *err, size_t errlen)
{
	struct look l = { width, height, { 0 }, { 0 }, { 0 }, 0, 0 };
	uint64_t h = XXH3_64bits_withSeed(prompt, strlen(prompt), (uint64_t)seed);

	/* every look of the picture comes from the one hash */
	for (int c = 0; c < 3; c++) {
		l.top[c] = (unsigned char)(h >> (8 * c));
		l.bottom[c] = (unsigned char)(h >> (8 * c + 24));
		l.accent[c] = (unsigned char)(255 - l.top[c]);
	}
	l.cell = 32 + (uint32_t)(h >> 48) % 64;
	l.phase = (uint32_t)(h >> 56) % l.cell;
	/* zlib level 1: a placeholder is wanted now, not small */
	return ig_png_encode_rgb(png, width, height, 1, row, &l, err, errlen);
}
