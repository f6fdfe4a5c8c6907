// What the link's framing costs each Cortex-M target in QEMU (runtime/eenn_link.c over eenn_link_uart_cmsdk.c):
// instructions to send and to receive frames of 0, 16 and 784 payload bytes, the waits for the line left out. The
// cost is a fixed part plus a part per frame byte, the same on every run: what src/devices/frame.ts's LINK_COSTS
// model. The figures are printed for calibrating them.

import { createServer, type Socket } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFirmware } from '../../src/codegen/firmware.js';
import { encodeFrame, frameBytes, FRAME_TYPES, LINK_COST_TOLERANCE, LINK_STATUS, linkCosts } from '../../src/devices/frame.js';
import { emulatorCommand, listTargets, loadTarget, type Target } from '../../src/target/target.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';

const HASH = 0x1234;
/** Payload bytes of the frames measured; the first is an end frame. */
const PAYLOADS = [0, 16, 784];
const RESULTS_FILE = 'linkcost.dat';
/** Waits before the frames are written to the emulator, so that it waits for them (and the wait is left out). */
const SEND_DELAY_MS = 200;
const RUN_LIMIT_MS = 30_000;
/**
 * The cost per byte from the end frame to the 36-byte frame agrees with the one to the 804-byte frame within this
 * share (a tensor frame's payload adds a CRC call and a few branches an end frame does not have).
 */
const LINEAR_TOLERANCE = 0.2;

// Sends then receives one frame of each size and writes, as uint64: the ticks of each send, of each receive (its
// waits left out), each receive's status and frame bytes.
const MAIN = String.raw`
#include <stdint.h>
#include "eenn_link.h"
#include "eenn_platform.h"

#define FRAMES 3u
static uint8_t payload[800] __attribute__((aligned(16)));
static const uint32_t sizes[FRAMES] = { ${PAYLOADS.map((n) => `${n}u`).join(', ')} };

int main(void)
{
    uint64_t results[4u * FRAMES];
    eenn_counter_start();
    const uint64_t first = eenn_counter_read();
    const uint64_t overhead = eenn_counter_read() - first;
    eenn_link_init();
    for (uint32_t k = 0; k < FRAMES; k++) {
        const uint64_t start = eenn_counter_read();
        (void)eenn_link_send_frame(${HASH}u, sizes[k] != 0u ? EENN_LINK_TYPE_TENSOR : EENN_LINK_TYPE_END, k, payload, sizes[k]);
        results[k] = eenn_counter_read() - start - overhead;
    }
    for (uint32_t k = 0; k < FRAMES; k++) {
        eenn_link_frame_t frame;
        const int32_t status = eenn_link_recv_frame(${HASH}u, payload, sizes[k] != 0u ? sizes[k] : 1u, &frame);
        const uint64_t end = eenn_counter_read();
        results[FRAMES + k] = end - frame.start_ticks - overhead - frame.wait_ticks;
        results[2u * FRAMES + k] = (uint64_t)status;
        results[3u * FRAMES + k] = frame.bytes;
    }
    const eenn_file_t file = eenn_file_open_write("${RESULTS_FILE}");
    const int32_t failed = eenn_file_write(file, results, sizeof results) | eenn_file_close(file);
    return failed != 0;
}
`;

interface LinkCost {
  send: number[];
  receive: number[];
}

describe('link framing costs on every emulator target', () => {
  let dir = '';
  const costs = new Map<string, LinkCost>();

  /** Instructions of `ticks` counter ticks under QEMU's -icount (eenn_platform.h). */
  const instructions = (target: Target, ticks: number): number =>
    target.counter.source === 'systick' ? Math.round((ticks * (1e9 / target.counter.hz)) / 2 ** target.emulator!.icountShift) : 0;

  /** Build the harness for `target`, run it with a socket that sends it the frames, and read its results. */
  async function measure(target: Target): Promise<LinkCost> {
    const folder = join(dir, target.name);
    const files = renderFirmware(target, {
      modelName: 'linkcost',
      kernelSources: [],
      modelSources: [],
      inputBytes: [PAYLOADS.at(-1)!],
      outputBytes: [],
      device: { role: 'node', modelHash: HASH, cutTensor: 'x', payloadBytes: PAYLOADS.at(-1)!, nodeExits: 0, noModel: true, baud: 115_200 },
    });
    for (const [path, text] of files) {
      mkdirSync(dirname(join(folder, path)), { recursive: true });
      writeFileSync(join(folder, path), text);
    }
    writeFileSync(join(folder, 'main.c'), MAIN);
    await execa('make', ['-s'], { cwd: folder });

    const frames = Buffer.concat(
      PAYLOADS.map((bytes, k) => encodeFrame(bytes === 0 ? FRAME_TYPES.end : FRAME_TYPES.tensor, HASH, k, new Uint8Array(bytes))),
    );
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
      socket.resume(); // what the harness sends is not needed
      setTimeout(() => socket.write(frames), SEND_DELAY_MS);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const [program, ...args] = emulatorCommand(target, 'linkcost.elf', { serial: target.uart!.qemuSerial, port });
      const run = await execa(program, args, { cwd: folder, reject: false, timeout: RUN_LIMIT_MS });
      expect(run.exitCode, `${target.name}: ${run.stderr}`).toBe(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const data = readFileSync(join(folder, RESULTS_FILE));
    const values = Array.from({ length: data.length / 8 }, (_, k) => Number(data.readBigUInt64LE(k * 8)));
    const n = PAYLOADS.length;
    expect(values.slice(2 * n, 3 * n), target.name).toEqual(PAYLOADS.map(() => LINK_STATUS.ok));
    expect(values.slice(3 * n), target.name).toEqual(PAYLOADS.map(frameBytes));
    return {
      send: values.slice(0, n).map((ticks) => instructions(target, ticks)),
      receive: values.slice(n, 2 * n).map((ticks) => instructions(target, ticks)),
    };
  }

  beforeAll(async () => {
    dir = await makeTempDir('eenn-link-cost-');
    for (const name of listTargets()) {
      const target = loadTarget(name);
      if (target.emulator && target.uart) costs.set(name, await measure(target));
    }
  }, 300_000);

  afterAll(async () => {
    if (dir) await removeTempDir(dir);
  });

  it('measures every emulator target with a UART for the link', () => {
    expect([...costs.keys()].sort()).toEqual(
      listTargets()
        .filter((name) => loadTarget(name).emulator && loadTarget(name).uart)
        .sort(),
    );
    expect(costs.size).toBeGreaterThanOrEqual(6);
  });

  it('costs a fixed part plus a part per frame byte, to send and to receive', () => {
    const rows: string[] = [];
    for (const [name, cost] of costs) {
      for (const [what, values] of [
        ['send', cost.send],
        ['receive', cost.receive],
      ] as const) {
        const bytes = PAYLOADS.map(frameBytes);
        const perByte = (values[2]! - values[0]!) / (bytes[2]! - bytes[0]!);
        const perByteSmall = (values[1]! - values[0]!) / (bytes[1]! - bytes[0]!);
        expect(Math.abs(perByteSmall - perByte) / perByte, `${name} ${what}`).toBeLessThan(LINEAR_TOLERANCE);
        const fixed = values[0]! - perByte * bytes[0]!;
        expect(fixed, `${name} ${what}`).toBeGreaterThan(0);
        rows.push(
          `${name} ${what}: ${Math.round(fixed)} + ${perByte.toFixed(2)} per frame byte (${values.join(', ')} for frames of ${bytes.join(', ')} bytes)`,
        );
      }
    }
    console.log(`link framing instructions in QEMU:\n${rows.join('\n')}`);
  });

  it('is what the cost model charges each target (linkCosts), within LINK_COST_TOLERANCE on the largest frame', () => {
    const frame = frameBytes(PAYLOADS.at(-1)!);
    for (const [name, cost] of costs) {
      const model = linkCosts(loadTarget(name));
      const predicted = { send: model.sendFixed + model.sendPerByte * frame, receive: model.recvFixed + model.recvPerByte * frame };
      for (const [what, measured] of [
        ['send', cost.send.at(-1)!],
        ['receive', cost.receive.at(-1)!],
      ] as const) {
        expect(Math.abs(predicted[what] - measured) / measured, `${name} ${what}: predicted ${predicted[what]}, measured ${measured}`).toBeLessThan(
          LINK_COST_TOLERANCE,
        );
      }
    }
  });
});
