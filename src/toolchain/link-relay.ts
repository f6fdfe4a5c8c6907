// The serial line between the two emulators of a multi-device run (src/toolchain/devices-run.ts): a relay in this
// process with one TCP server per device on 127.0.0.1. Each emulator's link UART is a socket chardev that connects
// to its server (a host firmware connects to the port in EENN_LINK_PORT). Bytes from the node go on to the gateway,
// with faults drawn from a seeded generator when asked (a byte dropped, or one of its bits flipped), so that tests
// can show a damaged frame is detected; bytes from the gateway go back to the node untouched.

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { EennError } from '../ir/diagnostics.js';
import { seededRandom } from '../util/random.js';

/** Faults on the node-to-gateway direction, each drawn per byte. */
export interface RelayFaults {
  /** Probability that a byte is dropped (0 .. 1). */
  dropRate: number;
  /** Probability that a byte (not dropped) has one of its bits, chosen at random, flipped (0 .. 1). */
  corruptRate: number;
  /** Seed of the generator: the same seed and bytes give the same faults. */
  seed: number;
}

export interface RelayOptions {
  faults?: RelayFaults;
  /**
   * Pass the node's bytes on in whole frames of this many bytes (the node sends nothing but frames of one size,
   * then a shorter end frame, passed on when the node closes its connection): the gateway then gets each frame at
   * once, whatever the pace of the node's emulator. The receiver's inter-byte timeout counts the gateway's own
   * virtual time, which runs on while a busy host holds the node's emulator back in the middle of a frame; a whole
   * frame at once keeps that from timing out a good frame. Faults are drawn per byte as without it. Default: bytes
   * are passed on as they come.
   */
  frameBytes?: number;
}

/** What the relay did with the node's bytes (the end of run padding and end frame of `finish` not counted). */
export interface RelayCounts {
  /** Bytes received from the node. */
  received: number;
  /** Bytes passed on to the gateway, corrupted ones included. */
  forwarded: number;
  dropped: number;
  /** Bytes passed on with one bit flipped. */
  corrupted: number;
  /** Bytes from the gateway passed back to the node. */
  returned: number;
}

export interface Relay {
  /** The port the node's link connects to. */
  nodePort: number;
  /** The port the gateway's link connects to. */
  gatewayPort: number;
  /** The counts so far. */
  counts(): RelayCounts;
  /**
   * Call once the node has exited: waits until every byte it sent has been passed on, then sends the gateway
   * `padBytes` zero bytes (they complete a frame it may be stuck inside) and `endFrame` (a clean end frame), so
   * that the gateway always finishes. Without a gateway connected the bytes are sent when it connects.
   */
  finish(endFrame: Uint8Array, padBytes: number): Promise<void>;
  /** Close both servers and any connection still open. */
  close(): Promise<void>;
}

/** Only loopback: the emulators run on this machine, and nothing else may talk to them. */
const LOOPBACK = '127.0.0.1';
/** Bits in a byte, for choosing the bit to flip. */
const BITS_PER_BYTE = 8;

/** One side of the relay: its server, the connection of its device, and what waits to be written to it. */
interface Side {
  server: Server;
  port: number;
  socket?: Socket;
  /** Bytes for this side's device received before it connected. */
  pending: Buffer[];
  /** Resolved when this side's device has closed its connection (the node: all its bytes are in). */
  closed: Promise<void>;
  markClosed(): void;
  /** Whether a device connected at all. */
  connected: boolean;
}

/**
 * Start a relay: two servers on 127.0.0.1, any free ports. One connection per side is taken (a second one is
 * refused by closing it). Throws E_USAGE for fault rates outside 0 .. 1 or a seed that is not an integer.
 */
export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  const faults = options.faults;
  if (faults) checkFaults(faults);
  const random = seededRandom(faults?.seed ?? 0);
  const counts: RelayCounts = { received: 0, forwarded: 0, dropped: 0, corrupted: 0, returned: 0 };

  const node = await openSide();
  let gateway: OpenSide;
  try {
    gateway = await openSide();
  } catch (err) {
    node.server.close();
    throw err;
  }

  const frameBytes = options.frameBytes;
  if (frameBytes !== undefined && !(Number.isSafeInteger(frameBytes) && frameBytes > 0)) {
    throw new EennError({ code: 'E_USAGE', message: `link relay frame of ${frameBytes} bytes`, hint: 'give a positive number of bytes' });
  }
  /** The node's bytes not passed on yet (an incomplete frame). */
  let held: Buffer = Buffer.alloc(0);
  const pass = (chunk: Buffer): void => {
    const out = faults ? applyFaults(chunk, faults, random, counts) : chunk;
    counts.forwarded += out.length;
    send(gateway, out);
  };
  node.onData = (chunk) => {
    counts.received += chunk.length;
    if (frameBytes === undefined) return pass(chunk);
    held = held.length > 0 ? Buffer.concat([held, chunk]) : chunk;
    const whole = held.length - (held.length % frameBytes);
    if (whole === 0) return;
    pass(held.subarray(0, whole));
    held = held.subarray(whole);
  };
  node.onClose = () => {
    pass(held);
    held = Buffer.alloc(0);
  };
  gateway.onData = (chunk) => {
    counts.returned += chunk.length;
    send(node, chunk);
  };

  return {
    nodePort: node.port,
    gatewayPort: gateway.port,
    counts: () => ({ ...counts }),
    async finish(endFrame, padBytes) {
      if (node.connected) await node.closed;
      send(gateway, Buffer.alloc(padBytes));
      send(gateway, Buffer.from(endFrame));
      await drained(gateway);
    },
    async close() {
      await Promise.all([closeSide(node), closeSide(gateway)]);
    },
  };
}

type OpenSide = Side & { onData: (chunk: Buffer) => void; onClose: () => void };

/** A server on a free loopback port that keeps the first connection made to it. */
async function openSide(): Promise<OpenSide> {
  let markClosed = (): void => undefined;
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const side: OpenSide = {
    server: createServer(),
    port: 0,
    pending: [],
    closed,
    markClosed,
    connected: false,
    onData: () => undefined,
    onClose: () => undefined,
  };
  side.server.on('connection', (socket) => {
    if (side.connected) {
      socket.destroy();
      return;
    }
    side.connected = true;
    side.socket = socket;
    socket.setNoDelay(true);
    // A peer that goes away (the emulator exited or was killed) ends its side; it is never an error of the run.
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => side.onData(chunk));
    socket.on('close', () => {
      side.onClose();
      side.markClosed();
    });
    for (const chunk of side.pending.splice(0)) writeTo(socket, chunk);
  });
  await new Promise<void>((resolve, reject) => {
    side.server.once('error', (err) =>
      reject(
        new EennError({
          code: 'E_RUN',
          message: `the link relay could not listen on ${LOOPBACK}: ${err.message}`,
          hint: 'the two-device run needs TCP on the loopback interface',
        }),
      ),
    );
    side.server.listen(0, LOOPBACK, () => resolve());
  });
  side.port = (side.server.address() as AddressInfo).port;
  return side;
}

/** Write `chunk` to the side's device, or keep it until the device connects; a closed peer swallows it. */
function send(side: Side, chunk: Buffer): void {
  if (chunk.length === 0) return;
  if (!side.socket) side.pending.push(chunk);
  else writeTo(side.socket, chunk);
}

function writeTo(socket: Socket, chunk: Buffer): void {
  if (!socket.destroyed && socket.writable) socket.write(chunk);
}

/** Resolves when what was written to the side has been handed to the system, or the peer has gone. */
function drained(side: Side): Promise<void> {
  const socket = side.socket;
  if (!socket || socket.destroyed || !socket.writable) return Promise.resolve();
  return new Promise((resolve) => {
    // An empty write's callback runs once every earlier write has been flushed (or failed).
    socket.write(Buffer.alloc(0), () => resolve());
    socket.once('close', () => resolve());
  });
}

async function closeSide(side: Side): Promise<void> {
  side.socket?.destroy();
  await new Promise<void>((resolve) => side.server.close(() => resolve()));
}

/** The chunk as the faulty line delivers it: each byte dropped, or one bit flipped, or passed on. */
function applyFaults(chunk: Buffer, faults: RelayFaults, random: () => number, counts: RelayCounts): Buffer {
  const out = Buffer.allocUnsafe(chunk.length);
  let length = 0;
  for (const byte of chunk) {
    if (random() < faults.dropRate) {
      counts.dropped++;
      continue;
    }
    if (random() < faults.corruptRate) {
      counts.corrupted++;
      out[length++] = byte ^ (1 << Math.floor(random() * BITS_PER_BYTE));
      continue;
    }
    out[length++] = byte;
  }
  return out.subarray(0, length);
}

function checkFaults(faults: RelayFaults): void {
  for (const key of ['dropRate', 'corruptRate'] as const) {
    const rate = faults[key];
    if (!(rate >= 0 && rate <= 1)) {
      throw new EennError({ code: 'E_USAGE', message: `link fault ${key} is ${rate}`, hint: 'give a probability from 0 to 1' });
    }
  }
  if (!Number.isSafeInteger(faults.seed)) {
    throw new EennError({ code: 'E_USAGE', message: `link fault seed is ${faults.seed}`, hint: 'give an integer seed' });
  }
}
