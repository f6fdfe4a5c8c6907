// Tensors that share one buffer: a union-find over tensor names whose classes carry the last step that reads any
// member, the size of the largest, and at most one place outside the arena (a model input, output or constant).

import type { Binding } from './plan-types.js';

export class BufferGroups {
  private readonly parent = new Map<string, string>();
  private readonly binding = new Map<string, Binding>();
  private readonly lastRead = new Map<string, number>();
  private readonly bytes = new Map<string, number>();

  /** `bytesOf` gives a tensor's size; a class bound to an output may hold nothing larger than that output. */
  constructor(
    private readonly bytesOf: (name: string) => number,
    private readonly outputBytes: (index: number) => number,
  ) {}

  add(name: string, lastRead: number, binding?: Binding): void {
    if (this.parent.has(name)) return;
    this.parent.set(name, name);
    this.lastRead.set(name, lastRead);
    this.bytes.set(name, this.bytesOf(name));
    if (binding) this.binding.set(name, binding);
  }

  has(name: string): boolean {
    return this.parent.has(name);
  }

  /** The name that stands for `name`'s class (`name` itself when it has none). */
  root(name: string): string {
    let r = name;
    for (let up = this.parent.get(r); up !== undefined && up !== r; up = this.parent.get(r)) r = up;
    if (r !== name) this.parent.set(name, r);
    return r;
  }

  bindingOf(name: string): Binding | undefined {
    return this.binding.get(this.root(name));
  }

  /** The last step that reads any tensor of `name`'s class (-1 when `name` has none). */
  lastReadOf(name: string): number {
    return this.lastRead.get(this.root(name)) ?? -1;
  }

  /** Merge the classes of a and b; false (and no change) when both are bound to external places. */
  tryMerge(a: string, b: string): boolean {
    const ra = this.root(a);
    const rb = this.root(b);
    if (ra === rb) return true;
    const ba = this.binding.get(ra);
    const bb = this.binding.get(rb);
    if (ba && bb) return false;
    const bytes = Math.max(this.bytes.get(ra) ?? 0, this.bytes.get(rb) ?? 0);
    const bound = ba ?? bb;
    if (bound?.kind === 'output' && bytes > this.outputBytes(bound.index)) return false;
    this.parent.set(rb, ra);
    this.bytes.set(ra, bytes);
    this.lastRead.set(ra, Math.max(this.lastRead.get(ra) ?? -1, this.lastRead.get(rb) ?? -1));
    if (!ba && bb) this.binding.set(ra, bb);
    this.binding.delete(rb);
    return true;
  }
}
