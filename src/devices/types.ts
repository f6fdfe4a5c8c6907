// Multi-device builds (--devices node=T1,gateway=T2 --link uart:BAUD): the records the options, the cut search, the
// cost model, the C projects and the two-emulator harness pass between them. One network, split at one cut of its
// schedule: the node runs the steps before the cut (and the early exits among them), the gateway the rest.

import type { Graph } from '../ir/graph.js';
import type { Target } from '../target/target.js';

/** A device of --devices, in the order given: the first reads the input (the node), the last answers (the gateway). */
export interface DeviceSpec {
  /** The name given before "=" (a C identifier, unique): "node", "gateway", ... */
  name: string;
  target: Target;
}

/** The link between the devices (--link), with the figures the cost model charges for it. */
export interface LinkSpec {
  kind: 'uart';
  /** As given, for messages and the report: "uart:115200". */
  text: string;
  /** Line rate in bits per second. */
  baud: number;
  /** Bits on the line per payload byte (8N1: a start bit, 8 data bits, a stop bit = 10). */
  bitsPerByte: number;
  /** Fixed cost of one message besides its bytes (turnaround, wake-up of the receiver), in microseconds. */
  messageLatencyUs: number;
  /** Energy of one byte on the link, sender and receiver together, in nanojoules. */
  nanojoulesPerByte: number;
}

export type Objective = 'latency' | 'energy';

export interface DeviceOptions {
  /** Exactly two today: [node, gateway]. */
  devices: DeviceSpec[];
  link: LinkSpec;
  /** What the cut minimises; default 'latency'. */
  objective: Objective;
  /** --cut as given: a cut position (0 .. steps) or the name of the tensor that crosses; undefined: the cost model chooses. */
  cut?: string;
}

/**
 * A place to cut the schedule of the whole (compiled, exits attached) graph: steps [0, position) on the node,
 * [position, steps) on the gateway. Position 0 sends the model input itself; position `steps` runs everything on
 * the node. Only places where exactly one tensor crosses are cuts (a residual connection spanning the place rules it out).
 */
export interface Cut {
  position: number;
  /** The tensor sent to the gateway (the model input at position 0); undefined at position `steps` (nothing is sent). */
  tensor?: string;
  /** Bytes of that tensor (the frame's payload); 0 at position `steps`. */
  payloadBytes: number;
  /** Early exits (indices into graph.exits.outputs) decided on the node; the others are decided on the gateway. */
  nodeExits: number[];
}

/**
 * The two graphs of a cut, each a whole model the pipeline plans and emits as it does any model.
 * node: the model's inputs -> the steps before the cut; its outputs are its early exits' outputs then the cut tensor.
 *   Its `exits` (when it has early exits) list those outputs with the cut tensor last, and `continues` set: its
 *   "final exit" is not an answer but the tensor to send. Undefined at position 0 (the node sends the input as read).
 * gateway: the cut tensor (same name, type and quantization) -> the rest; its outputs and exits are the remaining
 *   ones of the whole graph. Undefined at position `steps`.
 */
export interface SplitGraphs {
  cut: Cut;
  node?: Graph;
  gateway?: Graph;
}

/** Predicted figures of one device for one cut (per inference, averaged over the exit probabilities). */
export interface DeviceCost {
  /** The device's name (--devices) and its target's name, for the table and the messages. */
  device: string;
  target: string;
  /** Mean instructions per inference on this device (its steps, decisions and link framing), 0 when it does nothing. */
  instructions: number;
  /** Per exit of the whole graph (its index): instructions on this device for an input leaving there. */
  instructionsByExit: number[];
  /** Flash and RAM this side needs (estimates before linking) against the target's limits. */
  flashBytes: number;
  ramBytes: number;
  fits: boolean;
  /** When it does not fit: what is over and by how much, in words ("RAM 41,212 B of 32,768 B: 8,444 B over"). */
  overBy?: string;
}

/** One row of the cut table: a cut and what the cost model predicts for it. */
export interface CutEvaluation {
  cut: Cut;
  /** The step names each side runs, for the table ("all on node", "all on gateway", "after /conv1/Conv"). */
  label: string;
  node: DeviceCost;
  gateway: DeviceCost;
  /** Mean bytes on the link per inference (header and CRC included), over the exit probabilities. */
  linkBytes: number;
  /** Mean latency per inference in milliseconds: node compute, link transfer when sent, gateway compute. */
  latencyMs: number;
  /** Mean energy per inference in microjoules: both devices' instructions and the link's bytes. */
  energyUj: number;
  fits: boolean;
}

/** What the cost model works from. */
export interface CostInputs {
  /** The whole graph's step count and, per step, its name (the primary node) for labels. */
  stepNames: string[];
  /** Measured instructions of every step of the whole graph's schedule on each device's target (by device name), decisions included. */
  stepInstructions: Record<string, number[]>;
  /** Probability of leaving at each exit of the whole graph (from calibration; [1] without exits). */
  exitProbabilities: number[];
  /** The step after which each early exit decides (decisionSteps of the whole graph's plan); the final exit is the last step. */
  exitSteps: number[];
}

/** Per sample of a two-device run, in the whole graph's terms (src/toolchain/devices-run.ts). */
export interface DeviceSample {
  /** The device that answered, or null when a link fault lost the sample (`linkError` says which). */
  device: string | null;
  /** Exit index in the whole graph's numbering (graph.exits.outputs; 0 without exits); -1 when no answer. */
  exitIndex: number;
  /** The answer laid out as the single-device build's output.bin lays out one sample (every output in order; only the answering one meaningful). */
  outputs: Uint8Array;
  /** Frame bytes the node sent for this sample (header and CRC included); 0 when it answered itself. */
  bytesSent: number;
  /** Instructions per device (by device name): its eenn_run and its link framing, waiting left out; null where not counted (host). */
  instructions: Record<string, number | null>;
  /** A fault on the link: 'timeout' | 'crc' | 'length' | 'model' | 'lost' (no frame arrived for this sample). */
  linkError?: string;
}
