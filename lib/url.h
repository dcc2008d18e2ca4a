/* url.h - what a file is called outside this machine: file URIs and public bases */
#ifndef IG_URL_H
#define IG_URL_H
#include <stddef.h>
#include <jv.h>

#include "buf.h"

/* RFC 8089's file URI of an absolute path, percent-encoded (RFC 3986) */
void ig_file_uri(struct ig_buf *b, const char *abspath);

/*
 * The URL of a file under a mapped root: map is "ROOT=BASE" (split at the
 * first '='), say "/srv/assets=https://cdn.example.com/assets/", and a path
 * under ROOT becomes BASE followed by the rest of the path, percent-encoded.
 * 1 if path is under ROOT (the URL is in b), 0 if not (b untouched).
 */
int ig_url_under(struct ig_buf *b, const char *map, const char *abspath);

/* the option opt when given, else $IG_URL_BASE; NULL when neither */
const char *ig_url_base(const char *opt);

/* where an image is, as its record says: {"path":...} and, under the
 * public base, {"url":...} (else the model's default, the file URI) */
jv ig_image_place(const char *abspath, const char *url_base);
/* 1 if an images record could name abspath: its path, the name and url
 * made from it, checked by the model's rules before the file is written;
 * 0 with the reason in err */
int ig_image_place_ok(const char *abspath, const char *url_base, char *err, size_t errlen);

#endif
