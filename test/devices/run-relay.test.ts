// The link relay with plain sockets standing in for the two emulators: bytes pass from node to gateway (and back),
// faults are drawn per byte from the seed, finish() pads and ends the gateway's stream after the node's last byte,
// and a peer that went away is never an error.

import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../src/toolchain/link-relay.js';
import { EennError } from '../../src/ir/diagnostics.js';

const relays: Relay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
});

async function relayWith(options?: Parameters<typeof startRelay>[0]): Promise<Relay> {
  const relay = await startRelay(options);
  relays.push(relay);
  return relay;
}

/** A client socket connected to `port`, collecting what it receives. */
async function peer(port: number): Promise<{ socket: Socket; received: () => Buffer; ended: Promise<void> }> {
  const chunks: Buffer[] = [];
  const socket = connect(port, '127.0.0.1');
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, received: () => Buffer.concat(chunks), ended };
}

/** End the socket's sending side and wait until it is fully closed. */
async function hangUp(socket: Socket): Promise<void> {
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.end();
  });
}

/** Poll `check` until it holds (the relay works on socket events). */
async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const bytes = (length: number, seed = 1): Buffer => Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff));
const END_FRAME = Uint8Array.from([0xee, 0x4c, 2, 0, 1, 2, 3, 4]);

describe('startRelay', () => {
  it('passes the node bytes to the gateway, then the padding and the end frame', async () => {
    const relay = await relayWith();
    expect(relay.nodePort).not.toBe(relay.gatewayPort);
    const gateway = await peer(relay.gatewayPort);
    const node = await peer(relay.nodePort);
    const sent = bytes(10_000);
    node.socket.write(sent.subarray(0, 4_000));
    node.socket.write(sent.subarray(4_000));
    await hangUp(node.socket);
    await relay.finish(END_FRAME, 37);
    await until(() => gateway.received().length === sent.length + 37 + END_FRAME.length);
    const got = gateway.received();
    expect(got.subarray(0, sent.length).equals(sent)).toBe(true);
    expect(got.subarray(sent.length, sent.length + 37).every((byte) => byte === 0)).toBe(true);
    expect(Buffer.from(got.subarray(sent.length + 37)).equals(Buffer.from(END_FRAME))).toBe(true);
    expect(relay.counts()).toEqual({ received: 10_000, forwarded: 10_000, dropped: 0, corrupted: 0, returned: 0 });
  });

  it('keeps the node bytes until the gateway connects, and passes gateway bytes back to the node', async () => {
    const relay = await relayWith();
    const node = await peer(relay.nodePort);
    node.socket.write(bytes(100));
    await until(() => relay.counts().received === 100);
    const gateway = await peer(relay.gatewayPort);
    await until(() => gateway.received().length === 100);
    expect(gateway.received().equals(bytes(100))).toBe(true);
    gateway.socket.write(Buffer.from('ack'));
    await until(() => node.received().toString() === 'ack');
    expect(relay.counts().returned).toBe(3);
  });

  it('drops and corrupts bytes as the seed says, the same way every time, and counts them', async () => {
    const run = async (): Promise<{ got: Buffer; counts: ReturnType<Relay['counts']> }> => {
      const relay = await relayWith({ faults: { dropRate: 0.01, corruptRate: 0.02, seed: 42 } });
      const gateway = await peer(relay.gatewayPort);
      const node = await peer(relay.nodePort);
      node.socket.write(bytes(20_000));
      await hangUp(node.socket);
      await relay.finish(new Uint8Array(0), 0);
      const counts = relay.counts();
      await until(() => gateway.received().length === counts.forwarded);
      return { got: gateway.received(), counts };
    };
    const first = await run();
    const second = await run();
    expect(first.got.equals(second.got)).toBe(true);
    const { received, forwarded, dropped, corrupted } = first.counts;
    expect(received).toBe(20_000);
    expect(forwarded + dropped).toBe(received);
    // 1% and 2% of 20,000 bytes: about 200 and 400.
    expect(dropped).toBeGreaterThan(100);
    expect(dropped).toBeLessThan(300);
    expect(corrupted).toBeGreaterThan(250);
    expect(corrupted).toBeLessThan(550);
    // Every corrupted byte differs from a sent one in exactly one bit; without drops the positions would line up,
    // so check the count of differing bytes on a run with corruption only.
    const relay = await relayWith({ faults: { dropRate: 0, corruptRate: 0.05, seed: 7 } });
    const gateway = await peer(relay.gatewayPort);
    const node = await peer(relay.nodePort);
    const sent = bytes(5_000, 3);
    node.socket.write(sent);
    await hangUp(node.socket);
    await relay.finish(new Uint8Array(0), 0);
    await until(() => gateway.received().length === sent.length);
    const got = gateway.received();
    let differing = 0;
    for (let i = 0; i < sent.length; i++) {
      const flipped = sent[i]! ^ got[i]!;
      if (flipped === 0) continue;
      differing++;
      expect(flipped & (flipped - 1)).toBe(0);
    }
    expect(differing).toBe(relay.counts().corrupted);
  });

  it('passes the node bytes on in whole frames when given their size, the rest when the node closes', async () => {
    const relay = await relayWith({ frameBytes: 100 });
    const gateway = await peer(relay.gatewayPort);
    const node = await peer(relay.nodePort);
    const sent = bytes(270);
    for (let at = 0; at < 150; at += 10) node.socket.write(sent.subarray(at, at + 10));
    await until(() => relay.counts().received === 150);
    await until(() => gateway.received().length === 100);
    // Half a frame is held back until the rest of it has come.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(gateway.received().length).toBe(100);
    node.socket.write(sent.subarray(150));
    await until(() => gateway.received().length === 200);
    await hangUp(node.socket);
    await relay.finish(END_FRAME, 0);
    await until(() => gateway.received().length === 270 + END_FRAME.length);
    expect(gateway.received().subarray(0, 270).equals(sent)).toBe(true);
    await expect(startRelay({ frameBytes: 0 })).rejects.toThrow(/frame of 0 bytes/);
  });

  it('finishes when the gateway has already gone, and when the node never connected', async () => {
    const relay = await relayWith();
    const gateway = await peer(relay.gatewayPort);
    const node = await peer(relay.nodePort);
    node.socket.write(bytes(10));
    await until(() => gateway.received().length === 10);
    await hangUp(gateway.socket);
    node.socket.write(bytes(1_000));
    await hangUp(node.socket);
    await relay.finish(END_FRAME, 100);
    expect(relay.counts().received).toBe(1_010);

    const lonely = await relayWith();
    await lonely.finish(END_FRAME, 10);
    const late = await peer(lonely.gatewayPort);
    await until(() => late.received().length === 10 + END_FRAME.length);
  });

  it('refuses a second connection on a side', async () => {
    const relay = await relayWith();
    const first = await peer(relay.nodePort);
    const second = await peer(relay.nodePort);
    await second.ended;
    first.socket.write(bytes(5));
    const gateway = await peer(relay.gatewayPort);
    await until(() => gateway.received().length === 5);
  });

  it('rejects fault rates outside 0 .. 1', async () => {
    await expect(startRelay({ faults: { dropRate: 1.5, corruptRate: 0, seed: 1 } })).rejects.toThrow(EennError);
    await expect(startRelay({ faults: { dropRate: 0, corruptRate: Number.NaN, seed: 1 } })).rejects.toThrow(/corruptRate/);
  });
});
