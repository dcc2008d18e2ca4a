/* summary.h - a batch's progress in one line of JSON (ig-query summary)
 *
 * {"batch","name","status","jobs","by_status":{status: n},"images",
 *  "gridded","errors":{reason: n},"cost_usd"}: its jobs, their images, the
 * images with a grid that is on, the jobs in error by their tasks' last
 * reason, and what the jobs cost, as the model's summary names them
 * (struct ig_summary); the status and cost keys are their fields' names. */
#ifndef IG_SUMMARY_H
#define IG_SUMMARY_H
#include <stdint.h>
#include <jv.h>

#include "store.h"

/* 0 with *out, MDB_NOTFOUND if there is no such batch, or an LMDB error */
int ig_batch_summary(struct ig_store *s, MDB_txn *txn, const uint8_t batch[16], jv *out);

#endif
