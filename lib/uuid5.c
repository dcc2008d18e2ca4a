/* uuid5.c - name-based UUIDs (RFC 9562 version 5), apart from uuid.c so
 * that only the commands that make them link OpenSSL. Not thread-safe:
 * callers make ids on one thread. */
#include <openssl/evp.h>

#include "err.h"
#include "uuid.h"

/* fixed for good: changing one changes every id made from it */
const uint8_t ig_ns_images[16] = {
	0x55, 0xd8, 0x7d, 0x10, 0x34, 0x34, 0x4c, 0x73,
	0xa8, 0x66, 0xa7, 0x76, 0xed, 0xd4, 0x22, 0x6f,
};
/* ig's own namespaces differ in their last byte */
#define IG_NS(last) { 0x6b, 0x1f, 0x3e, 0x52, 0x9c, 0x0a, 0x4d, 0x7e, \
	0x8f, 0x21, 0x5a, 0x44, 0x13, 0xc9, 0x77, (last) }
const uint8_t ig_ns_batches[16] = IG_NS(0x01);
const uint8_t ig_ns_jobs[16] = IG_NS(0x02);
const uint8_t ig_ns_metadata[16] = IG_NS(0x03);
const uint8_t ig_ns_tasks[16] = IG_NS(0x04);
const uint8_t ig_ns_grids[16] = IG_NS(0x05);
const uint8_t ig_ns_overlays[16] = IG_NS(0x06);

void
ig_uuid_v5(const uint8_t ns[16], const char *name, size_t n, uint8_t out[16])
{
	/* one context and one fetched digest for the process: a plan makes an
	 * id per job, and OpenSSL 3's per-call setup would cost more than SHA-1 */
	static EVP_MD_CTX *ctx;
	static EVP_MD *sha1;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len;

	if (!ctx && (!(ctx = EVP_MD_CTX_new()) || !(sha1 = EVP_MD_fetch(NULL, "SHA1", NULL))))
		ig_die(IG_EXIT_SYSTEM, "SHA-1 is not available");
	if (!EVP_DigestInit_ex2(ctx, sha1, NULL) ||
	    !EVP_DigestUpdate(ctx, ns, 16) || !EVP_DigestUpdate(ctx, name, n) ||
	    !EVP_DigestFinal_ex(ctx, md, &len))
		ig_die(IG_EXIT_SYSTEM, "SHA-1 failed");
	for (int i = 0; i < 16; i++)
		out[i] = md[i];
	out[6] = (uint8_t)(0x50 | (out[6] & 0x0f));
	out[8] = (uint8_t)(0x80 | (out[8] & 0x3f));
}

void
ig_uuid_v5_text(const uint8_t ns[16], const char *name, size_t n, char out[IG_UUID_TEXT])
{
	uint8_t u[16];

	ig_uuid_v5(ns, name, n, u);
	ig_uuid_format(u, out);
}
