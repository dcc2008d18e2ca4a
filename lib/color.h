/* color.h - the colors ig takes: #rgb, #rgba, #rrggbb or #rrggbbaa */
#ifndef IG_COLOR_H
#define IG_COLOR_H
#include <stddef.h>
#include <stdint.h>

struct ig_color {
	uint16_t rgb[3];	/* 16-bit: an 8-bit digit pair v is v * 257 */
	double alpha;		/* 0 to 1; 1 when the color gives none */
};

/* 0 if s[0..n) is a color, -1 if not */
int ig_color_parse(const char *s, size_t n, struct ig_color *c);

#endif
