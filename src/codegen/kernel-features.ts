// Codegen: which optional paths of the int8 kernels a model's calls take (the EENN_*_S8_* switches of
// templates/c/kernels/eenn_kernels_s8.h), decided from the calls' constant arguments the way the kernels decide at
// run time. The emitter writes them to kernels/eenn_config.h so that a firmware links only the paths it runs. A
// fast path switched off falls back to the general one (a wrong guess costs speed, never bits). The EXACT and
// DIRECT switches are the exception: EXACT is off only when every layer of the kind passes
// eenn_requantize_bounded_ok_s8 (boundedOk repeats it exactly; on whenever an argument is not a compile-time
// constant), DIRECT only when every convolution call passes a scratch.

import type { Graph } from '../ir/graph.js';
import type { KernelArg, KernelCall } from './kernel-call.js';

export interface KernelFeature {
  /** The switch, e.g. EENN_CONV_S8_SATURATE. */
  macro: string;
  /** What the path does, for the header's comment. */
  note: string;
}

/** Every switch, in the order the header lists them (eenn_kernels_s8.h documents each). */
export const INT8_KERNEL_FEATURES: readonly KernelFeature[] = [
  { macro: 'EENN_CONV_S8_SATURATE', note: 'convolutions whose clamp is the whole int8 range' },
  { macro: 'EENN_CONV_S8_CLAMP', note: 'convolutions with a narrower clamp (a fused Relu)' },
  { macro: 'EENN_CONV_S8_FEW_VALUES', note: 'convolutions of fewer than 16 values per output (first layers), on DSP' },
  { macro: 'EENN_CONV_S8_EXACT', note: 'convolutions that need the exact output stage (not a speed path: required when 1)' },
  { macro: 'EENN_CONV_S8_DIRECT', note: 'convolutions without a scratch, reading the input in place (required when 1)' },
  { macro: 'EENN_FC_S8_EXACT', note: 'fully connected layers that need the exact output stage (required when 1)' },
  { macro: 'EENN_FC_S8_SATURATE', note: 'fully connected layers whose clamp is the whole int8 range' },
  { macro: 'EENN_DEPTHWISE_S8_3X3', note: 'depthwise 3x3 convolutions' },
];

/** Most values one output may sum for the bounded requantization (EENN_BOUNDED_DEPTH_S8). */
const BOUNDED_DEPTH = 32768;
/** Values per whole chunk of the paired weight layout (EENN_PAIR_CHUNK_S8). */
const PAIR_CHUNK = 16;

/** Reads a call's arguments by parameter name. */
class CallArgs {
  private readonly byName: Map<string, KernelArg>;
  constructor(private readonly graph: Graph, call: KernelCall) {
    this.byName = new Map(call.args.map((a) => [a.name, a]));
  }

  int(name: string): number | undefined {
    const arg = this.byName.get(name);
    return arg?.kind === 'int' ? arg.value : undefined;
  }

  isScratch(name: string): boolean {
    return this.byName.get(name)?.kind === 'scratch';
  }

  isNull(name: string): boolean {
    return this.byName.get(name)?.kind === 'null';
  }

  /** `count` values of a constant argument (a derived array or a constant tensor), or undefined if not constant. */
  values(name: string, count: number): ArrayLike<number> | undefined {
    const arg = this.byName.get(name);
    if (!arg) return undefined;
    let data: ArrayLike<number> | undefined;
    if (arg.kind === 'const') data = arg.array.data;
    else if (arg.kind === 'tensor') data = this.graph.tensors.get(arg.tensor)?.data as ArrayLike<number> | undefined;
    if (!data) return undefined;
    const offset = 'offset' in arg ? arg.offset ?? 0 : 0;
    return Array.prototype.slice.call(data, offset, offset + count) as number[];
  }
}

/** eenn_requantize_bounded_ok_s8 at compile time (undefined when the arguments are not constants). */
function boundedOk(args: CallArgs, channels: number, depth: number): boolean | undefined {
  if (depth > BOUNDED_DEPTH) return false;
  const shift = args.values('output_shift', channels);
  if (!shift) return undefined;
  const bias = args.isNull('bias') ? undefined : args.values('bias', channels);
  if (!args.isNull('bias') && !bias) return undefined;
  for (let c = 0; c < channels; c++) {
    if (shift[c]! > -1) return false;
    if (bias && Math.abs(bias[c]!) >= 2 ** 29) return false;
  }
  return true;
}

/**
 * The output-stage switches a layer of `channels` outputs summing `depth` values each takes: `exact` when it fails
 * the bounded test (the kernel then needs the exact stage), else its fast path.
 */
function outputStage(args: CallArgs, channels: number, depth: number, exact: string, saturate: string, clamp?: string): string[] {
  const bounded = boundedOk(args, channels, depth);
  const fullRange = args.int('act_min') === -128 && args.int('act_max') === 127;
  // Not decidable (a non-constant argument): every path.
  if (bounded === undefined) return [exact, saturate, ...(clamp ? [clamp] : [])];
  if (!bounded) return [exact];
  if (fullRange) return [saturate];
  return clamp ? [clamp] : [];
}

/** EENN_CONV_S8_DIRECT when a convolution call gives no scratch (anything but a scratch counts as none). */
function direct(args: CallArgs): string[] {
  return args.isScratch('scratch') ? [] : ['EENN_CONV_S8_DIRECT'];
}

/** The switches one call takes. */
function featuresOf(graph: Graph, call: KernelCall): string[] {
  const args = new CallArgs(graph, call);
  switch (call.fn) {
    case 'eenn_conv2d_s8': {
      const inC = args.int('in_c') ?? 0, groups = args.int('groups') ?? 1, outC = args.int('out_c') ?? 0;
      const depth = (inC / groups) * (args.int('kernel_h') ?? 1) * (args.int('kernel_w') ?? 1);
      const few = !args.isNull('scratch') && depth < PAIR_CHUNK ? ['EENN_CONV_S8_FEW_VALUES'] : [];
      return [...few, ...direct(args), ...outputStage(args, outC, depth, 'EENN_CONV_S8_EXACT', 'EENN_CONV_S8_SATURATE', 'EENN_CONV_S8_CLAMP')];
    }
    case 'eenn_conv2d_1x1_s8':
    case 'eenn_conv2d_1x1_in_place_s8': {
      const inC = args.int('in_c') ?? 0, outC = args.int('out_c') ?? 0;
      return [...(call.fn === 'eenn_conv2d_1x1_s8' ? direct(args) : []), ...outputStage(args, outC, inC, 'EENN_CONV_S8_EXACT', 'EENN_CONV_S8_SATURATE', 'EENN_CONV_S8_CLAMP')];
    }
    case 'eenn_fc_s8':
      return outputStage(args, args.int('out_features') ?? 0, args.int('in_features') ?? 0, 'EENN_FC_S8_EXACT', 'EENN_FC_S8_SATURATE');
    case 'eenn_depthwise_conv2d_s8':
      return args.int('kernel_h') === 3 && args.int('kernel_w') === 3 && args.int('dilation_w') === 1 ? ['EENN_DEPTHWISE_S8_3X3'] : [];
    default:
      return [];
  }
}

/** The switches the calls take, as a set of macro names. */
export function int8KernelFeatures(graph: Graph, calls: readonly KernelCall[]): Set<string> {
  const used = new Set<string>();
  for (const call of calls) for (const f of featuresOf(graph, call)) used.add(f);
  return used;
}
