// What `npm run bench:accuracy` measures and how it prints it, apart from the measuring: the columns (calibration
// techniques each added to plain quantization, then the calibration methods with the default techniques), the cells, the bars and the markdown tables.

import type { CalibrationMethod } from '../../src/quantize/calibrate.js';
import { NO_TECHNIQUES, type QuantTechniques } from '../../src/quantize/techniques.js';

/** The calibration method a build takes when the command line names none (--calib-method). */
export const DEFAULT_METHOD: CalibrationMethod = 'percentile';
/** Samples over which each build's output SQNR is measured (the first of each model's). */
export const SQNR_SAMPLES = 100;
/** Bar: the default build loses at most this many top-1 points against float32, on every labelled model. */
export const DEFAULT_BAR_POINTS = 0.5;
/** Bar: entropy calibration loses at most this many top-1 points against float32, on every labelled model. */
export const ENTROPY_BAR_POINTS = 1;

/** One int8 build of every model: a calibration method and the techniques added to the defaults. */
export interface Column {
  /** Key of the column in --json. */
  key: string;
  heading: string;
  method: CalibrationMethod;
  techniques: Partial<QuantTechniques>;
}

/**
 * The columns in print order: plain quantization (percentile, no technique) and each technique added to it alone,
 * then each calibration method with the default techniques (src/quantize/techniques.ts DEFAULT_TECHNIQUES), then
 * the default build with learned rounding too.
 */
export const COLUMNS: readonly Column[] = [
  { key: 'plain', heading: 'no technique', method: DEFAULT_METHOD, techniques: NO_TECHNIQUES },
  { key: 'equalize', heading: '+equalize', method: DEFAULT_METHOD, techniques: { ...NO_TECHNIQUES, equalize: true } },
  { key: 'bias_correction', heading: '+bias correction', method: DEFAULT_METHOD, techniques: { ...NO_TECHNIQUES, biasCorrection: true } },
  { key: 'optimize_rounding', heading: '+optimize rounding', method: DEFAULT_METHOD, techniques: { ...NO_TECHNIQUES, optimizeRounding: true } },
  { key: 'int16_auto', heading: '+int16 auto', method: DEFAULT_METHOD, techniques: { ...NO_TECHNIQUES, int16Layers: { kind: 'auto' } } },
  { key: 'minmax', heading: 'default, minmax', method: 'minmax', techniques: {} },
  { key: 'percentile', heading: 'default (percentile)', method: 'percentile', techniques: {} },
  { key: 'entropy', heading: 'default, entropy', method: 'entropy', techniques: {} },
  { key: 'all', heading: 'default + optimize rounding', method: DEFAULT_METHOD, techniques: { optimizeRounding: true } },
];

/** The column of the default build (the bar of DEFAULT_BAR_POINTS). */
export const DEFAULT_COLUMN = 'percentile';
/** The column of entropy calibration (the bar of ENTROPY_BAR_POINTS). */
export const ENTROPY_COLUMN = 'entropy';

/** What one int8 build of one model gave. */
export type Cell =
  | {
      status: 'ok';
      /** int8 top-1 in [0, 1]: against the labels, or agreement with float32 for a model without labels. */
      int8Top1: number;
      /** 100 * (float32 top-1 - int8 top-1). */
      lossPoints: number;
      /** SQNR of the model output against float32 in dB (Infinity when exact; null when the output is not int8). */
      outputSqnrDb: number | null;
      /** Quantization and evaluation. */
      seconds: number;
    }
  /** The technique is not in this build of eennc (E_UNSUPPORTED "not available in this build"). */
  | { status: 'n/a'; reason: string }
  | { status: 'failed'; error: string };

/** One model's row. */
export interface ModelRow {
  model: string;
  /** Labelled (Fashion-MNIST test set) or measured against float32's own answers (bundled inputs). */
  labelled: boolean;
  samples: number;
  /** float32 top-1 in [0, 1]; a model without labels agrees with itself (1). */
  floatTop1: number;
  /** By column key. */
  cells: Record<string, Cell>;
}

/** A bar over the labelled models, with the models that miss it. */
export interface Bar {
  name: string;
  pass: boolean;
  /** Models over the bar or whose build did not run, with why. */
  misses: string[];
}

/**
 * The two accuracy bars over the labelled models: the default build within DEFAULT_BAR_POINTS, entropy within
 * ENTROPY_BAR_POINTS. A model without labels is shown but not barred: its few bundled inputs make one answer that
 * flips between near-equal logits of random weights worth tens of points.
 */
export function accuracyBars(rows: readonly ModelRow[]): Bar[] {
  const bar = (name: string, column: string, points: number): Bar => {
    const misses: string[] = [];
    for (const row of rows.filter((r) => r.labelled)) {
      const cell = row.cells[column];
      if (!cell || cell.status !== 'ok') misses.push(`${row.model} (${cell ? cell.status : 'not run'})`);
      else if (cell.lossPoints > points) misses.push(`${row.model} (${cell.lossPoints.toFixed(2)} points)`);
    }
    return { name: `${name} within ${points} point${points === 1 ? '' : 's'} of float32 on every labelled model`, pass: misses.length === 0, misses };
  };
  return [bar('default build (percentile)', DEFAULT_COLUMN, DEFAULT_BAR_POINTS), bar('entropy', ENTROPY_COLUMN, ENTROPY_BAR_POINTS)];
}

/** A cell of the loss table: points lost (negative: int8 does better), "n/a" or "failed". */
export function lossText(cell: Cell | undefined): string {
  if (!cell) return '-';
  if (cell.status !== 'ok') return cell.status;
  // -0.00 reads as a loss; a gain below the printed precision is 0.00.
  const points = Math.abs(cell.lossPoints) < 0.005 ? 0 : cell.lossPoints;
  return points.toFixed(2);
}

/** A cell of the SQNR table, in dB ("exact" when int8 equals float32). */
export function sqnrText(cell: Cell | undefined): string {
  if (!cell) return '-';
  if (cell.status !== 'ok') return cell.status;
  if (cell.outputSqnrDb === null) return '-';
  return Number.isFinite(cell.outputSqnrDb) ? cell.outputSqnrDb.toFixed(1) : 'exact';
}

/** The two markdown tables (top-1 points lost; output SQNR) and the bars, as the bench prints them. */
export function formatTables(rows: readonly ModelRow[], columns: readonly Column[] = COLUMNS): string {
  const head = (first: string[]) => [
    `| ${[...first, ...columns.map((c) => c.heading)].join(' | ')} |`,
    `| ${[...first.map((_, i) => (i === 0 ? '---' : '---:')), ...columns.map(() => '---:')].join(' | ')} |`,
  ];
  const out: string[] = [];
  out.push(
    'int8 top-1 points lost against float32 (Fashion-MNIST test images; * no labels, not barred: disagreement with float32 on the bundled inputs)',
    '',
    ...head(['model', 'samples', 'float32 top-1']),
  );
  for (const row of rows) {
    const name = row.labelled ? row.model : `${row.model} *`;
    const float = row.labelled ? `${(100 * row.floatTop1).toFixed(2)}%` : '-';
    out.push(`| ${[name, String(row.samples), float, ...columns.map((c) => lossText(row.cells[c.key]))].join(' | ')} |`);
  }
  out.push('', `Output SQNR against float32 (dB, over the first ${SQNR_SAMPLES} samples of each model)`, '', ...head(['model']));
  for (const row of rows) out.push(`| ${[row.model, ...columns.map((c) => sqnrText(row.cells[c.key]))].join(' | ')} |`);
  out.push('');
  for (const bar of accuracyBars(rows)) {
    out.push(`${bar.name}: ${bar.pass ? 'PASS' : `FAIL (${bar.misses.join(', ')})`}`);
  }
  const missing = [...new Set(rows.flatMap((r) => columns.filter((c) => r.cells[c.key]?.status === 'n/a').map((c) => c.heading)))];
  if (missing.length > 0) out.push(`n/a: not available in this build of eennc (${missing.join(', ')})`);
  return out.join('\n') + '\n';
}
