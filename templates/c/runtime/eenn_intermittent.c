/*
 * eenn_intermittent.c - the progress record of an intermittent build (eenn_intermittent.h): its checksum (the
 * CRC-32 of eenn_crc32.c), the choice of the newest valid slot at resume, and the commit. Generated model.c files
 * call these; the record's layout and the reasoning about failures are in the header.
 */
#include "eenn_intermittent.h"

#include <stddef.h>

/*
 * Memory barrier: every store before it is complete (in NVM, for a memory-mapped part) before any store after
 * it. DMB orders the stores as the memory system sees them (Armv6-M and later); elsewhere a sequentially
 * consistent fence, which also keeps the compiler from moving stores across it.
 */
static inline void nvm_barrier(void)
{
#if defined(__ARM_ARCH)
    __asm__ volatile("dmb"
                     :
                     :
                     : "memory");
#else
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/** The CRC of a slot's fields before the CRC, read once each (the slot may sit in memory-mapped NVM). */
static uint32_t record_crc(const volatile eenn_record_t *record)
{
    const eenn_record_t copy = {
        .magic = record->magic,
        .sequence = record->sequence,
        .next_task = record->next_task,
        .exit = record->exit,
        .model_hash = record->model_hash,
        .crc = 0u,
    };
    return eenn_crc32(&copy, (uint32_t)offsetof(eenn_record_t, crc));
}

int32_t eenn_record_valid(const volatile eenn_record_t *record, uint32_t model_hash)
{
    return record->magic == EENN_RECORD_MAGIC && record->model_hash == model_hash && record->crc == record_crc(record);
}

int32_t eenn_record_newest(const volatile eenn_record_t slots[EENN_RECORD_SLOTS], uint32_t model_hash)
{
    const int32_t valid0 = eenn_record_valid(&slots[0], model_hash);
    const int32_t valid1 = eenn_record_valid(&slots[1], model_hash);
    if (valid0 && valid1) {
        /* Later modulo 2^32: the difference read as signed is positive. */
        const int32_t later1 = (int32_t)(slots[1].sequence - slots[0].sequence) > 0;
        return later1 ? 1 : 0;
    }
    if (valid0) {
        return 0;
    }
    return valid1 ? 1 : EENN_RECORD_NONE;
}

int32_t eenn_record_commit(volatile eenn_record_t slots[EENN_RECORD_SLOTS], int32_t newest, uint32_t sequence, uint32_t next_task,
                           int32_t exit, uint32_t model_hash)
{
    const int32_t slot = newest == 0 ? 1 : 0;
    volatile eenn_record_t *record = &slots[slot];
    const eenn_record_t fields = {
        .magic = EENN_RECORD_MAGIC,
        .sequence = sequence,
        .next_task = next_task,
        .exit = exit,
        .model_hash = model_hash,
        .crc = 0u,
    };
    const uint32_t crc = eenn_crc32(&fields, (uint32_t)offsetof(eenn_record_t, crc));
    nvm_barrier(); /* what the record vouches for is written before it */
    record->magic = fields.magic;
    record->sequence = fields.sequence;
    record->next_task = fields.next_task;
    record->exit = fields.exit;
    record->model_hash = fields.model_hash;
    nvm_barrier(); /* the fields before the CRC that makes them valid */
    record->crc = crc;
    nvm_barrier(); /* the record is in NVM before the next task writes anything */
    return slot;
}

void eenn_copy_bytes(void *to, const void *from, uint32_t bytes)
{
    uint8_t *out = (uint8_t *)to;
    const uint8_t *in = (const uint8_t *)from;
    for (uint32_t i = 0; i < bytes; i++) {
        out[i] = in[i];
    }
}
