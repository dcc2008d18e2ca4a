/* path.c - the output-root guard every writer shares */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"

#include "path.h"

int
ig_path_leaves_root(const char *path)
{
	size_t n = strlen(path);

	return path[0] == '/' || strcmp(path, "..") == 0 || strncmp(path, "../", 3) == 0 ||
	    strstr(path, "/../") != NULL || (n >= 3 && strcmp(path + n - 3, "/..") == 0);
}

int
ig_path_mkdirs(const char *dir)
{
	char *p = ig_strdup(dir), *q = p;
	int rc = 0;

	while (!rc && (q = strchr(q + 1, '/'))) {
		*q = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST)
			rc = errno;
		*q = '/';
	}
	if (!rc && mkdir(p, 0777) != 0 && errno != EEXIST)
		rc = errno;
	free(p);
	return rc;
}
