// A kernel call's arguments read by parameter name, for the contracts' switch and check rules (which read the
// constants the lowering passed: channel counts, shifts, biases).

import type { Graph } from '../ir/graph.js';
import type { KernelArg, KernelCall } from './call.js';

export class CallArgs {
  private readonly byName: Map<string, KernelArg>;
  constructor(
    private readonly graph: Graph,
    readonly call: KernelCall,
  ) {
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

  /** The offset of a scratch argument into the step's scratch (0 when it starts there), undefined when not a scratch. */
  scratchOffset(name: string): number | undefined {
    const arg = this.byName.get(name);
    return arg?.kind === 'scratch' ? (arg.offset ?? 0) : undefined;
  }

  /** `count` values of a constant argument (a derived array or a constant tensor), or undefined if not constant. */
  values(name: string, count: number): ArrayLike<number> | undefined {
    const arg = this.byName.get(name);
    if (!arg) return undefined;
    let data: ArrayLike<number> | undefined;
    if (arg.kind === 'const') data = arg.array.data;
    else if (arg.kind === 'tensor') data = this.graph.tensors.get(arg.tensor)?.data as ArrayLike<number> | undefined;
    if (!data) return undefined;
    const offset = 'offset' in arg ? (arg.offset ?? 0) : 0;
    return Array.prototype.slice.call(data, offset, offset + count) as number[];
  }
}
