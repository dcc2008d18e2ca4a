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
/* creates the parent directories and the temporary file: an fd, or -1 */
int ig_tmpfile_open(const char *path, char tmp[], size_t tmplen, char *err, size_t errlen);
/* closes the file and renames it to path; on failure removes it */
int ig_tmpfile_commit(int fd, const char *tmp, const char *path, char *err, size_t errlen);
/* closes and removes it */
void ig_tmpfile_abandon(int fd, const char *tmp);
/* the file system path is on, written to disk; 0, or -1 with errno */
int ig_path_syncfs(const char *path);

#endif
