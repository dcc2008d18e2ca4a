/* summary.h - a batch's progress in one line of JSON (ig-query summary)
 *
 * {"batch","name","status","jobs","by_status":{status: n},"images",
 *  "gridded","errors":{reason: n},"cost_usd"}: its jobs (generations by
 * batch_id), their images, the images with an enabled grid, the jobs in
 * error by their tasks' last error, and what the jobs cost. */
#ifndef IG_SUMMARY_H
#define IG_SUMMARY_H
#include <stdint.h>
#include <jv.h>

#include "store.h"

/* 0 with *out, MDB_NOTFOUND if there is no such batch, or an LMDB error */
int ig_batch_summary(struct ig_store *s, MDB_txn *txn, const uint8_t batch[16], jv *out);

#endif
