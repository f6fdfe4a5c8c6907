// The per-exit table of a model with early exits, one for the build notes, report.json/html, `accuracy` and
// `augment`: per exit its cumulative cost (MACs, instructions measured on the target), the share of inputs leaving
// there and their accuracy, and the expected cost per inference against running every layer (--no-exits).

import type { ExitPolicy } from '../ir/exits.js';

/** One exit as report.json gives it (snake_case like the rest of the report). */
export interface ExitReport {
  /** The model output the exit answers with. */
  name: string;
  /** The early exit's threshold; null for the final exit, which always answers. */
  threshold: number | null;
  policy: ExitPolicy;
  /** Multiply-accumulates of every layer run up to this exit's decision (earlier heads included). */
  macs: number;
  /** Instructions measured on the target up to this exit, its decision included; null where not measured. */
  instructions: number | null;
  /** The fraction of the inputs that leave here; null where no inputs were run. */
  share: number | null;
  /** Top-1 of the inputs that leave here (null when none do); only where labels were given. */
  accuracy?: number | null;
}

/** What an inference costs on average over the inputs, against the same model with --no-exits. */
export interface ExitExpectation {
  /** The inputs the shares come from, and how they were run (e.g. "int8 reference on 1000 calibration samples"). */
  samples: number;
  source: string;
  macs: number;
  no_exits_macs: number;
  /** Null where the instructions were not measured. */
  instructions: number | null;
  no_exits_instructions: number | null;
  /** Top-1 taking the exits and with --no-exits (the final output), where labels were given. */
  top1?: number;
  no_exits_top1?: number;
  /** What the no_exits figures are when not the model built with --no-exits (augment: "the original model"). */
  baseline?: string;
}

export interface ExitTable {
  exits: ExitReport[];
  /** Null where no inputs were run (the shares are unknown). */
  expected: ExitExpectation | null;
}

/** What the table is made from: the exits, their cumulative costs, and optionally the exit each input took. */
export interface ExitTableInput {
  names: readonly string[];
  policy: ExitPolicy;
  /** One per early exit. */
  thresholds: readonly number[];
  /** Cumulative MACs at each exit, and of every layer (--no-exits). */
  macs: readonly number[];
  noExitsMacs: number;
  /** Cumulative instructions at each exit (the last: no exit taken) and with --no-exits, where measured. */
  instructions?: readonly number[];
  noExitsInstructions?: number;
  /** The exit each input took (an index into `names`), and how the inputs were run. */
  taken?: readonly number[];
  source?: string;
  /** Whether each input's answer (from the exit it took) was right, and whether the final exit's was (labels given). */
  correct?: readonly boolean[];
  finalCorrect?: readonly boolean[];
  /** What the noExits figures are, where not the same model built with --no-exits (e.g. "the original model"). */
  baseline?: string;
}

/** The table from per-exit costs and the exit each input took. */
export function exitTable(input: ExitTableInput): ExitTable {
  const { names, taken, correct } = input;
  const leaving = names.map((_, e) => (taken ?? []).filter((t) => t === e).length);
  const exits = names.map((name, e): ExitReport => {
    const row: ExitReport = {
      name,
      threshold: input.thresholds[e] ?? null,
      policy: input.policy,
      macs: input.macs[e]!,
      instructions: input.instructions?.[e] ?? null,
      share: taken && taken.length > 0 ? leaving[e]! / taken.length : null,
    };
    if (taken && correct) {
      const right = taken.filter((t, i) => t === e && correct[i]).length;
      row.accuracy = leaving[e]! > 0 ? right / leaving[e]! : null;
    }
    return row;
  });
  if (!taken || taken.length === 0) return { exits, expected: null };
  const mean = (costs: readonly number[]) => taken.reduce((sum, t) => sum + costs[t]!, 0) / taken.length;
  const expected: ExitExpectation = {
    samples: taken.length,
    source: input.source ?? `${taken.length} inputs`,
    macs: mean(input.macs),
    no_exits_macs: input.noExitsMacs,
    instructions: input.instructions ? mean(input.instructions) : null,
    no_exits_instructions: input.noExitsInstructions ?? null,
    ...(input.baseline !== undefined ? { baseline: input.baseline } : {}),
  };
  if (correct) expected.top1 = correct.filter(Boolean).length / taken.length;
  if (input.finalCorrect) expected.no_exits_top1 = input.finalCorrect.filter(Boolean).length / taken.length;
  return { exits, expected };
}

/** The table as text cells, one row per exit (the terminal and report.html show the same). */
export function exitTableCells(table: ExitTable): { header: string[]; rows: string[][] } {
  const withAccuracy = table.exits.some((e) => e.accuracy !== undefined);
  const header = ['exit', 'threshold', 'MACs', 'instructions', 'leaving', ...(withAccuracy ? ['accuracy'] : [])];
  const rows = table.exits.map((e) => [
    e.name,
    e.threshold === null ? 'final' : `${e.policy} ${e.threshold}`,
    count(e.macs),
    e.instructions === null ? 'not measured' : count(e.instructions),
    e.share === null ? '-' : percent(e.share),
    ...(withAccuracy ? [e.accuracy === undefined || e.accuracy === null ? '-' : percent(e.accuracy)] : []),
  ]);
  return { header, rows };
}

/** The expected cost (and top-1) per inference against --no-exits, one line each; none without inputs. */
export function expectedLines(table: ExitTable): string[] {
  const x = table.expected;
  if (!x) return [];
  const versus = x.baseline ?? 'with --no-exits';
  const against = (cost: number, baseline: number) => `${count(cost)} against ${count(baseline)} ${versus} (${change(cost, baseline)})`;
  const lines: string[] = [];
  if (x.instructions !== null && x.no_exits_instructions !== null) lines.push(`instructions ${against(x.instructions, x.no_exits_instructions)}`);
  lines.push(`MACs ${against(x.macs, x.no_exits_macs)}`);
  if (x.top1 !== undefined && x.no_exits_top1 !== undefined) {
    lines.push(`top-1 ${percent(x.top1)} against ${percent(x.no_exits_top1)} ${versus} (${points(x.top1 - x.no_exits_top1)})`);
  }
  return lines;
}

/** The table as lines for a terminal: one row per exit, then the expected cost per inference. */
export function formatExitTable(table: ExitTable): string[] {
  const { header, rows } = exitTableCells(table);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => '  ' + cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const lines = ['per exit (MACs and instructions cumulative to the exit, its decision included):', line(header), ...rows.map(line)];
  const expected = expectedLines(table);
  if (table.expected && expected.length > 0) lines.push(`expected per inference over ${table.expected.source}:`, ...expected.map((l) => `  ${l}`));
  return lines;
}

/** A count as people read it: 1,234 below a million, 2.31 M above. */
function count(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : Math.round(n).toLocaleString('en-US');
}

function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** The relative change of `cost` against `baseline`, signed: "-55.8%". */
function change(cost: number, baseline: number): string {
  if (baseline === 0) return 'n/a';
  const pct = (100 * (cost - baseline)) / baseline;
  return `${pct > 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

/** A difference of two accuracies in percentage points, signed. */
function points(diff: number): string {
  const p = 100 * diff;
  return `${p > 0 ? '+' : ''}${p.toFixed(2)} points`;
}
