/* path.h - output paths that stay inside their root */
#ifndef IG_PATH_H
#define IG_PATH_H

/* 1 if path is absolute or has a .. component: it may leave the root */
int ig_path_leaves_root(const char *path);

/* mkdir -p: dir and every parent it needs; 0, or an errno */
int ig_path_mkdirs(const char *dir);

#endif
