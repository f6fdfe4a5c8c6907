// The link's frames (templates/c/runtime/eenn_link.c) compiled for the host with gcc -Wall -Wextra -Werror over a
// loopback transport (a byte queue): a round trip, each error a receiver reports (a flipped bit, a wrong length,
// another model's hash, a wrong type, a frame cut short), the resync to the next good frame after each error and
// after garbage, and the bytes of a frame as src/devices/frame.ts encodes them.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATES_DIR } from '../../src/codegen/templates.js';
import { encodeFrame, FRAME_TYPES, LINK_STATUS } from '../../src/devices/frame.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';
import { HOST_CFLAGS } from '../codegen/host-run.js';

const HASH = 0xa5c3e1f0;
const PAYLOAD_BYTES = 37;
/** The test payload: byte i is i * 7 + 3 (no 0xEE 0x4C pair in 37 bytes, so no false magic inside it). */
const payload = Uint8Array.from({ length: PAYLOAD_BYTES }, (_, i) => (i * 7 + 3) & 0xff);

// Each case prints "name status type sequence bytes payload_matches"; the test reads them back.
const MAIN = String.raw`
#include <stdio.h>
#include <string.h>
#include "eenn_link.h"

#define HASH 0xA5C3E1F0u
#define PAYLOAD_BYTES 37u
#define QUEUE_BYTES 8192u

/* The loopback transport: what is sent is queued, what is received is taken from the queue. An empty queue is a
   line gone quiet: a timeout inside a frame, the end of the test while waiting for a frame's first byte. */
static uint8_t queue[QUEUE_BYTES];
static uint32_t head, tail;

void eenn_link_init(void) {}

int32_t eenn_link_send(const uint8_t *data, uint32_t length)
{
    memcpy(&queue[tail], data, length);
    tail += length;
    return EENN_LINK_OK;
}

int32_t eenn_link_recv(uint8_t *data, uint32_t length, uint32_t timeout_ms)
{
    if (tail - head < length) {
        head = tail;
        return timeout_ms != 0u ? EENN_LINK_E_TIMEOUT : EENN_LINK_E_IO;
    }
    memcpy(data, &queue[head], length);
    head += length;
    return EENN_LINK_OK;
}

uint64_t eenn_counter_read(void)
{
    static uint64_t ticks;
    return ++ticks;
}

static uint8_t sent[PAYLOAD_BYTES];

/* Receive one frame and print what the receiver says. */
static void receive(const char *name)
{
    uint8_t got[PAYLOAD_BYTES];
    eenn_link_frame_t frame;
    const int32_t status = eenn_link_recv_frame(HASH, got, PAYLOAD_BYTES, &frame);
    const int matches = frame.type == EENN_LINK_TYPE_TENSOR && memcmp(got, sent, PAYLOAD_BYTES) == 0;
    printf("%s %ld %lu %lu %lu %d\n", name, (long)status, (unsigned long)frame.type, (unsigned long)frame.sequence,
           (unsigned long)frame.bytes, matches);
}

/* Send a tensor frame and return where it starts in the queue, to spoil it afterwards. */
static uint32_t send_tensor(uint32_t hash, uint32_t sequence, uint32_t length)
{
    const uint32_t start = tail;
    (void)eenn_link_send_frame(hash, EENN_LINK_TYPE_TENSOR, sequence, sent, length);
    return start;
}

int main(void)
{
    for (uint32_t i = 0; i < PAYLOAD_BYTES; i++) {
        sent[i] = (uint8_t)(i * 7u + 3u);
    }

    /* The bytes of one frame, for the TypeScript side to compare. */
    (void)send_tensor(HASH, 3u, PAYLOAD_BYTES);
    printf("bytes ");
    for (uint32_t i = head; i < tail; i++) {
        printf("%02x", queue[i]);
    }
    printf("\n");
    receive("good");

    (void)eenn_link_send_frame(HASH, EENN_LINK_TYPE_END, 9u, 0, 0u);
    receive("end");

    uint32_t start = send_tensor(HASH, 6u, PAYLOAD_BYTES);
    queue[start + EENN_LINK_HEADER_BYTES + 10u] ^= 0x10u;
    receive("crc");
    (void)send_tensor(HASH, 7u, PAYLOAD_BYTES);
    receive("after_crc");

    start = send_tensor(HASH, 8u, PAYLOAD_BYTES);
    queue[start + EENN_LINK_OFFSET_HASH + 1u] ^= 0x01u;
    receive("hash_bit");

    (void)send_tensor(HASH, 10u, PAYLOAD_BYTES - 1u);
    receive("length");
    (void)send_tensor(HASH, 11u, PAYLOAD_BYTES);
    receive("after_length");

    (void)send_tensor(HASH ^ 0x100u, 12u, PAYLOAD_BYTES);
    receive("model");
    (void)send_tensor(HASH ^ 0x100u, 13u, PAYLOAD_BYTES - 1u);
    receive("model_length");
    (void)send_tensor(HASH, 14u, PAYLOAD_BYTES);
    receive("after_model");

    (void)eenn_link_send_frame(HASH, 7u, 15u, sent, PAYLOAD_BYTES);
    receive("type");
    (void)send_tensor(HASH, 16u, PAYLOAD_BYTES);
    receive("after_type");
    start = send_tensor(HASH, 17u, PAYLOAD_BYTES);
    queue[start + EENN_LINK_OFFSET_RESERVED] = 1u;
    receive("reserved");
    (void)send_tensor(HASH, 18u, PAYLOAD_BYTES);
    receive("after_reserved");

    /* Garbage, then a false magic whose "header" swallows the start of a real frame. */
    static const uint8_t garbage[] = { 0x13u, 0xEEu, 0x00u, 0xEEu, 0xEEu, 0x4Cu, 0x01u, 0x00u, 0x55u, 0x66u, 0x77u };
    (void)eenn_link_send(garbage, sizeof garbage);
    (void)send_tensor(HASH, 19u, PAYLOAD_BYTES);
    receive("false_magic");
    receive("after_false_magic");
    (void)eenn_link_send(garbage, 4u);
    (void)send_tensor(HASH, 20u, PAYLOAD_BYTES);
    receive("after_garbage");

    (void)send_tensor(HASH, 21u, PAYLOAD_BYTES);
    tail -= 10u;
    receive("short");
    (void)send_tensor(HASH, 22u, PAYLOAD_BYTES);
    receive("after_short");

    receive("quiet");
    return 0;
}
`;

interface Received {
  status: number;
  type: number;
  sequence: number;
  bytes: number;
  payloadMatches: boolean;
}

describe('link frames over a loopback transport (host gcc)', () => {
  let dir: string;
  const cases = new Map<string, Received>();
  let frameHex = '';

  beforeAll(async () => {
    dir = await makeTempDir('eenn-link-frame-');
    writeFileSync(join(dir, 'main.c'), MAIN);
    const runtime = join(TEMPLATES_DIR, 'runtime');
    const sources = ['main.c', join(runtime, 'eenn_link.c'), join(runtime, 'eenn_crc32.c')];
    await execa('gcc', [...HOST_CFLAGS, `-I${runtime}`, ...sources, '-o', 'frames'], { cwd: dir });
    const run = await execa(join(dir, 'frames'), [], { cwd: dir });
    for (const line of run.stdout.split('\n')) {
      const [name, ...fields] = line.split(' ');
      if (name === 'bytes') frameHex = fields[0]!;
      else {
        const [status, type, sequence, bytes, matches] = fields.map(Number);
        cases.set(name!, { status: status!, type: type!, sequence: sequence!, bytes: bytes!, payloadMatches: matches === 1 });
      }
    }
  }, 60_000);

  afterAll(async () => {
    if (dir) await removeTempDir(dir);
  });

  const frameBytes = PAYLOAD_BYTES + 20;

  it('sends the bytes src/devices/frame.ts encodes, and receives them back', () => {
    expect(frameHex).toBe(Buffer.from(encodeFrame(FRAME_TYPES.tensor, HASH, 3, payload)).toString('hex'));
    expect(cases.get('good')).toEqual({ status: LINK_STATUS.ok, type: 1, sequence: 3, bytes: frameBytes, payloadMatches: true });
    expect(cases.get('end')).toEqual({ status: LINK_STATUS.ok, type: 2, sequence: 9, bytes: 20, payloadMatches: false });
  });

  it('reports a flipped bit as a CRC error, in the payload or the header, and takes the next frame', () => {
    expect(cases.get('crc')).toMatchObject({ status: LINK_STATUS.crc, sequence: 6, bytes: frameBytes });
    expect(cases.get('hash_bit')).toMatchObject({ status: LINK_STATUS.crc, sequence: 8 });
    expect(cases.get('after_crc')).toMatchObject({ status: LINK_STATUS.ok, sequence: 7, payloadMatches: true });
  });

  it('reports a wrong length without reading a payload, then finds the next frame', () => {
    expect(cases.get('length')).toMatchObject({ status: LINK_STATUS.length, sequence: 10, bytes: 16 });
    expect(cases.get('after_length')).toMatchObject({ status: LINK_STATUS.ok, sequence: 11, payloadMatches: true });
  });

  it("reports another model's frame, whether its length fits or not", () => {
    expect(cases.get('model')).toMatchObject({ status: LINK_STATUS.model, sequence: 12 });
    expect(cases.get('model_length')).toMatchObject({ status: LINK_STATUS.model, sequence: 13, bytes: 16 });
    expect(cases.get('after_model')).toMatchObject({ status: LINK_STATUS.ok, sequence: 14, payloadMatches: true });
  });

  it('reports an unknown type or a reserved byte that is not 0', () => {
    expect(cases.get('type')).toMatchObject({ status: LINK_STATUS.type, type: 7, bytes: 16 });
    expect(cases.get('after_type')).toMatchObject({ status: LINK_STATUS.ok, sequence: 16 });
    expect(cases.get('reserved')).toMatchObject({ status: LINK_STATUS.type, sequence: 17 });
    expect(cases.get('after_reserved')).toMatchObject({ status: LINK_STATUS.ok, sequence: 18 });
  });

  it('resyncs after garbage, even when a false magic swallows the start of the next frame', () => {
    expect(cases.get('false_magic')!.status).not.toBe(LINK_STATUS.ok);
    expect(cases.get('after_false_magic')).toMatchObject({ status: LINK_STATUS.ok, sequence: 19, payloadMatches: true });
    expect(cases.get('after_garbage')).toMatchObject({ status: LINK_STATUS.ok, sequence: 20, payloadMatches: true });
  });

  it('times out on a frame cut short, and reports a quiet line while waiting for a frame as the transport says', () => {
    expect(cases.get('short')).toMatchObject({ status: LINK_STATUS.timeout, sequence: 21 });
    expect(cases.get('after_short')).toMatchObject({ status: LINK_STATUS.ok, sequence: 22 });
    expect(cases.get('quiet')).toMatchObject({ status: LINK_STATUS.io, sequence: 0xffffffff });
  });
});
