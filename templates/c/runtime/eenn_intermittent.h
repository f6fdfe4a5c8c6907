/*
 * eenn_intermittent.h - the progress record of an intermittent build: what survives a power failure and says
 * where the inference stands.
 *
 * An intermittent model (model.h: EENN_INTERMITTENT) runs its inference in tasks; after each task it commits
 * "next task = t + 1" to non-volatile memory (NVM). The record is double-buffered: two slots, each
 *
 *   uint32 magic       EENN_RECORD_MAGIC ("EENT")
 *   uint32 sequence    one more than the record before it (wraps; compared modulo 2^32)
 *   uint32 next_task   the task the inference goes on with
 *   int32  exit        EENN_RECORD_RUNNING (-1) while the inference runs, else the exit it took (done)
 *   uint32 model_hash  the model that wrote it (model.c's EENN_MODEL_HASH): another firmware's record is ignored
 *   uint32 crc         CRC-32 (IEEE 802.3, reflected, as zlib) of the five fields before it
 *
 * A commit writes the slot that does not hold the newest valid record, fields first and the CRC last, with a
 * memory barrier before (the data the record vouches for is in NVM first) and after. A slot is valid when its
 * magic, CRC and model hash match; the newest valid slot is the one with the later sequence. A failure at any
 * instruction of a commit leaves either the old record (the slot being written does not check) or the new one
 * as the newest valid: never a mix.
 */
#ifndef EENN_INTERMITTENT_H
#define EENN_INTERMITTENT_H

#include <stdint.h>

#include "eenn_crc32.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EENN_RECORD_MAGIC 0x544E4545u /* "EENT" in memory order (little-endian) */
#define EENN_RECORD_SLOTS 2           /* double-buffered */
#define EENN_RECORD_BYTES 24u         /* one slot: six 32-bit fields */
#define EENN_RECORD_RUNNING (-1)      /* exit field of an unfinished inference */
#define EENN_RECORD_NONE (-1)         /* eenn_record_newest(): no valid slot */

/** One slot of the progress record (layout above; 4-byte aligned, no padding). */
typedef struct eenn_record {
    uint32_t magic;
    uint32_t sequence;
    uint32_t next_task;
    int32_t exit;
    uint32_t model_hash;
    uint32_t crc;
} eenn_record_t;

/** A run of bytes of the model's state saved to (or restored from) NVM at a commit: its offset in the state. */
typedef struct eenn_nvm_range {
    uint32_t offset;
    uint32_t bytes;
} eenn_nvm_range_t;

/** 1 when `record` holds a whole record written by the model of `model_hash` (magic, CRC and hash match), else 0. */
int32_t eenn_record_valid(const volatile eenn_record_t *record, uint32_t model_hash);

/**
 * The slot (0 or 1) of the newest valid record, or EENN_RECORD_NONE when neither is valid. Of two valid slots the
 * one with the later sequence number wins, compared modulo 2^32 (so 0 follows 0xFFFFFFFF).
 */
int32_t eenn_record_newest(const volatile eenn_record_t slots[EENN_RECORD_SLOTS], uint32_t model_hash);

/**
 * Commit: writes the slot other than `newest` (slot 0 when `newest` is EENN_RECORD_NONE) with `sequence`,
 * `next_task`, `exit` and `model_hash`, the CRC last, between memory barriers. Returns the slot written, which is
 * the newest valid one once this returns.
 */
int32_t eenn_record_commit(volatile eenn_record_t slots[EENN_RECORD_SLOTS], int32_t newest, uint32_t sequence, uint32_t next_task,
                           int32_t exit, uint32_t model_hash);

/** Copy `bytes` bytes (the areas of the state never overlap the caller's buffers). */
void eenn_copy_bytes(void *to, const void *from, uint32_t bytes);

#ifdef __cplusplus
}
#endif

#endif /* EENN_INTERMITTENT_H */
