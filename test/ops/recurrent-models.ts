// Small LSTM, GRU and RNN graphs over the attributes and optional inputs/outputs ONNX allows (directions, layouts,
// activations, clip, peepholes, sequence_lens, omitted outputs), with seeded inputs: the reference is checked
// against onnxruntime on them (test/ops/recurrent.test.ts) and the generated C against the reference
// (test/codegen/recurrent.test.ts).

import type { AttrValue, Graph, Tensor } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { seededRandom } from '../../src/util/random.js';

export interface RecurrentCase {
  name: string;
  graph: Graph;
  /** A value for every graph input. */
  inputs: Record<string, Value>;
}

interface Spec {
  name: string;
  op: 'LSTM' | 'GRU' | 'RNN';
  seq: number;
  batch: number;
  input: number;
  hidden: number;
  attrs?: Record<string, AttrValue>;
  /** Optional inputs given: B, initial_h, initial_c, P (LSTM); constant sequence_lens. */
  bias?: boolean;
  initialH?: boolean;
  initialC?: boolean;
  peephole?: boolean;
  sequenceLens?: number[];
  /** W, R and B as graph inputs (fed at run time) rather than constants. */
  runtimeWeights?: boolean;
  /** Outputs computed (an omitted one gets the empty name): Y, Y_h, Y_c. */
  outputs?: ('Y' | 'Y_h' | 'Y_c')[];
}

const GATES = { LSTM: 4, GRU: 3, RNN: 1 } as const;

function recurrentCase(spec: Spec, seed: number): RecurrentCase {
  const rand = seededRandom(seed);
  const floats = (n: number, scale: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
  const attrs: Record<string, AttrValue> = { hidden_size: spec.hidden, ...spec.attrs };
  const dirs = attrs['direction'] === 'bidirectional' ? 2 : 1;
  const layout = attrs['layout'] === 1 ? 1 : 0;
  const g = GATES[spec.op];
  const { seq, batch, input, hidden } = spec;
  const tensors = new Map<string, Tensor>();
  const graphInputs: string[] = [];
  const inputs: Record<string, Value> = {};
  const runtime = (name: string, shape: number[], data: Float32Array) => {
    tensors.set(name, { name, shape, dtype: 'float32' });
    graphInputs.push(name);
    inputs[name] = { shape, dtype: 'float32', data };
    return name;
  };
  const constant = (name: string, shape: number[], data: Float32Array | Int32Array) => {
    tensors.set(name, { name, shape, dtype: data instanceof Int32Array ? 'int32' : 'float32', data });
    return name;
  };
  const weight = spec.runtimeWeights ? runtime : constant;
  const stateShape = layout === 0 ? [dirs, batch, hidden] : [batch, dirs, hidden];
  const stateSize = dirs * batch * hidden;
  const nodeInputs = [
    runtime('X', layout === 0 ? [seq, batch, input] : [batch, seq, input], floats(seq * batch * input, 1)),
    weight('W', [dirs, g * hidden, input], floats(dirs * g * hidden * input, 0.6)),
    weight('R', [dirs, g * hidden, hidden], floats(dirs * g * hidden * hidden, 0.6)),
    spec.bias ? weight('B', [dirs, 2 * g * hidden], floats(dirs * 2 * g * hidden, 0.4)) : '',
    spec.sequenceLens ? constant('sequence_lens', [batch], Int32Array.from(spec.sequenceLens)) : '',
    spec.initialH ? runtime('initial_h', stateShape, floats(stateSize, 0.8)) : '',
  ];
  if (spec.op === 'LSTM') {
    nodeInputs.push(spec.initialC ? runtime('initial_c', stateShape, floats(stateSize, 0.8)) : '');
    nodeInputs.push(spec.peephole ? constant('P', [dirs, 3 * hidden], floats(dirs * 3 * hidden, 0.5)) : '');
  }
  while (nodeInputs[nodeInputs.length - 1] === '') nodeInputs.pop();
  const wanted = spec.outputs ?? (spec.op === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h']);
  const names = (spec.op === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h']) as ('Y' | 'Y_h' | 'Y_c')[];
  const nodeOutputs = names.map((n) => (wanted.includes(n) ? n : ''));
  while (nodeOutputs[nodeOutputs.length - 1] === '') nodeOutputs.pop();
  const yShape = layout === 0 ? [seq, dirs, batch, hidden] : [batch, seq, dirs, hidden];
  for (const o of nodeOutputs) if (o) tensors.set(o, { name: o, shape: o === 'Y' ? yShape : stateShape, dtype: 'float32' });
  const graph: Graph = {
    name: spec.name,
    opset: 14,
    tensors,
    nodes: [{ name: spec.name, op: spec.op, domain: '', inputs: nodeInputs, outputs: nodeOutputs, attrs }],
    inputs: graphInputs,
    outputs: nodeOutputs.filter((o) => o !== ''),
  };
  return { name: spec.name, graph, inputs };
}

const SPECS: Spec[] = [
  { name: 'lstm_all_inputs_outputs', op: 'LSTM', seq: 5, batch: 2, input: 3, hidden: 4, bias: true, initialH: true, initialC: true, peephole: true },
  {
    name: 'lstm_bidirectional_layout1',
    op: 'LSTM',
    seq: 4,
    batch: 3,
    input: 2,
    hidden: 5,
    bias: true,
    initialH: true,
    initialC: true,
    peephole: true,
    attrs: { direction: 'bidirectional', layout: 1 },
  },
  {
    name: 'lstm_reverse_clip_input_forget',
    op: 'LSTM',
    seq: 6,
    batch: 1,
    input: 4,
    hidden: 3,
    bias: true,
    attrs: { direction: 'reverse', clip: 0.7, input_forget: 1 },
  },
  {
    name: 'lstm_sequence_lens_bidirectional',
    op: 'LSTM',
    seq: 5,
    batch: 3,
    input: 2,
    hidden: 3,
    bias: true,
    initialH: true,
    sequenceLens: [5, 2, 3],
    attrs: { direction: 'bidirectional' },
  },
  {
    name: 'lstm_other_activations',
    op: 'LSTM',
    seq: 3,
    batch: 2,
    input: 3,
    hidden: 4,
    bias: true,
    attrs: { activations: ['HardSigmoid', 'LeakyRelu', 'Softsign'], activation_alpha: [0.25, 0.1], activation_beta: [0.4] },
  },
  { name: 'lstm_runtime_weights_y_c_only', op: 'LSTM', seq: 3, batch: 2, input: 3, hidden: 4, bias: true, runtimeWeights: true, outputs: ['Y_c'] },
  { name: 'gru_all_inputs', op: 'GRU', seq: 5, batch: 2, input: 3, hidden: 4, bias: true, initialH: true },
  {
    name: 'gru_bidirectional_linear_before_reset_layout1',
    op: 'GRU',
    seq: 4,
    batch: 2,
    input: 3,
    hidden: 5,
    bias: true,
    initialH: true,
    attrs: { direction: 'bidirectional', linear_before_reset: 1, layout: 1 },
  },
  {
    name: 'gru_reverse_sequence_lens_clip',
    op: 'GRU',
    seq: 4,
    batch: 3,
    input: 2,
    hidden: 3,
    bias: true,
    sequenceLens: [1, 4, 2],
    attrs: { direction: 'reverse', clip: 0.5 },
  },
  {
    name: 'gru_relu_elu_runtime_weights',
    op: 'GRU',
    seq: 3,
    batch: 1,
    input: 2,
    hidden: 3,
    bias: true,
    runtimeWeights: true,
    attrs: { activations: ['Sigmoid', 'Elu'], activation_alpha: [0.7] },
  },
  { name: 'rnn_all_inputs', op: 'RNN', seq: 5, batch: 2, input: 3, hidden: 4, bias: true, initialH: true },
  {
    name: 'rnn_bidirectional_relu_sequence_lens',
    op: 'RNN',
    seq: 4,
    batch: 2,
    input: 3,
    hidden: 3,
    bias: true,
    sequenceLens: [3, 4],
    attrs: { direction: 'bidirectional', activations: ['Relu', 'Tanh'] },
  },
  {
    name: 'rnn_layout1_reverse_y_only',
    op: 'RNN',
    seq: 3,
    batch: 2,
    input: 2,
    hidden: 4,
    attrs: { direction: 'reverse', layout: 1 },
    outputs: ['Y'],
  },
];

export const RECURRENT_CASES: RecurrentCase[] = SPECS.map((spec, i) => recurrentCase(spec, 500 + i));
