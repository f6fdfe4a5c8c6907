// The QOperator-format operators the QDQ import turns back into float operators: which inputs are quantized
// operands (value, scale, zero point), which give the output's quantization, which is an int32 bias, and the
// float operator that computes the same real values. ONNX QLinearConv / QLinearMatMul, and the com.microsoft
// operators onnxruntime's quantize_static writes in QOperator format (QLinearAdd, QGemm, QLinearConcat, ...).

import { nodeError } from '../../ir/diagnostics.js';
import { isDefaultDomain, normalDomain, type AttrValue, type Node } from '../../ir/graph.js';

/** Domain of onnxruntime's contrib operators. */
export const MICROSOFT_DOMAIN = 'com.microsoft';

/** One quantized input of a QOperator node: input indices of the value, its scale and its zero point. */
export interface QuantizedOperand {
  value: number;
  scale: number;
  zeroPoint: number;
  /** Channel axis of a per-channel constant operand (weights), counted from the end when negative. */
  channelAxis?: number;
  /** True for the weights of a convolution or fully connected layer (their int8 values become overrides). */
  weight?: boolean;
}

export interface QOperatorSpec {
  /** The float operator computing the same real values. */
  floatOp: string;
  operands(node: Node): QuantizedOperand[];
  /** Input indices of the output's scale and zero point; undefined when the output is float (QGemm without y_scale). */
  output(node: Node): { scale: number; zeroPoint: number } | undefined;
  /** An int32 bias input whose scale is the product of the scales of operands `scaledBy` (sX * sW). */
  bias?: { input: number; scaledBy: [number, number] };
  /** Attributes of the float operator (throws E_UNSUPPORTED for variants that have none). */
  attrs(node: Node): Record<string, AttrValue>;
}

const copyAttrs = (node: Node): Record<string, AttrValue> => ({ ...node.attrs });

/** The attributes without `channels_last` (onnxruntime's NHWC variants are refused). */
function channelsFirstAttrs(node: Node): Record<string, AttrValue> {
  const { channels_last: channelsLast, ...rest } = node.attrs;
  if (channelsLast !== undefined && channelsLast !== 0) {
    throw nodeError('E_UNSUPPORTED', node, 'the channels-last (NHWC) variant is not supported', 'quantize the model in NCHW layout');
  }
  return rest;
}

const unary = (floatOp: string, attrs: (node: Node) => Record<string, AttrValue> = () => ({})): QOperatorSpec => ({
  floatOp,
  operands: () => [{ value: 0, scale: 1, zeroPoint: 2 }],
  output: () => ({ scale: 3, zeroPoint: 4 }),
  attrs,
});

const binary = (floatOp: string): QOperatorSpec => ({
  floatOp,
  operands: () => [
    { value: 0, scale: 1, zeroPoint: 2 },
    { value: 3, scale: 4, zeroPoint: 5 },
  ],
  output: () => ({ scale: 6, zeroPoint: 7 }),
  attrs: () => ({}),
});

const DEFAULT_DOMAIN_SPECS: Record<string, QOperatorSpec> = {
  QLinearConv: {
    floatOp: 'Conv',
    operands: () => [
      { value: 0, scale: 1, zeroPoint: 2 },
      { value: 3, scale: 4, zeroPoint: 5, channelAxis: 0, weight: true },
    ],
    output: () => ({ scale: 6, zeroPoint: 7 }),
    bias: { input: 8, scaledBy: [0, 1] },
    attrs: copyAttrs,
  },
  QLinearMatMul: {
    floatOp: 'MatMul',
    operands: () => [
      { value: 0, scale: 1, zeroPoint: 2 },
      { value: 3, scale: 4, zeroPoint: 5, channelAxis: -1, weight: true },
    ],
    output: () => ({ scale: 6, zeroPoint: 7 }),
    attrs: () => ({}),
  },
};

const MICROSOFT_SPECS: Record<string, QOperatorSpec> = {
  QGemm: {
    floatOp: 'Gemm',
    operands: (node) => [
      { value: 0, scale: 1, zeroPoint: 2 },
      { value: 3, scale: 4, zeroPoint: 5, channelAxis: node.attrs.transB === 1 ? 0 : 1, weight: true },
    ],
    output: (node) => (node.inputs[7] ? { scale: 7, zeroPoint: 8 } : undefined),
    bias: { input: 6, scaledBy: [0, 1] },
    attrs(node) {
      const alpha = typeof node.attrs.alpha === 'number' ? node.attrs.alpha : 1;
      if (alpha !== 1 && node.inputs[6]) {
        throw nodeError(
          'E_UNSUPPORTED',
          node,
          `QGemm with alpha ${alpha} and a bias is not supported`,
          'fold alpha into the weights before quantizing',
        );
      }
      const attrs: Record<string, AttrValue> = {};
      for (const name of ['alpha', 'transA', 'transB']) if (node.attrs[name] !== undefined) attrs[name] = node.attrs[name]!;
      return attrs;
    },
  },
  QLinearAdd: binary('Add'),
  QLinearMul: binary('Mul'),
  QLinearSigmoid: unary('Sigmoid'),
  QLinearLeakyRelu: unary('LeakyRelu', (node): Record<string, AttrValue> => (node.attrs.alpha === undefined ? {} : { alpha: node.attrs.alpha })),
  QLinearGlobalAveragePool: unary('GlobalAveragePool', (node) => channelsFirstAttrs(node)),
  QLinearAveragePool: unary('AveragePool', channelsFirstAttrs),
  QLinearConcat: {
    floatOp: 'Concat',
    operands: (node) => {
      const operands: QuantizedOperand[] = [];
      for (let i = 2; i + 2 < node.inputs.length; i += 3) operands.push({ value: i, scale: i + 1, zeroPoint: i + 2 });
      return operands;
    },
    output: () => ({ scale: 0, zeroPoint: 1 }),
    attrs: (node) => ({ axis: node.attrs.axis ?? 0 }),
  },
};

/** The QOperator spec of a node, or undefined for any other operator. */
export function qOperatorSpec(node: Pick<Node, 'op' | 'domain'>): QOperatorSpec | undefined {
  if (isDefaultDomain(node)) return DEFAULT_DOMAIN_SPECS[node.op];
  if (node.domain === MICROSOFT_DOMAIN) return MICROSOFT_SPECS[node.op];
  return undefined;
}

/** QuantizeLinear / DequantizeLinear, in the default domain or onnxruntime's (same arithmetic). */
export function isQuantizeLinear(node: Pick<Node, 'op' | 'domain'>): boolean {
  return node.op === 'QuantizeLinear' && isQdqDomain(node.domain);
}

export function isDequantizeLinear(node: Pick<Node, 'op' | 'domain'>): boolean {
  return node.op === 'DequantizeLinear' && isQdqDomain(node.domain);
}

const isQdqDomain = (domain: string) => normalDomain(domain) === '' || domain === MICROSOFT_DOMAIN;
