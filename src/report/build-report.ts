// The build report: what a person wants to see after `eennc build` (memory, layers, arena plan),
// as data (report.json) and as a page (report.html, rendered from templates/report/report.html.hbs).

import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { fileURLToPath } from 'node:url';
import { exitTableCells, expectedLines, type ExitExpectation, type ExitReport } from './exit-table.js';
import { taskTableCells, type IntermittentReport } from './task-table.js';
import { deviceTableCells, type DevicesReport } from './device-table.js';
import { layerTableCells, samplesText, type ProfileSummary, type StepReport } from './layer-table.js';
import { arenaPicture } from './arena-picture.js';

export interface MemoryReport {
  /** Flash of the firmware image (code + weights), from arm-none-eabi-size; estimate when not compiled. */
  flash_bytes: number;
  /** Static RAM of the firmware (data + bss, arena included) plus the measured or budgeted stack. */
  ram_bytes: number;
  arena_bytes: number;
  stack_bytes: number;
  weights_bytes: number;
  /** What keeping every intermediate tensor would take (no reuse), for comparison. */
  unplanned_activation_bytes: number;
  /** True when flash/RAM come from the linked image, false when estimated. */
  measured: boolean;
}

export interface LayerReport {
  node: string;
  op: string;
  output_shape: number[];
  macs: number;
  params: number;
  /** int8 builds: the output tensor's type (int16 where --int16-layers holds it so), scale and zero point. */
  output_dtype?: 'int8' | 'int16';
  output_scale?: number;
  output_zero_point?: number;
}

/** A model input or output as the generated code takes it. */
export interface IoReport {
  name: string;
  role: 'input' | 'output';
  dtype: string;
  shape: number[];
  /** int8: real = scale * (q - zero_point). */
  scale?: number;
  zero_point?: number;
}

export interface ArenaSlot {
  tensor: string;
  offset: number;
  bytes: number;
  /** First and last schedule step (node index) where the tensor is live. */
  first: number;
  last: number;
}

export interface BuildReport {
  model: string;
  target: string;
  precision: string;
  macs: number;
  params: number;
  memory: MemoryReport;
  limits: { flash_bytes: number | null; ram_bytes: number | null };
  layers: LayerReport[];
  arena: ArenaSlot[];
  io: IoReport[];
  notes: string[];
  /** A model with early exits: each exit's cumulative cost, share and accuracy (src/report/exit-table.ts). */
  exits?: ExitReport[];
  /** The expected cost per inference against --no-exits; null where no inputs were run (no --calib). */
  exits_expected?: ExitExpectation | null;
  /** An intermittent build: its tasks, budget and NVM layout (src/report/task-table.ts). */
  intermittent?: IntermittentReport;
  /** A multi-device build: every cut the cost model evaluated and the one built (src/report/device-table.ts). */
  devices?: DevicesReport;
  /** Each step of the schedule: kernel, MACs, weights, arena slice; instructions when profiled, SQNR with --calib. */
  steps?: StepReport[];
  /** A profiled build (build --profile): what was measured on the target (src/report/layer-table.ts). */
  profile?: ProfileSummary;
  /** Calibration samples over which the steps' SQNR was measured, where it was. */
  sqnr_samples?: number;
  /** Tensors whose int8 SQNR is below LOW_SQNR_DB (src/sqnr-warnings.ts), where some are; printed as warnings. */
  warnings?: string[];
}

const templatePath = fileURLToPath(new URL('../../templates/report/report.html.hbs', import.meta.url));
let compiled: HandlebarsTemplateDelegate | undefined;

/**
 * The report as one self-contained HTML page (no script, no external resource): memory, the per-layer table, the
 * arena over the schedule as an SVG picture (time across, offset down), the exit, task and device tables where
 * there are some. Handlebars escapes every text from the model.
 */
export function renderReportHtml(report: BuildReport): string {
  compiled ??= Handlebars.compile(readFileSync(templatePath, 'utf8'));
  const steps = report.steps?.length ?? report.layers.length;
  const pct = (used: number, limit: number | null) => (limit ? `${((100 * used) / limit).toFixed(1)}%` : 'n/a');
  const exitTable = report.exits ? { exits: report.exits, expected: report.exits_expected ?? null } : undefined;
  return compiled({
    ...report,
    exitCells: exitTable ? htmlCells(exitTableCells(exitTable)) : undefined,
    expectedLines: exitTable ? expectedLines(exitTable) : [],
    taskCells: report.intermittent ? htmlCells(taskTableCells(report.intermittent)) : undefined,
    deviceCells: report.devices ? deviceCells(report.devices) : undefined,
    // Built from escaped text only (arena-picture.ts), so the template may insert it as markup.
    arenaSvg: arenaPicture(report.arena, steps, report.memory.arena_bytes),
    layerCells: report.steps ? numericCells(layerTableCells(report.steps)) : undefined,
    profileText: report.profile
      ? `${Math.round(report.profile.total_instructions).toLocaleString('en-US')} per inference (mean of ${samplesText(report.profile.samples)}, every step run)`
      : undefined,
    int8: report.precision === 'int8',
    flashPct: pct(report.memory.flash_bytes, report.limits.flash_bytes),
    ramPct: pct(report.memory.ram_bytes, report.limits.ram_bytes),
    savedPct: report.memory.unplanned_activation_bytes
      ? `${(100 - (100 * report.memory.arena_bytes) / report.memory.unplanned_activation_bytes).toFixed(0)}%`
      : 'n/a',
  });
}

/** The exit table's cells for the page: the name and the rule as text, the numbers right-aligned. */
function htmlCells(table: { header: string[]; rows: string[][] }): { header: string[]; rows: { text: string; numeric: boolean }[][] } {
  return { header: table.header, rows: table.rows.map((row) => row.map((text, c) => ({ text, numeric: c >= 2 }))) };
}

/** The cut table's cells for the page, the figures right-aligned. */
function deviceCells(report: DevicesReport): { header: string[]; rows: { text: string; numeric: boolean }[][] } {
  return numericCells(deviceTableCells(report));
}

/** A table that says which of its columns are numbers, as the page's cells (the numbers right-aligned). */
function numericCells(table: { header: string[]; rows: string[][]; numeric: boolean[] }): {
  header: string[];
  rows: { text: string; numeric: boolean }[][];
} {
  return { header: table.header, rows: table.rows.map((row) => row.map((text, c) => ({ text, numeric: table.numeric[c]! }))) };
}
