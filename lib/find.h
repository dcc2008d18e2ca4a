/* find.h - memmem, fast for the short needles of field names */
#ifndef IG_FIND_H
#define IG_FIND_H
#include <stddef.h>

/* the first needle[0..k) in hay[0..n), or NULL */
const char *ig_find(const char *hay, size_t n, const char *needle, size_t k);

#endif
