/* path.c - the output-root guard every writer shares */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
ig_path_absolute(const char *path, char **out)
{
	char *cwd = NULL, *joined, *w;
	size_t n;

	*out = NULL;
	if (path[0] != '/' && !(cwd = getcwd(NULL, 0)))
		return errno;
	n = strlen(path) + (cwd ? strlen(cwd) + 1 : 0) + 2;
	joined = ig_malloc(n);
	snprintf(joined, n, "%s%s%s", cwd ? cwd : "", cwd ? "/" : "", path);
	free(cwd);
	/* segment by segment, in place: the output never outruns the input */
	w = joined;
	for (const char *r = joined; *r; ) {
		const char *end;
		size_t len;

		while (*r == '/')
			r++;
		if (!*r)
			break;
		end = strchrnul(r, '/');
		len = (size_t)(end - r);
		if (len == 1 && r[0] == '.') {
			/* nothing */
		} else if (len == 2 && r[0] == '.' && r[1] == '.') {
			while (w > joined && *--w != '/')
				;
		} else {
			*w++ = '/';
			memmove(w, r, len);
			w += len;
		}
		r = end;
	}
	if (w == joined)
		*w++ = '/';
	*w = '\0';
	*out = joined;
	return 0;
}

const char *
ig_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

int
ig_open_regular(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), flags;

	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || (flags = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
		snprintf(err, errlen, "%s", strerror(errno));
	else if (S_ISDIR(st.st_mode))
		snprintf(err, errlen, "is a directory");
	else if (!S_ISREG(st.st_mode))
		snprintf(err, errlen, "not a regular file");
	else
		return fd;
	close(fd);
	return -1;
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

/* the directories a file goes in */
static int
mkparents(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc;

	if (!slash || slash == path)
		return 0;
	dir = strndup(path, (size_t)(slash - path));
	rc = ig_path_mkdirs(dir);
	free(dir);
	return rc;
}

int
ig_tmpfile_open(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen)
{
	static unsigned long serial;
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if ((rc = mkparents(path)) != 0) {
		snprintf(err, errlen, "%.400s: %s", path, strerror(rc));
		return -1;
	}
	snprintf(tmp, tmplen, "%.*s.%s.tmp.%ld.%lu", slash ? (int)(slash - path + 1) : 0, path,
	    slash ? slash + 1 : path, (long)getpid(), __atomic_fetch_add(&serial, 1, __ATOMIC_RELAXED));
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)) < 0)
		snprintf(err, errlen, "%.400s: %s", tmp, strerror(errno));
	return fd;
}

int
ig_tmpfile_commit(int fd, const char *tmp, const char *path, char *err, size_t errlen)
{
	/* writeback starts now, unwaited: see path.h */
	sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

void
ig_tmpfile_abandon(int fd, const char *tmp)
{
	close(fd);
	unlink(tmp);
}

int
ig_path_syncfs(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc, saved;

	if (fd < 0)
		return -1;
	rc = syncfs(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
ig_write_all(int fd, const void *p, size_t n)
{
	for (size_t off = 0; off < n; ) {
		ssize_t w = write(fd, (const char *)p + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}
