/* thumb.c - thumbnails made while decoding (thumb.h) */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "raster.h"
#include "thumb.h"

static float to_linear[256];
static unsigned char to_srgb[4096];	/* linear in 1/4095 steps */
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void
make_tables(void)
{
	for (int i = 0; i < 256; i++) {
		double c = i / 255.0;

		to_linear[i] = (float)(c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4));
	}
	for (int i = 0; i < 4096; i++) {
		double l = i / 4095.0, c = l <= 0.0031308 ? l * 12.92 : 1.055 * pow(l, 1 / 2.4) - 0.055;

		to_srgb[i] = (unsigned char)lrint(c * 255);
	}
}

static unsigned char
encode(float linear)
{
	int i = (int)lrintf(linear * 4095);

	return to_srgb[i < 0 ? 0 : i > 4095 ? 4095 : i];
}

/* an output row from its sums: the mean of its pixels, over bg */
static void
emit_row(const struct ig_thumb *t, const float *sum, const uint32_t *count_x, uint32_t rows,
    const float bg[3], unsigned char *out)
{
	for (uint32_t x = 0; x < t->width; x++) {
		float n = (float)count_x[x] * (float)rows, a = sum[4 * x + 3] / n;

		for (int c = 0; c < 3; c++)
			out[3 * x + c] = encode(sum[4 * x + c] / n + bg[c] * (1 - a));
	}
}

int
ig_thumb_make(struct ig_thumb *t, const char *path, uint32_t max, const unsigned char bg8[3], char *err,
    size_t errlen)
{
	struct ig_raster r;
	unsigned char *row = NULL;
	float *sum = NULL, bg[3];
	uint32_t *ox = NULL, *count_x = NULL, oy = 0, rows = 0;
	int rc = -1, step;

	pthread_once(&tables_once, make_tables);
	memset(t, 0, sizeof *t);
	if (ig_raster_open(&r, path, IG_RASTER_COLOR | IG_RASTER_NO_TAIL, err, errlen) != 0)
		return -1;
	t->src_width = r.width;
	t->src_height = r.height;
	if (r.width >= r.height) {
		t->width = r.width < max ? r.width : max;
		t->height = (uint32_t)(((uint64_t)r.height * t->width + r.width / 2) / r.width);
	} else {
		t->height = r.height < max ? r.height : max;
		t->width = (uint32_t)(((uint64_t)r.width * t->height + r.height / 2) / r.height);
	}
	if (!t->width)
		t->width = 1;
	if (!t->height)
		t->height = 1;
	for (int c = 0; c < 3; c++)
		bg[c] = to_linear[bg8[c]];
	step = r.depth == 16 ? 2 : 1;
	row = ig_malloc(r.rowbytes);
	sum = ig_malloc((size_t)t->width * 4 * sizeof *sum);
	ox = ig_malloc((size_t)r.width * sizeof *ox);
	count_x = ig_malloc((size_t)t->width * sizeof *count_x);
	t->rgb = ig_malloc((size_t)t->width * t->height * 3);
	memset(sum, 0, (size_t)t->width * 4 * sizeof *sum);
	memset(count_x, 0, (size_t)t->width * sizeof *count_x);
	for (uint32_t x = 0; x < r.width; x++) {
		ox[x] = (uint32_t)((uint64_t)x * t->width / r.width);
		count_x[ox[x]]++;
	}
	for (uint32_t y = 0; y < r.height; y++) {
		uint32_t want = (uint32_t)((uint64_t)y * t->height / r.height);

		if (want != oy) {
			emit_row(t, sum, count_x, rows, bg, t->rgb + (size_t)oy * t->width * 3);
			memset(sum, 0, (size_t)t->width * 4 * sizeof *sum);
			oy = want;
			rows = 0;
		}
		if (ig_raster_row(&r, row) != 0)
			goto out;
		for (uint32_t x = 0; x < r.width; x++) {
			const unsigned char *p = row + (size_t)x * r.channels * step;
			float *s = sum + 4 * ox[x];
			/* 16-bit samples by their high byte: a thumbnail's 8 bits */
			float a = r.channels == 4 ? p[3 * step] / 255.0f : 1;

			s[0] += to_linear[p[0]] * a;
			s[1] += to_linear[p[step]] * a;
			s[2] += to_linear[p[2 * step]] * a;
			s[3] += a;
		}
		rows++;
	}
	emit_row(t, sum, count_x, rows, bg, t->rgb + (size_t)oy * t->width * 3);
	rc = ig_raster_finish(&r);
out:
	ig_raster_close(&r);
	free(row);
	free(sum);
	free(ox);
	free(count_x);
	if (rc)
		ig_thumb_free(t);
	return rc;
}

void
ig_thumb_free(struct ig_thumb *t)
{
	free(t->rgb);
	t->rgb = NULL;
}
