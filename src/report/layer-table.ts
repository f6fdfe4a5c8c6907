// The per-layer table of the report and of `eennc profile`: one row per step of the schedule (a layer with what is
// fused into it), with its kernel, MACs, weights, arena slice, and where measured its instructions and int8 error.

/** One step of the schedule as the report shows it. */
export interface StepReport {
  /** Its index in the schedule. */
  index: number;
  /** Its primary node (the first it computes). */
  name: string;
  op: string;
  /** The nodes fused into it after the primary (activation, pool, residual add), if any. */
  fused: string[];
  /** The kernel functions it calls, comma-separated; '' where it calls none (a reshape in place). */
  kernel: string;
  /** Shape of the tensor it writes. */
  output_shape: number[];
  /** Multiply-accumulates of everything the step computes. */
  macs: number;
  /** Bytes of the constant tensors (weights, biases, tables) its nodes read. */
  weight_bytes: number;
  /** Where its output lives in the arena; null where it is not in the arena (a model output, an input alias). */
  arena_offset: number | null;
  arena_bytes: number;
  /** Instructions measured on the target (mean over the profiled samples), when profiled. */
  instructions?: number;
  /** int8 error of its output against the float model in dB (null: exact), with calibration data. */
  sqnr_db?: number | null;
}

/** What `eennc profile` (or build --profile) measured: the samples and eenn_run's instructions. */
export interface ProfileSummary {
  /** Samples run (each past every early exit). */
  samples: number;
  /** Mean instructions of eenn_run per sample, every step run; the steps' instructions add up to it. */
  total_instructions: number;
}

/** The table's cells: a header, the rows as text, and which columns hold numbers (right-aligned). */
export interface LayerTable {
  header: string[];
  rows: string[][];
  numeric: boolean[];
}

/** Decimal places of instructions per MAC. */
const PER_MAC_DIGITS = 2;
/** Decimal places of an SQNR in dB. */
const SQNR_DIGITS = 1;

/** The table's cells; the instructions columns only where `steps` were profiled, the SQNR column only where measured. */
export function layerTableCells(steps: readonly StepReport[]): LayerTable {
  const profiled = steps.some((s) => s.instructions !== undefined);
  const withSqnr = steps.some((s) => s.sqnr_db !== undefined);
  const columns: { title: string; numeric: boolean; cell: (s: StepReport) => string }[] = [
    { title: '#', numeric: true, cell: (s) => String(s.index) },
    { title: 'layer', numeric: false, cell: (s) => (s.fused.length > 0 ? `${s.name} (+ ${s.fused.join(', ')})` : s.name) },
    { title: 'op', numeric: false, cell: (s) => s.op },
    { title: 'kernel', numeric: false, cell: (s) => s.kernel || '-' },
    { title: 'output shape', numeric: false, cell: (s) => `[${s.output_shape.join(', ')}]` },
    { title: 'MACs', numeric: true, cell: (s) => grouped(s.macs) },
  ];
  if (profiled) {
    columns.push(
      { title: 'instructions', numeric: true, cell: (s) => (s.instructions === undefined ? '-' : grouped(s.instructions)) },
      { title: 'instr/MAC', numeric: true, cell: (s) => perMac(s) },
    );
  }
  columns.push(
    { title: 'weights B', numeric: true, cell: (s) => grouped(s.weight_bytes) },
    { title: 'arena offset', numeric: true, cell: (s) => (s.arena_offset === null ? '-' : grouped(s.arena_offset)) },
    { title: 'arena B', numeric: true, cell: (s) => (s.arena_offset === null ? '-' : grouped(s.arena_bytes)) },
  );
  if (withSqnr) columns.push({ title: 'SQNR dB', numeric: true, cell: (s) => sqnrText(s.sqnr_db) });
  return {
    header: columns.map((c) => c.title),
    rows: steps.map((s) => columns.map((c) => c.cell(s))),
    numeric: columns.map((c) => c.numeric),
  };
}

/** The table as aligned lines for a terminal, the total last where profiled. */
export function formatLayerTable(steps: readonly StepReport[], profile?: ProfileSummary): string[] {
  const table = layerTableCells(steps);
  const widths = table.header.map((h, c) => Math.max(h.length, ...table.rows.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((text, c) => (table.numeric[c] ? text.padStart(widths[c]!) : text.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  const lines = [line(table.header), ...table.rows.map(line)];
  if (profile) {
    const sum = steps.reduce((n, s) => n + (s.instructions ?? 0), 0);
    const macs = steps.reduce((n, s) => n + s.macs, 0);
    const per = macs > 0 ? `, ${(profile.total_instructions / macs).toFixed(PER_MAC_DIGITS)} per MAC` : '';
    lines.push(
      `total: ${grouped(profile.total_instructions)} instructions per inference (mean of ${samplesText(profile.samples)}, every step run)${per}; the steps add up to ${grouped(sum)}`,
    );
  }
  return lines;
}

/** A count rounded and grouped in thousands (12,345), as the exit table writes them. */
function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** "1 sample", "4 samples". */
export function samplesText(count: number): string {
  return `${count} sample${count === 1 ? '' : 's'}`;
}

/** Instructions per MAC of a profiled step; '-' where it has no MACs or was not measured. */
function perMac(step: StepReport): string {
  return step.instructions === undefined || step.macs === 0 ? '-' : (step.instructions / step.macs).toFixed(PER_MAC_DIGITS);
}

/** An SQNR for a cell: 'exact' for no error, '-' where not measured (a float tensor). */
function sqnrText(db: number | null | undefined): string {
  if (db === undefined) return '-';
  return db === null ? 'exact' : db.toFixed(SQNR_DIGITS);
}
