/* path.c - the output-root guard every writer shares */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

#include "buf.h"
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

/* one directory step, made if missing and opened: beneath the root's fd
 * when the kernel can say so (prefix is the path from the root), else
 * without following a link (dirfd is the step's parent) */
static int
open_step(int rootfd, const char *prefix, int dirfd, const char *name)
{
	static int no_openat2;
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
	int fd;

	if (mkdirat(dirfd, name, 0777) != 0 && errno != EEXIST)
		return -1;
	if (rootfd >= 0 && !__atomic_load_n(&no_openat2, __ATOMIC_RELAXED)) {
		fd = (int)syscall(SYS_openat2, rootfd, prefix, &how, sizeof how);
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		__atomic_store_n(&no_openat2, 1, __ATOMIC_RELAXED);
	}
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (rootfd >= 0 ? O_NOFOLLOW : 0));
}

/* the directory dir (relative to base, "" for base itself) opened, each
 * step made as needed: an fd, or -1 with errno */
static int
open_dirs(int basefd, int rootfd, const char *dir)
{
	char *p = ig_strdup(dir);
	int fd = fcntl(basefd, F_DUPFD_CLOEXEC, 0), saved;

	for (char *q = p; fd >= 0 && *q; ) {
		char *slash = strchr(q, '/');
		int next;

		if (slash)
			*slash = '\0';
		next = open_step(rootfd, p, fd, q);
		saved = errno;
		close(fd);
		errno = saved;
		fd = next;
		if (!slash)
			break;
		*slash = '/';
		q = slash + 1;
	}
	saved = errno;
	free(p);
	errno = saved;
	return fd;
}

int
ig_root_open(struct ig_root *root, const char *dir)
{
	int rc;

	root->fd = -1;
	if ((rc = ig_path_absolute(dir, &root->path)) != 0)
		return rc;
	if ((rc = ig_path_mkdirs(root->path)) != 0)
		return rc;
	if ((root->fd = open(root->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno;
	return 0;
}

void
ig_root_close(struct ig_root *root)
{
	if (root->fd >= 0)
		close(root->fd);
	root->fd = -1;
	free(root->path);
	root->path = NULL;
}

int
ig_root_holds(const struct ig_root *root, const char *path)
{
	size_t n;

	if (!root || root->fd < 0)
		return 1;
	n = strlen(root->path);
	if (n == 1)	/* the root is / */
		return path[0] == '/';
	return strncmp(path, root->path, n) == 0 && path[n] == '/' && path[n + 1];
}

static void
tmpfile_done(struct ig_tmpfile *t)
{
	if (t->dirfd >= 0)
		close(t->dirfd);
	t->dirfd = t->fd = -1;
	free(t->path);
	t->path = NULL;
}

int
ig_tmpfile_open(struct ig_tmpfile *t, const struct ig_root *root, const char *path,
    char *err, size_t errlen)
{
	static unsigned long serial;
	int under = root && root->fd >= 0;
	const char *slash = strrchr(path, '/'), *rel;
	char *dir;

	t->fd = t->dirfd = -1;
	t->path = ig_strdup(path);
	if (!slash || !slash[1] || !ig_root_holds(root, path)) {
		snprintf(err, errlen, "%.400s: not a file under the output root", path);
		tmpfile_done(t);
		errno = EINVAL;
		return -1;
	}
	/* the directories from the root, or from / */
	rel = under ? path + strlen(root->path) + (strlen(root->path) > 1) : path + 1;
	dir = strndup(rel, (size_t)(slash > rel ? slash - rel : 0));
	if (under) {
		t->dirfd = open_dirs(root->fd, root->fd, dir);
	} else {
		int top = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		t->dirfd = top < 0 ? -1 : open_dirs(top, -1, dir);
		if (top >= 0)
			close(top);
	}
	free(dir);
	if (t->dirfd < 0) {
		int saved = errno;

		snprintf(err, errlen, "%.400s: %s", path, errno == EXDEV || errno == ELOOP ?
		    "a symbolic link on the way leads out of the output root" : strerror(errno));
		tmpfile_done(t);
		errno = saved;
		return -1;
	}
	snprintf(t->tmp, sizeof t->tmp, "%.*s.%s.tmp.%ld.%lu", (int)(slash - path + 1), path, slash + 1,
	    (long)getpid(), __atomic_fetch_add(&serial, 1, __ATOMIC_RELAXED));
	t->tmpname = t->tmp + (slash - path + 1);
	if ((t->fd = openat(t->dirfd, t->tmpname, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0666)) < 0) {
		int saved = errno;

		snprintf(err, errlen, "%.400s: %s", t->tmp, strerror(errno));
		tmpfile_done(t);
		errno = saved;
		return -1;
	}
	return 0;
}

int
ig_tmpfile_commit(struct ig_tmpfile *t, char *err, size_t errlen)
{
	int fd = t->fd;

	/* writeback starts now, unwaited: see path.h */
	sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	t->fd = -1;
	if (close(fd) != 0 || renameat(t->dirfd, t->tmpname, t->dirfd, ig_path_base(t->path)) != 0) {
		int saved = errno;

		snprintf(err, errlen, "%.400s: %s", t->path, strerror(errno));
		unlinkat(t->dirfd, t->tmpname, 0);
		tmpfile_done(t);
		errno = saved;
		return -1;
	}
	tmpfile_done(t);
	return 0;
}

int
ig_errno_is_system(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EFBIG || e == EIO || e == EROFS || e == ENOMEM ||
	    e == EMFILE || e == ENFILE || e == EACCES || e == EPERM;
}

void
ig_tmpfile_abandon(struct ig_tmpfile *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->dirfd >= 0)
		unlinkat(t->dirfd, t->tmpname, 0);
	tmpfile_done(t);
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

ssize_t
ig_pread_full(int fd, void *p, size_t n, off_t at)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, (char *)p + got, n - got, at + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

void
ig_path_url_from(const char *from, const char *to, struct ig_buf *out)
{
	size_t common = 0, i;

	/* the longest leading run of whole segments they share */
	for (i = 0; from[i] && from[i] == to[i]; i++)
		if (from[i] == '/')
			common = i;
	if (!from[i] && (to[i] == '/' || !to[i]))
		common = i;
	for (const char *p = from + common; *p; p++)
		if (*p == '/')
			ig_buf_adds(out, "../");
	for (const char *p = to + common + (to[common] == '/'); *p; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~/", c))
			ig_buf_addc(out, (char)c);
		else
			ig_buf_printf(out, "%%%02X", c);
	}
}

