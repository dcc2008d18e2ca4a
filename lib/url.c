/* url.c - file URIs and URLs under a public base */
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "url.h"

/* RFC 3986's unreserved characters, and the slash that separates segments */
static void
add_encoded(struct ig_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~/", *p)) {
			ig_buf_addc(b, (char)*p);
		} else {
			ig_buf_addc(b, '%');
			ig_buf_addc(b, hex[*p >> 4]);
			ig_buf_addc(b, hex[*p & 15]);
		}
	}
}

void
ig_file_uri(struct ig_buf *b, const char *abspath)
{
	ig_buf_adds(b, "file://");
	add_encoded(b, abspath);
}

int
ig_url_under(struct ig_buf *b, const char *map, const char *abspath)
{
	const char *eq = map ? strchr(map, '=') : NULL, *rest;
	size_t rootlen;

	if (!eq)
		return 0;
	rootlen = (size_t)(eq - map);
	while (rootlen > 1 && map[rootlen - 1] == '/')
		rootlen--;
	if (strncmp(abspath, map, rootlen) != 0 || (abspath[rootlen] != '/' && abspath[rootlen]))
		return 0;
	rest = abspath + rootlen;
	while (*rest == '/')
		rest++;
	ig_buf_adds(b, eq + 1);
	if (b->len && b->p[b->len - 1] != '/' && *rest)
		ig_buf_addc(b, '/');
	add_encoded(b, rest);
	return 1;
}

const char *
ig_url_base(const char *opt)
{
	const char *env = getenv("IG_URL_BASE");

	return opt ? opt : env && *env ? env : NULL;
}

jv
ig_image_place(const char *abspath, const char *url_base)
{
	jv place = JV_OBJECT(jv_string("path"), jv_string(abspath));
	struct ig_buf url = { 0 };

	if (ig_url_under(&url, url_base, abspath))
		place = jv_object_set(place, jv_string("url"), jv_string(ig_buf_str(&url)));
	ig_buf_free(&url);
	return place;
}

int
ig_image_place_ok(const char *abspath, const char *url_base, char *err, size_t errlen)
{
	jv place = ig_image_place(abspath, url_base);
	int bad = ig_model_check_some(ig_model_find(ig_model(), "images"), place, err, errlen);

	jv_free(place);
	return !bad;
}
