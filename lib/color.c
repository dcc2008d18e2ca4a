/* color.c - the colors ig takes, one parser for the model and the grid */
#include "color.h"

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

int
ig_color_parse(const char *s, size_t n, struct ig_color *c)
{
	size_t digits = n - 1, per;
	int v[4] = { 0, 0, 0, 255 };

	if (n < 4 || s[0] != '#' || (digits != 3 && digits != 4 && digits != 6 && digits != 8))
		return -1;
	per = digits <= 4 ? 1 : 2;
	for (size_t i = 0; i < digits / per; i++) {
		int hi = hexval(s[1 + i * per]), lo = per == 2 ? hexval(s[2 + i * per]) : hi;

		if (hi < 0 || lo < 0)
			return -1;
		v[i] = hi * 16 + lo;	/* #abc is #aabbcc */
	}
	for (int i = 0; i < 3; i++)
		c->rgb[i] = (uint16_t)(v[i] * 257);
	c->alpha = v[3] / 255.0;
	return 0;
}
