/* hash.c - hashing files at the speed of the slowest hash */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <xxhash.h>

#include "err.h"
#include "hash.h"
#include "path.h"

/* small enough that both hashes read it from L2 (64 KiB measured best) */
#define READ_SIZE (64 * 1024)
/* mapped at a time: a multiple of the page size */
#define MAP_WINDOW ((off_t)4 << 20)

struct ig_hasher {
	EVP_MD_CTX *sha;
	XXH3_state_t *xxh;
	unsigned char *buf;
};

/* A mapped file cut shorter while it is read faults with SIGBUS: the
 * faulting thread jumps back and reports the file, instead of dying. */
static __thread sigjmp_buf *bus_jump;

static void
on_bus(int sig)
{
	if (bus_jump)
		siglongjmp(*bus_jump, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

struct ig_hasher *
ig_hasher_new(void)
{
	struct ig_hasher *h = ig_malloc(sizeof *h);

	struct sigaction sa = { 0 };

	sa.sa_handler = on_bus;
	sigaction(SIGBUS, &sa, NULL);
	h->sha = EVP_MD_CTX_new();
	h->xxh = XXH3_createState();
	h->buf = ig_malloc(READ_SIZE);
	if (!h->sha || !h->xxh)
		ig_die(IG_EXIT_SYSTEM, "out of memory for hash states");
	return h;
}

void
ig_hasher_free(struct ig_hasher *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->sha);
	XXH3_freeState(h->xxh);
	free(h->buf);
	free(h);
}

static void
hex(char *out, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void
ig_hash_begin(struct ig_hasher *h, struct ig_facts *f)
{
	memset(f, 0, sizeof *f);
	ig_imghdr_init(&f->img);
	if (!EVP_DigestInit_ex(h->sha, EVP_sha256(), NULL) ||
	    XXH3_128bits_reset(h->xxh) != XXH_OK)
		ig_die(IG_EXIT_SYSTEM, "hash initialisation failed");
}

void
ig_hash_feed(struct ig_hasher *h, struct ig_facts *f, const void *p, size_t n)
{
	if (!EVP_DigestUpdate(h->sha, p, n))
		ig_die(IG_EXIT_SYSTEM, "SHA-256 failed");
	XXH3_128bits_update(h->xxh, p, n);
	ig_imghdr_feed(&f->img, p, n);
	f->size += n;
}

void
ig_hash_end(struct ig_hasher *h, struct ig_facts *f)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	XXH128_canonical_t canon;

	ig_imghdr_finish(&f->img);
	ig_imghdr_free(&f->img);
	if (!EVP_DigestFinal_ex(h->sha, md, &mdlen))
		ig_die(IG_EXIT_SYSTEM, "SHA-256 failed");
	hex(f->sha256, md, mdlen);
	XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(h->xxh));
	hex(f->xxh128, canon.digest, sizeof canon.digest);
}

int
ig_hash_file(struct ig_hasher *h, const char *path, struct ig_facts *f)
{
	struct stat st;
	int fd;
	volatile int rc = -1;
	ssize_t n;

	ig_hash_begin(h, f);
	if ((fd = ig_open_regular(path, f->err, sizeof f->err)) < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		snprintf(f->err, sizeof f->err, "%s", strerror(errno));
		goto out;
	}
	/* one pass: every byte feeds both hashes and the header reader. The
	 * file is mapped a window at a time, which spares the copy a read
	 * makes and keeps memory to one window whatever the file's size. */
	if (st.st_size > 0) {
		sigjmp_buf jump;
		unsigned char *volatile m = NULL;
		volatile size_t len = 0;

		if (sigsetjmp(jump, 1)) {
			bus_jump = NULL;
			munmap(m, len);
			snprintf(f->err, sizeof f->err, "the file shrank while it was read");
			goto out;
		}
		bus_jump = &jump;
		for (off_t off = 0; off < st.st_size; off += MAP_WINDOW) {
			len = st.st_size - off < MAP_WINDOW ? (size_t)(st.st_size - off) : MAP_WINDOW;
			m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, off);
			if (m == MAP_FAILED) {
				bus_jump = NULL;
				snprintf(f->err, sizeof f->err, "%s", strerror(errno));
				goto out;
			}
			for (size_t at = 0; at < len; at += READ_SIZE)
				ig_hash_feed(h, f, m + at, len - at < READ_SIZE ? len - at : READ_SIZE);
			munmap(m, len);
		}
		bus_jump = NULL;
	} else {
		/* no size to map, yet perhaps content (procfs): read it */
		while ((n = read(fd, h->buf, READ_SIZE)) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				snprintf(f->err, sizeof f->err, "%s", strerror(errno));
				goto out;
			}
			ig_hash_feed(h, f, h->buf, (size_t)n);
		}
	}
	ig_hash_end(h, f);
	rc = 0;
out:
	ig_imghdr_free(&f->img);
	close(fd);
	return rc;
}
