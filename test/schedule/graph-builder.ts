// Builds small IR graphs by hand for the schedule and codegen tests.
// Output shapes are given explicitly, or inferred by the operator's shape rule when it is registered.

import type { AttrValue, DType, Graph, Node, Tensor, TensorData } from '../../src/ir/graph.js';
import { sizeOf } from '../../src/ir/graph.js';
import { lookupOp } from '../../src/ops/registry.js';

export class GraphBuilder {
  readonly tensors = new Map<string, Tensor>();
  readonly nodes: Node[] = [];
  readonly inputs: string[] = [];
  readonly outputs: string[] = [];
  private counter = 0;

  constructor(
    readonly name = 'test_graph',
    readonly opset = 17,
  ) {}

  input(name: string, shape: number[], dtype: DType = 'float32'): string {
    this.tensors.set(name, { name, shape, dtype });
    this.inputs.push(name);
    return name;
  }

  constant(name: string, shape: number[], data: TensorData | number[], dtype: DType = 'float32'): string {
    const values = Array.isArray(data) ? (dtype === 'int64' ? Float64Array.from(data) : Float32Array.from(data)) : data;
    if (values.length !== sizeOf(shape)) throw new Error(`constant ${name}: ${values.length} values for shape [${shape}]`);
    this.tensors.set(name, { name, shape, dtype, data: values });
    return name;
  }

  /**
   * Adds a node; returns its output names. `outShapes` gives each output's shape (float32 unless
   * `outDtypes` says otherwise); when omitted or a count of outputs, the registered shape rule computes them.
   */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outShapes: number[][] | number = 1, outDtypes?: DType[]): string[] {
    const name = `${op.toLowerCase()}_${this.counter++}`;
    let shapes: { shape: number[]; dtype: DType }[];
    if (typeof outShapes !== 'number') {
      shapes = outShapes.map((shape, i) => ({ shape, dtype: outDtypes?.[i] ?? 'float32' }));
    } else {
      const def = lookupOp(op);
      if (!def) throw new Error(`no shape rule for ${op}: pass output shapes`);
      const outputs = Array.from({ length: outShapes }, (_, i) => `${name}_out${i}`);
      const node: Node = { name, op, domain: '', inputs, outputs, attrs };
      shapes = def.inferShapes(
        node,
        inputs.map((i) => (i === '' ? undefined : this.tensors.get(i))),
        this.opset,
      );
    }
    const outputs = shapes.map((_, i) => (shapes.length === 1 ? `${name}_out` : `${name}_out${i}`));
    shapes.forEach((s, i) => this.tensors.set(outputs[i]!, { name: outputs[i]!, shape: s.shape, dtype: s.dtype }));
    this.nodes.push({ name, op, domain: '', inputs, outputs, attrs });
    return outputs;
  }

  /** Adds a node and returns its single output. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outShape?: number[]): string {
    return this.node(op, inputs, attrs, outShape ? [outShape] : undefined)[0]!;
  }

  output(name: string): this {
    this.outputs.push(name);
    return this;
  }

  build(): Graph {
    return {
      name: this.name,
      opset: this.opset,
      tensors: this.tensors,
      nodes: this.nodes,
      inputs: this.inputs,
      outputs: this.outputs,
    };
  }
}

export { seededRandom } from '../../src/util/random.js';
