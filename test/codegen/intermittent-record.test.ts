// The progress record of intermittent builds (templates/c/runtime/eenn_intermittent.c), compiled for the host with
// gcc -Wall -Wextra -Werror: its CRC-32 is zlib's; a commit cut off after any byte it stores leaves the old record
// or the new one as the newest valid, never a mix; sequence numbers wrap; a record of another model is not valid.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATES_DIR } from '../../src/codegen/templates.js';
import { HOST_CFLAGS } from './host-run.js';

// Each check prints one line "name value"; the test reads them back.
const MAIN = String.raw`
#include <stdio.h>
#include <string.h>
#include "eenn_intermittent.h"

#define HASH 0x12345678u

static void show(const char *name, long value) { printf("%s %ld\n", name, value); }

/* A commit of (sequence, next_task) over slots that hold old, cut off after "stored" bytes of the slot written:
   the slot gets the new bytes up to there and keeps the old ones after (stores of a field in any byte order are
   covered too: every prefix of every field is tried). Returns the newest valid slot and its next_task. */
static void cut_commit(const eenn_record_t old[2], int32_t newest, uint32_t sequence, uint32_t stored, int32_t *slot, uint32_t *task)
{
    eenn_record_t done[2];
    eenn_record_t cut[2];
    memcpy(done, old, sizeof done);
    const int32_t written = eenn_record_commit(done, newest, sequence, 7u, EENN_RECORD_RUNNING, HASH);
    memcpy(cut, old, sizeof cut);
    memcpy(&cut[written], &done[written], stored);
    *slot = eenn_record_newest(cut, HASH);
    *task = *slot >= 0 ? cut[*slot].next_task : 0u;
}

int main(void)
{
    show("crc_check", (long)eenn_crc32("123456789", 9u));
    show("crc_empty", (long)eenn_crc32("", 0u));

    eenn_record_t slots[2];
    memset(slots, 0, sizeof slots);
    show("empty_newest", eenn_record_newest(slots, HASH));

    /* Two commits: the second goes to the other slot and is the newest. */
    int32_t newest = eenn_record_commit(slots, EENN_RECORD_NONE, 1u, 3u, EENN_RECORD_RUNNING, HASH);
    show("first_slot", newest);
    newest = eenn_record_commit(slots, newest, 2u, 4u, EENN_RECORD_RUNNING, HASH);
    show("second_slot", newest);
    show("second_newest", eenn_record_newest(slots, HASH));
    show("second_task", (long)slots[eenn_record_newest(slots, HASH)].next_task);

    /* A commit of task 7 cut off after every byte: before the last byte of the CRC the old record (task 4) is the
       newest valid one, from then on the new one. Count the cuts that gave anything else. */
    long wrong = 0;
    for (uint32_t stored = 0; stored <= EENN_RECORD_BYTES; stored++) {
        int32_t slot;
        uint32_t task;
        cut_commit(slots, newest, 3u, stored, &slot, &task);
        const uint32_t want = stored == EENN_RECORD_BYTES ? 7u : 4u;
        if (slot < 0 || task != want) {
            wrong++;
        }
    }
    show("cut_wrong", wrong);

    /* The same over slots whose other slot is garbage (never written): the old record stays. */
    eenn_record_t garbage[2];
    memset(garbage, 0xA5, sizeof garbage);
    int32_t g = eenn_record_commit(garbage, EENN_RECORD_NONE, 10u, 4u, EENN_RECORD_RUNNING, HASH);
    long wrong_garbage = 0;
    for (uint32_t stored = 0; stored <= EENN_RECORD_BYTES; stored++) {
        int32_t slot;
        uint32_t task;
        cut_commit(garbage, g, 11u, stored, &slot, &task);
        if (slot < 0 || task != (stored == EENN_RECORD_BYTES ? 7u : 4u)) {
            wrong_garbage++;
        }
    }
    show("cut_wrong_garbage", wrong_garbage);

    /* Sequence numbers wrap: 0 follows 0xFFFFFFFF. */
    memset(slots, 0, sizeof slots);
    newest = eenn_record_commit(slots, EENN_RECORD_NONE, 0xFFFFFFFFu, 1u, EENN_RECORD_RUNNING, HASH);
    newest = eenn_record_commit(slots, newest, 0u, 2u, EENN_RECORD_RUNNING, HASH);
    const int32_t wrapped = eenn_record_newest(slots, HASH);
    show("wrap_newest_is_last", wrapped == newest);
    show("wrap_task", (long)slots[wrapped].next_task);

    /* A done record keeps its exit. */
    newest = eenn_record_commit(slots, newest, 1u, 5u, 2, HASH);
    show("done_exit", slots[eenn_record_newest(slots, HASH)].exit);

    /* Another model's record is never valid; a flipped bit neither. */
    show("other_hash", eenn_record_newest(slots, HASH ^ 1u));
    slots[newest].next_task ^= 0x100u;
    show("flipped_newest_is_other", eenn_record_newest(slots, HASH) == 1 - newest);
    return 0;
}
`;

describe('the progress record of intermittent builds (host gcc)', () => {
  let dir: string;
  const values = new Map<string, number>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eenn-record-'));
    writeFileSync(join(dir, 'main.c'), MAIN);
    const runtime = join(TEMPLATES_DIR, 'runtime');
    await execa('gcc', [...HOST_CFLAGS, `-I${runtime}`, 'main.c', join(runtime, 'eenn_intermittent.c'), join(runtime, 'eenn_crc32.c'), '-o', 'record'], { cwd: dir });
    const run = await execa(join(dir, 'record'), [], { cwd: dir });
    for (const line of run.stdout.split('\n')) {
      const [name, value] = line.split(' ');
      values.set(name!, Number(value));
    }
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("computes zlib's CRC-32", () => {
    expect(values.get('crc_check')! >>> 0).toBe(0xcbf43926);
    expect(values.get('crc_empty')).toBe(0);
  });

  it('commits to the slot that does not hold the newest record', () => {
    expect(values.get('empty_newest')).toBe(-1);
    expect(values.get('first_slot')).toBe(0);
    expect(values.get('second_slot')).toBe(1);
    expect(values.get('second_newest')).toBe(1);
    expect(values.get('second_task')).toBe(4);
  });

  it('leaves the old or the new record newest-valid whatever byte a commit is cut after', () => {
    expect(values.get('cut_wrong')).toBe(0);
    expect(values.get('cut_wrong_garbage')).toBe(0);
  });

  it('orders sequence numbers across the wrap', () => {
    expect(values.get('wrap_newest_is_last')).toBe(1);
    expect(values.get('wrap_task')).toBe(2);
    expect(values.get('done_exit')).toBe(2);
  });

  it("ignores another model's record and a corrupted one", () => {
    expect(values.get('other_hash')).toBe(-1);
    expect(values.get('flipped_newest_is_other')).toBe(1);
  });
});
