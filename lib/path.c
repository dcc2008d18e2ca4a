/* path.c - the output-root guard every writer shares */
#include <string.h>

#include "path.h"

int
ig_path_leaves_root(const char *path)
{
	size_t n = strlen(path);

	return path[0] == '/' || strcmp(path, "..") == 0 || strncmp(path, "../", 3) == 0 ||
	    strstr(path, "/../") != NULL || (n >= 3 && strcmp(path + n - 3, "/..") == 0);
}
