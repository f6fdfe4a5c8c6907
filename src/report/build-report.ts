// The build report: what a person wants to see after `eennc build` (memory, layers, arena plan),
// as data (report.json) and as a page (report.html, rendered from templates/report/report.html.hbs).

import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { fileURLToPath } from 'node:url';
import { exitTableCells, expectedLines, type ExitExpectation, type ExitReport } from './exit-table.js';
import { taskTableCells, type IntermittentReport } from './task-table.js';
import { deviceTableCells, type DevicesReport } from './device-table.js';

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
  /** int8 builds: the output tensor's scale and zero point. */
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
}

const templatePath = fileURLToPath(new URL('../../templates/report/report.html.hbs', import.meta.url));
let compiled: HandlebarsTemplateDelegate | undefined;

const palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];

/** The report as an HTML page with a layer table and a drawing of the arena plan (time across, offset down). */
export function renderReportHtml(report: BuildReport): string {
  compiled ??= Handlebars.compile(readFileSync(templatePath, 'utf8'));
  const steps = Math.max(1, report.layers.length);
  const arena = Math.max(1, report.memory.arena_bytes);
  const width = 900;
  const height = 260;
  const boxes = report.arena.map((slot, i) => ({
    x: ((slot.first / steps) * width).toFixed(1),
    y: ((slot.offset / arena) * height).toFixed(1),
    w: Math.max(2, ((slot.last - slot.first + 1) / steps) * width).toFixed(1),
    h: Math.max(1, (slot.bytes / arena) * height).toFixed(1),
    color: palette[i % palette.length],
    label: `${slot.tensor}: ${slot.bytes} B at ${slot.offset}, steps ${slot.first}-${slot.last}`,
  }));
  const pct = (used: number, limit: number | null) => (limit ? `${((100 * used) / limit).toFixed(1)}%` : 'n/a');
  const exitTable = report.exits ? { exits: report.exits, expected: report.exits_expected ?? null } : undefined;
  return compiled({
    ...report,
    exitCells: exitTable ? htmlCells(exitTableCells(exitTable)) : undefined,
    expectedLines: exitTable ? expectedLines(exitTable) : [],
    taskCells: report.intermittent ? htmlCells(taskTableCells(report.intermittent)) : undefined,
    deviceCells: report.devices ? deviceCells(report.devices) : undefined,
    width,
    height,
    boxes,
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
  const table = deviceTableCells(report);
  return { header: table.header, rows: table.rows.map((row) => row.map((text, c) => ({ text, numeric: table.numeric[c]! }))) };
}
