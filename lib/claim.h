/* claim.h - one live process at a time works on a record
 *
 * A claim is an open-file-description lock on one byte of the store's file
 * "claims", at an offset made from the record's id. The kernel drops it when
 * the process ends, however it ends, so a claim never outlives its holder:
 * a record the model says is being worked on (its lifecycle's working
 * stage) whose claim nobody holds was abandoned, and the store gives it back
 * (ig_record_recover). Locks of one description never conflict with each
 * other, so a process asking whether a claim is held learns only of others.
 */
#ifndef IG_CLAIM_H
#define IG_CLAIM_H
#include <stdint.h>

/* the claims file of a store directory, opened (and made); an fd or -1 */
int ig_claims_open(const char *store_dir);
/* 1 taken (or held already by this process), 0 another process holds it, -1 errno */
int ig_claim_take(int fd, const uint8_t id[16]);
/* lets it go; -1 errno */
int ig_claim_drop(int fd, const uint8_t id[16]);
/* 1 if another process holds it, 0 if none does, -1 errno */
int ig_claim_held(int fd, const uint8_t id[16]);

#endif
