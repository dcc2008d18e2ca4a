/* claim.c - claims as byte locks on the store's claims file */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "claim.h"

int
ig_claims_open(const char *store_dir)
{
	char path[4200];

	snprintf(path, sizeof path, "%s/claims", store_dir);
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
}

/* UUIDv7 and v5 carry random or hashed bits in their last eight bytes:
 * they spread claims over 2^62 offsets, so two records share one by chance
 * only, and then a claim waits for the other to end, never both run */
static off_t
offset(const uint8_t id[16])
{
	uint64_t v = 0;

	for (int i = 8; i < 16; i++)
		v = v << 8 | id[i];
	return (off_t)(v & 0x3fffffffffffffffULL);
}

static int
lock(int fd, int cmd, short type, const uint8_t id[16])
{
	struct flock fl;

	memset(&fl, 0, sizeof fl);
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = offset(id);
	fl.l_len = 1;
	if (fcntl(fd, cmd, &fl) != 0)
		return (cmd == F_OFD_SETLK && (errno == EAGAIN || errno == EACCES)) ? 0 : -1;
	return cmd == F_OFD_GETLK ? fl.l_type != F_UNLCK : 1;
}

int
ig_claim_take(int fd, const uint8_t id[16])
{
	return lock(fd, F_OFD_SETLK, F_WRLCK, id);
}

int
ig_claim_drop(int fd, const uint8_t id[16])
{
	return lock(fd, F_OFD_SETLK, F_UNLCK, id) == 1 ? 0 : -1;
}

int
ig_claim_held(int fd, const uint8_t id[16])
{
	return lock(fd, F_OFD_GETLK, F_WRLCK, id);
}
