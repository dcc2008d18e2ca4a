/* path.h - output paths that stay inside their root */
#ifndef IG_PATH_H
#define IG_PATH_H
#include <stddef.h>

/* 1 if path is absolute or has a .. component: it may leave the root */
int ig_path_leaves_root(const char *path);

/* path made absolute against the working directory and normalized: no
 * ".", no "..", no empty segments, no trailing slash (".." is taken
 * lexically: a link's target is not followed). 0, or an errno. */
int ig_path_absolute(const char *path, char **out);

/* the path to `to` from directory `from`, both absolute and normalized,
 * as a relative URL: "../" up to their common directory, then the rest,
 * each byte but unreserved ones and '/' percent-encoded; appended to out */
struct ig_buf;
void ig_path_url_from(const char *from, const char *to, struct ig_buf *out);

/* the last segment of a path */
const char *ig_path_base(const char *path);

/* A file opened for reading only if it is a regular file: opened without
 * blocking, so that a FIFO or a device is refused at once instead of
 * hanging the open. An fd, or -1 with the reason in err. */
int ig_open_regular(const char *path, char *err, size_t errlen);

/* mkdir -p: dir and every parent it needs; 0, or an errno */
int ig_path_mkdirs(const char *dir);

/*
 * A file is written under a temporary name beside it, then renamed: a crash
 * never leaves half a file under the real name. Writeback starts at commit
 * but is not waited for (an fsync per file makes every transfer wait on the
 * disk); callers sync the file system (ig_path_syncfs) once for a group of
 * files before any record naming them leaves, and after a power cut a torn
 * file is no sound image, so a re-run makes it again.
 */
#define IG_TMP_PATH 4200
/* all n bytes to fd, through short writes and signals; 0, or -1 with errno */
int ig_write_all(int fd, const void *p, size_t n);
/* n bytes from offset at, short reads joined: bytes read (fewer at the
 * end of the file), or -1 with errno */
ssize_t ig_pread_full(int fd, void *p, size_t n, off_t at);

/*
 * An output root: a directory opened once, under which files are made
 * relative to it, so that no symbolic link inside leads a write out of it.
 * Each directory on the way is resolved beneath the root (openat2 with
 * RESOLVE_BENEATH, so a link that stays inside is followed), or, on a
 * kernel without openat2, opened with O_NOFOLLOW (no link is followed).
 */
struct ig_root {
	int fd;			/* -1: no root, files go where their path says */
	char *path;		/* absolute, normalized */
};
/* dir made (mkdir -p) and opened as a root; 0, or an errno */
int ig_root_open(struct ig_root *root, const char *dir);
void ig_root_close(struct ig_root *root);
/* 1 if the absolute, normalized path is inside the root (or there is none) */
int ig_root_holds(const struct ig_root *root, const char *path);

/* a file being written under a temporary name in the directory it goes in */
struct ig_tmpfile {
	int fd, dirfd;
	char tmp[IG_TMP_PATH];	/* the whole temporary path, for messages */
	const char *tmpname;	/* its last segment, in tmp */
	char *path;		/* where it goes */
};
/* the temporary file for path (absolute, normalized), its directories
 * made; under root, path must be inside it and is reached beneath it.
 * 0, or -1 with the reason in err (errno kept). */
int ig_tmpfile_open(struct ig_tmpfile *t, const struct ig_root *root, const char *path,
    char *err, size_t errlen);
/* closes the file and renames it into place; on failure removes it */
int ig_tmpfile_commit(struct ig_tmpfile *t, char *err, size_t errlen);
/* closes and removes it */
void ig_tmpfile_abandon(struct ig_tmpfile *t);
/* 1 if a write failed for the machine's sake (space, quota, the disk,
 * permissions), not the input's: exit 3, and the work stays to do */
int ig_errno_is_system(int e);
/* the file system path is on, written to disk; 0, or -1 with errno */
int ig_path_syncfs(const char *path);

#endif
