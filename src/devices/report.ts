// The cut table for report.json and the command line (src/report/device-table.ts) from the cost model's
// evaluations: numbers as they are, unknown figures (a target without a clock or energy) as null.

import type { CutRow, CutSide, DevicesReport } from '../report/device-table.js';
import type { CutEvaluation, DeviceCost, DeviceOptions } from './types.js';

/** The devices part of report.json: the options, every evaluated cut, and the position of `chosen`. */
export function devicesReport(options: DeviceOptions, evaluations: readonly CutEvaluation[], chosen: CutEvaluation): DevicesReport {
  const link = options.link;
  return {
    objective: options.objective,
    link: {
      text: link.text,
      baud: link.baud,
      bits_per_byte: link.bitsPerByte,
      message_latency_us: link.messageLatencyUs,
      nanojoules_per_byte: link.nanojoulesPerByte,
    },
    devices: options.devices.map((d) => ({ name: d.name, target: d.target.name })),
    chosen: chosen.cut.position,
    cut_given: options.cut ?? null,
    cuts: evaluations.map((e): CutRow => ({
      position: e.cut.position,
      label: e.label,
      tensor: e.cut.tensor ?? null,
      payload_bytes: e.cut.payloadBytes,
      link_bytes: e.linkBytes,
      latency_ms: known(e.latencyMs),
      energy_uj: known(e.energyUj),
      node: side(e.node),
      gateway: side(e.gateway),
      fits: e.fits,
    })),
  };
}

/** A figure, or null when it is not a number (NaN: a figure the target files do not give). */
function known(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** One device's side of a row, as report.json spells it. */
function side(cost: DeviceCost): CutSide {
  return {
    instructions: cost.instructions,
    flash_bytes: cost.flashBytes,
    ram_bytes: cost.ramBytes,
    fits: cost.fits,
    ...(cost.overBy ? { over_by: cost.overBy } : {}),
  };
}
