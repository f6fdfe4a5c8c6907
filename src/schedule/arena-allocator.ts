// Places buffers with known lifetimes in one arena so that buffers alive at the same time never share bytes.
// Used by the memory planner (plan.ts); pure numbers in, offsets out, so it is tested alone.

/** A buffer to place: `bytes` long, alive from step `first` to step `last` inclusive. */
export interface ArenaRequest {
  bytes: number;
  first: number;
  last: number;
}

export interface ArenaLayout {
  /** Byte offset of each request, in request order; multiples of the alignment. */
  offsets: number[];
  /** Arena size: the end of the highest buffer, rounded up to the alignment. */
  totalBytes: number;
  /** Which ordering won (for reports and tests). */
  strategy: string;
}

/** Round `n` up to a multiple of `alignment`. */
export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function overlaps(a: ArenaRequest, b: ArenaRequest): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/**
 * First-fit placement in the given order: each buffer goes to the lowest aligned offset where it
 * does not overlap (in bytes) any already placed buffer that is alive at the same time. This is
 * TFLite Micro's GreedyMemoryPlanner when the order is "largest first".
 */
export function placeInOrder(requests: readonly ArenaRequest[], order: readonly number[], alignment: number): { offsets: number[]; total: number } {
  const offsets = new Array<number>(requests.length).fill(-1);
  // Placed buffers by each step they are alive at: the ones alive together with a request are found by walking its
  // own lifetime, not every placed buffer (a scan of all of them made a plan quadratic in the buffers).
  let low = Infinity;
  let high = -Infinity;
  for (const r of requests) {
    low = Math.min(low, r.first);
    high = Math.max(high, r.last);
  }
  const aliveAt: number[][] = Array.from({ length: Math.max(0, high - low + 1) }, () => []);
  // A request with first > last is alive at no step; such ones are compared with overlaps() one by one.
  const irregular: number[] = [];
  const seenBy = new Array<number>(requests.length).fill(-1);
  let total = 0;
  for (const i of order) {
    const req = requests[i]!;
    const size = alignUp(req.bytes, alignment);
    if (size === 0) {
      offsets[i] = 0;
      continue;
    }
    // Byte ranges of the placed buffers that are alive together with this one, by start offset.
    const together: number[] = irregular.filter((j) => overlaps(req, requests[j]!));
    if (req.first > req.last) {
      for (const list of aliveAt)
        for (const j of list)
          if (seenBy[j] !== i && overlaps(req, requests[j]!)) {
            seenBy[j] = i;
            together.push(j);
          }
    } else {
      for (let step = req.first; step <= req.last; step++) {
        for (const j of aliveAt[step - low]!)
          if (seenBy[j] !== i) {
            seenBy[j] = i;
            together.push(j);
          }
      }
    }
    const busy = together.map((j) => [offsets[j]!, offsets[j]! + alignUp(requests[j]!.bytes, alignment)] as const).sort((a, b) => a[0] - b[0]);
    let candidate = 0;
    for (const [start, end] of busy) {
      if (candidate + size <= start) break;
      if (end > candidate) candidate = end;
    }
    offsets[i] = candidate;
    if (req.first > req.last) irregular.push(i);
    else for (let step = req.first; step <= req.last; step++) aliveAt[step - low]!.push(i);
    total = Math.max(total, candidate + size);
  }
  return { offsets, total };
}

/**
 * Lay out the buffers, trying a few greedy orders and keeping the smallest arena (largest first, as TFLite
 * Micro does; longest-lived first; largest size x lifetime first; earliest first; then seeded random orders
 * until one reaches the lower bound). Ties keep the first. Deterministic.
 */
export function allocateArena(requests: readonly ArenaRequest[], alignment = 8): ArenaLayout {
  const indices = requests.map((_, i) => i);
  const span = (r: ArenaRequest) => r.last - r.first;
  const orders: [string, (a: number, b: number) => number][] = [
    ['largest-first', (a, b) => requests[b]!.bytes - requests[a]!.bytes || requests[a]!.first - requests[b]!.first || a - b],
    ['longest-lived-first', (a, b) => span(requests[b]!) - span(requests[a]!) || requests[b]!.bytes - requests[a]!.bytes || a - b],
    ['largest-area-first', (a, b) => requests[b]!.bytes * (span(requests[b]!) + 1) - requests[a]!.bytes * (span(requests[a]!) + 1) || a - b],
    ['earliest-first', (a, b) => requests[a]!.first - requests[b]!.first || requests[b]!.bytes - requests[a]!.bytes || a - b],
  ];
  let best: ArenaLayout | undefined;
  const consider = (strategy: string, order: number[]) => {
    const { offsets, total } = placeInOrder(requests, order, alignment);
    if (!best || total < best.totalBytes) best = { offsets, totalBytes: total, strategy };
  };
  for (const [strategy, compare] of orders) consider(strategy, [...indices].sort(compare));
  // A few seeded random orders (bounded work): they find layouts that a fixed order's first fit misses.
  const lowerBound = arenaLowerBound(requests, alignment);
  const trials = Math.min(RANDOM_ORDERS, Math.floor(4e6 / Math.max(1, requests.length) ** 2));
  let seed = 0x9e3779b9;
  const random = () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return seed / 4294967296;
  };
  for (let t = 0; t < trials && best!.totalBytes > lowerBound; t++) {
    const order = [...indices];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    consider(`random-order-${t}`, order);
  }
  return best ?? { offsets: [], totalBytes: 0, strategy: 'empty' };
}

/** How many random orders allocateArena tries after the fixed ones, at most. */
const RANDOM_ORDERS = 64;

/**
 * The least arena any placement can use: the largest total of (aligned) buffers alive at one step.
 * Placements may need more (fragmentation), never less.
 */
export function arenaLowerBound(requests: readonly ArenaRequest[], alignment = 8): number {
  const events = new Map<number, number>();
  for (const r of requests) {
    const size = alignUp(r.bytes, alignment);
    events.set(r.first, (events.get(r.first) ?? 0) + size);
    events.set(r.last + 1, (events.get(r.last + 1) ?? 0) - size);
  }
  let live = 0;
  let peak = 0;
  for (const step of [...events.keys()].sort((a, b) => a - b)) {
    live += events.get(step)!;
    peak = Math.max(peak, live);
  }
  return peak;
}
