// Runs a multi-device build's samples (run and test with --devices): the node and the gateway each in its target's
// emulator (or as host processes) joined by the link relay (src/devices-run.ts), or the node alone when the cut
// runs everything there. The answers come back in the single-device build's terms (FirmwareRun: the whole model's
// output layout and exit numbering), so that run and test read them as they read one device's.

import type { CompileResult, DeviceBuild } from './compile.js';
import { encodeFrame, FRAME_TYPES } from './devices/index.js';
import { runDevices, type DeviceImage, type OutputSlot } from './devices-run.js';
import { EennError } from './ir/diagnostics.js';
import type { Graph } from './ir/graph.js';
import { tensorBytes } from './schedule/memory-plan.js';
import { runFirmware, type FirmwareRun, type RelayCounts } from './toolchain/index.js';

/** One sample of a multi-device run, beside its answer. */
export interface DeviceAnswer {
  /** The device that answered; null when a fault on the link lost the sample (`linkError` says which). */
  name: string | null;
  /** Frame bytes the node sent for this sample (0 when it answered itself). */
  bytesSent: number;
  /** Instructions per device (its part of the model and its link framing); null where not counted (host). */
  instructions: Record<string, number | null>;
  /** The fault on the link: timeout, crc, length, model, type, io, or lost (no frame arrived). */
  linkError?: string;
}

/** Faults on the link (test --link-faults): each byte dropped or corrupted with probability `rate` (half each). */
export interface LinkFaults {
  rate: number;
  seed: number;
}

/** The run in single-device terms and, per sample, which device answered. */
export interface DevicesExecution {
  run: FirmwareRun;
  answers: DeviceAnswer[];
  /** What the link relay did with the node's bytes (faults injected among them); undefined when nothing crossed a link. */
  relay?: RelayCounts;
}

/** Run `count` samples (`bytes`, as the single-device firmware reads them) through the devices of `compiled`. */
export async function executeDevices(
  compiled: CompileResult,
  bytes: Uint8Array,
  count: number,
  timeoutMs: number,
  faults?: LinkFaults,
): Promise<DevicesExecution> {
  const { sides, plan } = compiled.devices!;
  const [node, gateway] = sides as [DeviceBuild, DeviceBuild | undefined];
  const imageOf = (side: DeviceBuild): string => {
    if (side.image) return side.image.elfPath;
    throw new EennError({ code: 'E_USAGE', message: `the ${side.name}'s project was not linked`, hint: 'run without --no-link' });
  };
  if (!gateway) {
    // Everything on the node: its project is a single-device one; nothing crosses the link.
    const run = await runFirmware(imageOf(node), node.target, bytes, { samples: count, timeoutMs });
    const answers = run.instructions.map((n): DeviceAnswer => ({ name: node.name, bytesSent: 0, instructions: { [node.name]: n } }));
    return { run, answers };
  }
  const image = (side: DeviceBuild): DeviceImage => ({
    name: side.name,
    target: side.target,
    image: imageOf(side),
    outputs: side.graph ? slots(side.graph) : [],
  });
  const { graph } = compiled;
  const result = await runDevices({
    node: image(node),
    gateway: image(gateway),
    nodeExits: plan.chosen.cut.nodeExits.length,
    payloadBytes: plan.chosen.cut.payloadBytes,
    outputs: slots(graph),
    ...(graph.exits ? { exitOutputs: graph.exits.outputs } : {}),
    inputBytes: bytes,
    samples: count,
    endFrame: encodeFrame(FRAME_TYPES.end, plan.hash, count),
    timeoutMs,
    ...(faults && faults.rate > 0 ? { faults: { dropRate: faults.rate / 2, corruptRate: faults.rate / 2, seed: faults.seed } } : {}),
  });
  const answers = result.samples.map((sample): DeviceAnswer => ({
    name: sample.device,
    bytesSent: sample.bytesSent,
    instructions: sample.instructions,
    ...(sample.linkError ? { linkError: sample.linkError } : {}),
  }));
  const total = (counts: Record<string, number | null>): number | null => {
    const values = Object.values(counts);
    return values.some((n) => n === null) ? null : values.reduce<number>((sum, n) => sum + (n ?? 0), 0);
  };
  const stack = Object.values(result.stackBytes);
  const run: FirmwareRun = {
    outputs: result.samples.map((sample) => sample.outputs),
    exits: result.samples.map((sample) => sample.exitIndex),
    instructions: result.samples.map((sample) => total(sample.instructions)),
    exitInstructions: result.samples.map(() => []),
    taskInstructions: result.samples.map(() => []),
    stepInstructions: result.samples.map(() => []),
    ticks: result.samples.map(() => 0),
    stackBytes: stack.some((n) => n === null) ? null : Math.max(...(stack as number[])),
    console: Object.entries(result.consoles)
      .map(([name, text]) => (text ? `${name}: ${text}` : ''))
      .filter((text) => text !== '')
      .join('\n'),
  };
  return { run, answers, relay: result.relay };
}

/** A model's outputs as its output.bin lays them out per sample. */
function slots(graph: Graph): OutputSlot[] {
  return graph.outputs.map((name) => ({ name, bytes: tensorBytes(graph.tensors.get(name)!) }));
}
