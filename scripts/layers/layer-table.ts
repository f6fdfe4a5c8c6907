// The tables of the int8 layer benchmark (scripts/bench-layers.ts): one Markdown table per target with ours beside
// that target's peers and bar (scripts/layers/peers.ts), the cycle estimate where the core has a cycle model.
// The README's speed tables are this printer's output (`npm run bench:layers -- --markdown`).

import { CYCLE_ESTIMATE_NOTE, type CycleEstimate } from '../../src/target/cycle-model.js';
import { barFor, PEERS, peerColumns } from './peers.js';

/** One measured row. */
export interface LayerRow {
  layer: string;
  target: string;
  macs: number;
  instructions: number;
  perMac: number;
  /** The cycle estimate of one inference (src/target/cycle-model.ts); null where the core has no cycle model. */
  cycles: number | null;
  /** Where the estimated cycles go, by instruction class (the JSON output only). */
  cycleClasses?: CycleEstimate['classes'];
  /** The bar, instructions per MAC; null where none is known. */
  bar: number | null;
  /** PASS, FAIL, or "-" without a bar. */
  verdict: 'PASS' | 'FAIL' | '-';
  bitExact: boolean;
  /** The build is a plain int8 one (no int16 or float layer). */
  plainInt8: boolean;
  kernels: string[];
  weightBytes: number;
  arenaBytes: number;
}

/** A row's bar and verdict for its instructions per MAC. */
export function judge(layer: string, target: string, macs: number, perMac: number): Pick<LayerRow, 'bar' | 'verdict'> {
  const bar = barFor(layer, target, macs);
  if (bar === undefined) return { bar: null, verdict: '-' };
  return { bar, verdict: perMac <= bar ? 'PASS' : 'FAIL' };
}

/** Figures per MAC: 2 decimals, 3 below 1 (the M55's figures). */
function perMacText(value: number | undefined | null): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '-';
  return value < 1 ? value.toFixed(3) : value.toFixed(2);
}

/** The Markdown table of `target`'s rows. */
export function formatTable(target: string, rows: readonly LayerRow[]): string {
  const peers = peerColumns(target);
  const withCycles = rows.some((r) => r.cycles !== null);
  const header = [
    'layer',
    'MACs',
    'instructions',
    'ours /MAC',
    ...(withCycles ? ['est. cycles', 'cycles /MAC'] : []),
    ...peers.map((p) => `${p.title} /MAC`),
    'bar /MAC',
    'verdict',
    'bit-exact',
    'kernels',
  ];
  const lines = rows.map((r) => [
    r.layer,
    r.macs.toLocaleString('en-US'),
    r.instructions.toLocaleString('en-US'),
    perMacText(r.perMac),
    ...(withCycles ? [r.cycles === null ? '-' : r.cycles.toLocaleString('en-US'), perMacText(r.cycles === null ? null : r.cycles / r.macs)] : []),
    ...peers.map((p) => perMacText(p.figure(PEERS[r.layer] ?? {}))),
    r.bar === null ? '-' : `<= ${perMacText(r.bar)}`,
    r.verdict,
    r.bitExact ? 'yes' : 'NO',
    `${r.kernels.join(', ')}${r.plainInt8 ? '' : ' (NOT plain int8)'}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const textColumn = (i: number) => i === 0 || i === header.length - 1;
  const format = (cells: string[]) => `| ${cells.map((c, i) => (textColumn(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (textColumn(i) ? ` ${'-'.repeat(w)} |` : ` ${'-'.repeat(w - 1)}: |`)).join('')}`;
  return [format(header), rule, ...lines.map(format)].join('\n') + '\n';
}

/** What the cycle estimate assumes, under the tables. */
export const CYCLE_NOTE = `Estimated cycles: ${CYCLE_ESTIMATE_NOTE}`;
