// The seeded mutator: each mutant is a small valid model with one to three random changes (fields of the decoded
// protobuf set to extreme values: dims, attributes, dtypes, names, external data, operators, edges, opsets; small
// plausible changes that keep it compiling; or its bytes flipped, cut or spliced), run through `inspect`,
// `build --no-link` or, for a few, a real build on host.
// Mutant (seed, index) is the same on every machine, so a failure replays alone.

import { symlinkSync } from 'node:fs';
import { encodeNpy } from '../../src/data/index.js';
import {
  decodeModel,
  encodeModel,
  type AttributeProto,
  type ModelProto,
  type TensorProto,
  type ValueInfoProto,
} from '../../src/frontend/onnx-proto.js';
import { seededRandom } from '../../src/util/random.js';
import { randomFloats } from '../frontend/build-graph.js';
import { MODEL_DIR, SECRET, WORK } from './layout.js';
import { BASE_MODELS, setExternal, type BaseModelName } from './models.js';
import type { Box, FuzzCase } from './sandbox.js';

type Rng = () => number;

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const EXTREME_INTS = [0, -1, 1, 2, 3, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 3758096377, 2 ** 40, 2 ** 53 - 1, -(2 ** 53)];
const EXTREME_FLOATS = [NaN, Infinity, -Infinity, 0, -0, 1e38, -1e38, 1e-45, 3.4e38];
const INT32S = [0, -1, 1, 5, 12, 17, 99, 2 ** 31 - 1, -(2 ** 31)];
const HOSTILE_NAMES = ['', ' ', '$(shell touch PWNED)', '*/ int x; /*', 'a\nb', '"\'`', '\\', '../../x', 'x'.repeat(10_000), 'é🙂', 'NaN', '0'];
const OPS = [
  'Relu',
  'Conv',
  'Gemm',
  'MatMul',
  'Add',
  'Pad',
  'Reshape',
  'Transpose',
  'Softmax',
  'MaxPool',
  'AveragePool',
  'Expand',
  'Tile',
  'Concat',
  'Gather',
  'Slice',
  'Split',
  'Resize',
  'ConstantOfShape',
  'Range',
  'Loop',
  'If',
  'Scan',
  'LSTM',
  'NonZero',
  'Unique',
  'CustomOp',
  '',
  'relu',
  'Conv ',
  'QLinearConv',
  'DequantizeLinear',
  'BatchNormalization',
];
const ATTRIBUTE_NAMES = [
  'axis',
  'axes',
  'perm',
  'pads',
  'strides',
  'kernel_shape',
  'dilations',
  'group',
  'transA',
  'transB',
  'alpha',
  'beta',
  'mode',
  'auto_pad',
  'ceil_mode',
  'keepdims',
  'to',
  'value',
  'epsilon',
  'count_include_pad',
];
/** External data locations; those marked true resolve outside the model's folder and must be refused. */
const LOCATIONS: [string, boolean][] = [
  ['weights.bin', false],
  ['missing.bin', false],
  ['.', false],
  ['', false],
  ['zero.bin', true],
  ['escape.bin', true],
  [`../../../../${SECRET}`, true],
  [`@SANDBOX@/${SECRET}`, true],
  ['/dev/zero', true],
  ['/proc/self/environ', true],
  ['/etc/hostname', true],
  ['weights.bin/../../../../../' + SECRET, true],
];
const OFFSETS = [undefined, 0, -100, -1, 1, 3, 2 ** 31, 2 ** 53, 1e15, 'abc', '1.5', '0x10', ''];
const LENGTHS = [undefined, 0, 4, 512, -1, 1e15, 2 ** 32, 'x'];

interface Mutated {
  bytes: Uint8Array;
  changes: string[];
  /** An external location outside the model's folder survived into the model: it must be refused. */
  mustRefuse: boolean;
}

/** Value infos and initializers: every place a tensor's type or shape is declared. */
function declared(m: ModelProto): (ValueInfoProto | TensorProto)[] {
  const g = m.graph!;
  return [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? []), ...(g.initializer ?? [])];
}

const isTensor = (t: ValueInfoProto | TensorProto): t is TensorProto => 'dataType' in t || 'dims' in t || 'rawData' in t;

/** One change to the decoded model; returns what it did, and whether it made external data point outside. */
const PROTO_MUTATIONS: Record<string, (m: ModelProto, rng: Rng, sandbox: string) => { change: string; escapes?: boolean }> = {
  dim(m, rng) {
    const t = pick(rng, declared(m));
    const v = pick(rng, EXTREME_INTS);
    if (isTensor(t)) {
      const dims = [...(t.dims ?? [])];
      const k = Math.floor(rng() * (dims.length + 1));
      if (rng() < 0.15) dims.length = 0;
      else dims[k] = v;
      t.dims = dims;
      return { change: `dims of initializer "${t.name}" = [${dims.join(', ')}]` };
    }
    const shape = t.type?.tensorType?.shape;
    if (!shape?.dim?.length) return { change: 'no shape to change' };
    const k = Math.floor(rng() * shape.dim.length);
    const r = rng();
    shape.dim[k] = r < 0.7 ? { dimValue: v } : r < 0.85 ? { dimParam: pick(rng, ['N', '', 'batch']) } : {};
    return { change: `dim ${k} of "${t.name}" = ${JSON.stringify(shape.dim[k])}` };
  },
  attribute(m, rng) {
    const node = pick(rng, m.graph!.node!);
    node.attribute ??= [];
    const existing = node.attribute.length > 0 && rng() < 0.7 ? pick(rng, node.attribute) : undefined;
    const a: AttributeProto = existing ?? { name: pick(rng, ATTRIBUTE_NAMES) };
    if (!existing) node.attribute.push(a);
    const r = rng();
    if (r < 0.3) Object.assign(a, { type: 2, i: pick(rng, EXTREME_INTS) });
    else if (r < 0.55) {
      const n = pick(rng, [0, 1, 2, 4, 8, 1000]);
      Object.assign(a, { type: 7, ints: Array.from({ length: n }, () => pick(rng, EXTREME_INTS)) });
    } else if (r < 0.7) Object.assign(a, { type: 1, f: pick(rng, EXTREME_FLOATS) });
    else if (r < 0.8) Object.assign(a, { type: 3, s: new TextEncoder().encode(pick(rng, [...HOSTILE_NAMES, 'SAME_UPPER', 'VALID', 'cubic'])) });
    else if (r < 0.9) a.type = pick(rng, [0, 4, 5, 6, 8, 9, 10, 11, 13, 14, 99]) as AttributeProto['type'];
    else node.attribute.splice(node.attribute.indexOf(a), 1);
    return { change: `attribute ${a.name} of node "${node.name}" (${node.opType}) = ${describe(a)}` };
  },
  dtype(m, rng) {
    const t = pick(rng, declared(m));
    const v = pick(rng, [...INT32S, 2, 3, 6, 7, 9, 10, 11, 16]);
    if (isTensor(t)) t.dataType = v;
    else if (t.type?.tensorType) t.type.tensorType.elemType = v;
    return { change: `element type of "${t.name}" = ${v}` };
  },
  name(m, rng) {
    const g = m.graph!;
    const names = [...new Set([...g.node!.flatMap((n) => [...n.input!, ...n.output!]), ...declared(m).map((t) => t.name!)])];
    const value = rng() < 0.5 ? pick(rng, names) : pick(rng, HOSTILE_NAMES);
    const r = rng();
    const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 12)}...(${value.length} chars)` : value);
    if (r < 0.5) {
      const node = pick(rng, g.node!);
      const list = rng() < 0.5 ? node.input! : node.output!;
      if (list.length === 0) return { change: 'no edge to rename' };
      const k = Math.floor(rng() * list.length);
      const was = list[k];
      list[k] = value;
      return { change: `edge "${was}" of node "${node.name}" renamed ${shown}` };
    }
    if (r < 0.8) {
      const t = pick(rng, declared(m));
      const was = t.name;
      t.name = value;
      return { change: `tensor "${was}" renamed ${shown}` };
    }
    const node = pick(rng, g.node!);
    node.name = value;
    return { change: `a node renamed ${shown}` };
  },
  external(m, rng, sandbox) {
    const inits = m.graph!.initializer ?? [];
    if (inits.length === 0) return { change: 'no initializer to make external' };
    const t = pick(rng, inits);
    const [location, escapes] = pick(rng, LOCATIONS);
    const entries = { location: location.replace('@SANDBOX@', sandbox), offset: pick(rng, OFFSETS), length: pick(rng, LENGTHS) };
    setExternal(t, entries);
    return { change: `initializer "${t.name}" external at ${JSON.stringify({ ...entries, location })}`, escapes };
  },
  operator(m, rng) {
    const node = pick(rng, m.graph!.node!);
    const was = node.opType;
    node.opType = pick(rng, OPS);
    return { change: `node "${node.name}" ${was} -> ${JSON.stringify(node.opType)}` };
  },
  opset(m, rng) {
    const r = rng();
    if (r < 0.6) m.opsetImport = [{ domain: '', version: pick(rng, [0, -1, 1, 6, 7, 11, 99, 2 ** 31, 1e15]) }];
    else if (r < 0.8) m.opsetImport = [];
    else m.opsetImport = [{ domain: pick(rng, ['com.evil', 'ai.onnx.ml', 'ai.onnx']), version: 13 }];
    if (rng() < 0.3) m.irVersion = pick(rng, [0, -1, 1, 3, 99]);
    return { change: `opset_import = ${JSON.stringify(m.opsetImport)}, ir_version ${m.irVersion}` };
  },
  edges(m, rng) {
    const g = m.graph!;
    const node = pick(rng, g.node!);
    const r = rng();
    if (r < 0.2) {
      node.input = [...node.input!, pick(rng, ['', 'dangling', g.node![0]!.output![0]!])];
      return { change: `extra input on node "${node.name}"` };
    }
    if (r < 0.35) {
      node.input = node.input!.slice(0, -1);
      return { change: `last input of node "${node.name}" removed` };
    }
    if (r < 0.45) {
      node.output = [];
      return { change: `outputs of node "${node.name}" removed` };
    }
    if (r < 0.6) {
      g.node!.push({ ...node, name: `${node.name}_copy` });
      return { change: `node "${node.name}" duplicated` };
    }
    if (r < 0.75) {
      g.node!.splice(g.node!.indexOf(node), 1);
      return { change: `node "${node.name}" removed` };
    }
    if (r < 0.85) {
      g.node!.reverse();
      return { change: 'nodes in reverse order' };
    }
    if (r < 0.92) {
      g.output = [];
      return { change: 'graph outputs removed' };
    }
    g.input = [];
    return { change: 'graph inputs removed' };
  },
  data(m, rng) {
    const inits = m.graph!.initializer ?? [];
    if (inits.length === 0) return { change: 'no initializer data' };
    const t = pick(rng, inits);
    const raw = t.rawData ?? new Uint8Array();
    const r = rng();
    if (r < 0.25) t.rawData = raw.subarray(0, Math.floor(rng() * raw.length));
    else if (r < 0.4) t.rawData = Uint8Array.from([...raw, ...new Uint8Array(1 + Math.floor(rng() * 64))]);
    else if (r < 0.6) t.rawData = new Uint8Array(raw.length).fill(pick(rng, [0xff, 0x7f, 0x80]));
    else if (r < 0.75) {
      t.rawData = new Uint8Array();
      t.floatData = [NaN, Infinity, -Infinity];
    } else {
      t.rawData = new Uint8Array();
      t.int64Data = Array.from({ length: Math.max(1, raw.length >> 3) }, () => pick(rng, EXTREME_INTS));
    }
    return { change: `data of initializer "${t.name}" changed (${r.toFixed(2)})` };
  },
};

/** Operators that take the same operands, so a swap often leaves a model that still compiles. */
const FAMILIES = [
  ['Relu', 'Sigmoid', 'Tanh', 'Abs', 'Neg', 'Exp', 'LeakyRelu', 'Elu', 'HardSigmoid', 'Softplus', 'Identity', 'Sqrt', 'Floor'],
  ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow', 'PRelu'],
  ['MaxPool', 'AveragePool', 'LpPool'],
  ['Softmax', 'LogSoftmax', 'Hardmax', 'Flatten'],
  ['MatMul', 'Gemm'],
];

/** Small changes that keep the model plausible, so that it reaches shape inference, codegen and gcc. */
const MILD_MUTATIONS: Record<string, (m: ModelProto, rng: Rng) => { change: string }> = {
  nudgeDim(m, rng) {
    const t = pick(rng, declared(m));
    const dims = isTensor(t) ? t.dims : t.type?.tensorType?.shape?.dim?.map((d) => d.dimValue ?? 1);
    if (!dims || dims.length === 0) return { change: 'no dims to nudge' };
    const k = Math.floor(rng() * dims.length);
    const v = Math.max(1, Number(dims[k]) + pick(rng, [-1, 1, 2, Number(dims[k])]));
    if (isTensor(t)) t.dims![k] = v;
    else t.type!.tensorType!.shape!.dim![k] = { dimValue: v };
    return { change: `dim ${k} of "${t.name}" nudged to ${v}` };
  },
  smallAttribute(m, rng) {
    const node = pick(rng, m.graph!.node!);
    node.attribute ??= [];
    const a = node.attribute.length > 0 && rng() < 0.6 ? pick(rng, node.attribute) : { name: pick(rng, ATTRIBUTE_NAMES) };
    if (!node.attribute.includes(a)) node.attribute.push(a);
    if (a.type === 7 || (a.type === undefined && rng() < 0.5)) {
      const ints = [...(a.ints ?? [1, 1])].map(Number);
      ints[Math.floor(rng() * ints.length)] = pick(rng, [0, 1, 2, 3, -1]);
      Object.assign(a, { type: 7, ints });
    } else if (a.type === 1) a.f = pick(rng, [0, 0.5, 1, 2, -1, 1e-5]);
    else Object.assign(a, { type: 2, i: pick(rng, [0, 1, 2, 3, -1, -2]) });
    return { change: `attribute ${a.name} of node "${node.name}" (${node.opType}) = ${describe(a)}` };
  },
  swapOperator(m, rng) {
    const node = pick(rng, m.graph!.node!);
    const family = FAMILIES.find((f) => f.includes(node.opType!));
    if (!family) return { change: `node "${node.name}" (${node.opType}) has no family to swap in` };
    const was = node.opType;
    node.opType = pick(rng, family);
    return { change: `node "${node.name}" ${was} -> ${node.opType}` };
  },
  insertNode(m, rng) {
    const g = m.graph!;
    const at = Math.floor(rng() * g.node!.length);
    const node = g.node![at]!;
    const out = node.output![0]!;
    const fresh = `${out}_pre`;
    const op = pick(rng, [...FAMILIES[0]!, 'Dropout', 'Clip']);
    node.output![0] = fresh;
    g.node!.splice(at + 1, 0, { name: `inserted_${at}`, opType: op, input: [fresh], output: [out] });
    return { change: `${op} inserted after node "${node.name}"` };
  },
  scaleWeights(m, rng) {
    const inits = (m.graph!.initializer ?? []).filter((t) => t.dataType === 1 && (t.rawData?.length ?? 0) >= 4);
    if (inits.length === 0) return { change: 'no float weights to scale' };
    const t = pick(rng, inits);
    const raw = Uint8Array.from(t.rawData!);
    const values = new Float32Array(raw.buffer, 0, raw.length >> 2); // whole values only: an earlier mutation may have cut the data
    const r = rng();
    const factor = pick(rng, [0, 1e-30, 1e6, 1e30, -1]);
    if (r < 0.7)
      values.forEach((v, i) => {
        values[i] = v * factor;
      });
    else values[Math.floor(rng() * values.length)] = pick(rng, EXTREME_FLOATS);
    t.rawData = raw;
    return { change: r < 0.7 ? `weights of "${t.name}" times ${factor}` : `one weight of "${t.name}" made extreme` };
  },
};

/** Byte-level changes of the encoded model. */
const BYTE_MUTATIONS: Record<string, (b: Uint8Array, rng: Rng) => { bytes: Uint8Array; change: string }> = {
  flip(b, rng) {
    const out = Uint8Array.from(b);
    const n = 1 + Math.floor(rng() * 16);
    for (let i = 0; i < n; i++) out[Math.floor(rng() * out.length)]! ^= 1 << Math.floor(rng() * 8);
    return { bytes: out, change: `${n} bits flipped` };
  },
  cut(b, rng) {
    const at = Math.floor(rng() * b.length);
    return { bytes: b.subarray(0, at), change: `cut to ${at} of ${b.length} bytes` };
  },
  splice(b, rng) {
    const at = Math.floor(rng() * b.length);
    const junk = Array.from({ length: 1 + Math.floor(rng() * 32) }, () => Math.floor(rng() * 256));
    return { bytes: Uint8Array.from([...b.subarray(0, at), ...junk, ...b.subarray(at)]), change: `${junk.length} random bytes spliced in at ${at}` };
  },
  varint(b, rng) {
    const out = Uint8Array.from(b);
    const at = Math.floor(rng() * out.length);
    out.fill(0xff, at, at + 5 + Math.floor(rng() * 6));
    return { bytes: out, change: `0xff run at ${at}` };
  },
};

function describe(a: AttributeProto): string {
  const v = a.ints
    ? `[${a.ints.slice(0, 6).join(', ')}${a.ints.length > 6 ? ', ...' : ''}]`
    : (a.i ?? a.f ?? (a.s ? JSON.stringify(new TextDecoder().decode(a.s).slice(0, 20)) : ''));
  return `${String(v)} (type ${a.type ?? '?'})`;
}

/** Deterministic random source of mutant `index` of `seed`. */
function rngFor(seed: number, index: number): Rng {
  return seededRandom((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0);
}

/** Apply the mutations of (seed, index) to `base`; `sandbox` is substituted into absolute external locations. */
function mutateModel(base: Uint8Array, rng: Rng, sandbox: string): Mutated {
  const count = 1 + Math.floor(rng() * 3);
  const kinds = Array.from({ length: count }, () => {
    const r = rng();
    if (r < 0.15) return `bytes:${pick(rng, Object.keys(BYTE_MUTATIONS))}`;
    if (r < 0.55) return `mild:${pick(rng, Object.keys(MILD_MUTATIONS))}`;
    return pick(rng, Object.keys(PROTO_MUTATIONS));
  });
  const changes: string[] = [];
  let escapes = false;
  const model = decodeModel(base, 'model.onnx');
  for (const kind of kinds.filter((k) => !k.startsWith('bytes:'))) {
    const r: { change: string; escapes?: boolean } = kind.startsWith('mild:')
      ? MILD_MUTATIONS[kind.slice(5)]!(model, rng)
      : PROTO_MUTATIONS[kind]!(model, rng, sandbox);
    changes.push(r.change);
    escapes ||= r.escapes === true;
  }
  let bytes = encodeModel(model);
  const byteKinds = kinds.filter((k) => k.startsWith('bytes:'));
  for (const kind of byteKinds) {
    const r = BYTE_MUTATIONS[kind.slice(6)]!(bytes, rng);
    bytes = r.bytes;
    changes.push(r.change);
  }
  // Random bytes may turn the external tensor back into an inline one; only an intact escape must be refused.
  return { bytes, changes, mustRefuse: escapes && byteKinds.length === 0 };
}

/** Mutant `index` of `seed`: its model is made in the sandbox, the same each time. */
export function mutant(seed: number, index: number): FuzzCase {
  const plan = (sandbox: string) => {
    const rng = rngFor(seed, index);
    const baseName = pick(rng, Object.keys(BASE_MODELS) as BaseModelName[]);
    const base = BASE_MODELS[baseName];
    const mutated = mutateModel(base.bytes(), rng, sandbox);
    const r = rng();
    const json = rng() < 0.2 ? ['--json'] : [];
    const args =
      r < 0.5
        ? ['inspect', 'model/model.onnx', ...json]
        : r < 0.85
          ? ['build', 'model/model.onnx', '--target', 'host', '--precision', 'float32', '--no-link', '-o', 'out', ...json]
          : rng() < 0.5
            ? ['build', 'model/model.onnx', '--target', 'host', '--precision', 'float32', '-o', 'out']
            : ['build', 'model/model.onnx', '--target', 'host', '--calib', 'model/calib.npy', '-o', 'out'];
    return { baseName, base, mutated, args };
  };
  const shown = plan('/SANDBOX');
  return {
    name: `mutant ${seed}/${index}: ${shown.baseName}, ${shown.mutated.changes.map(printable).join('; ')}; ${shown.args[0]}${shown.args.includes('--no-link') ? ' --no-link' : ''}`,
    group: 'mutants',
    replay: `--seed ${seed} --mutant ${index}`,
    setup: (box: Box) => {
      const { base, mutated } = plan(box.sandbox);
      box.write(`${MODEL_DIR}/model.onnx`, mutated.bytes);
      box.write(`${MODEL_DIR}/weights.bin`, new Uint8Array(randomFloats(1024, 9).buffer));
      box.write(`${MODEL_DIR}/calib.npy`, encodeNpy([4, ...base.input], randomFloats(4 * base.input.reduce((a: number, b: number) => a * b, 1), 8)));
      symlinkSync('/dev/zero', box.at(`${MODEL_DIR}/zero.bin`));
      symlinkSync(box.at(SECRET), box.at(`${MODEL_DIR}/escape.bin`));
    },
    args: shown.args,
    exits: shown.mutated.mustRefuse ? [1, 2] : [0, 1, 2],
    mayWrite: [`${WORK}/out`],
    // A model the compiler accepted must give C that compiles: the fit check and the loader speak before gcc does.
    mustNotPrint: [[/building the firmware for \S+ failed/, 'the generated C does not compile (the model was accepted)']],
  };
}

/** One line of at most 160 characters, control characters escaped. */
function printable(text: string): string {
  const line = text.replace(/[\x00-\x1f]/g, (c) => JSON.stringify(c).slice(1, -1));
  return line.length > 160 ? `${line.slice(0, 150)}...` : line;
}

/** `count` mutants of `seed`, from index `start`. */
export function mutants(seed: number, count: number, start = 0): FuzzCase[] {
  return Array.from({ length: count }, (_, i) => mutant(seed, start + i));
}
