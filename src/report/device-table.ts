// The cut table of a multi-device build as the report shows it: every cut of the schedule (all on the gateway,
// all on the node, and each place between) with the cost model's latency, energy, link bytes, each device's
// instructions and memory, whether it fits, and the one chosen. Data for report.json, rows for report.html and
// lines for the command line; src/devices/report.ts fills it from the cost model's evaluations.

/** One device of the build. */
export interface DeviceEntry {
  name: string;
  target: string;
}

/** The link as the cost model charged it. */
export interface LinkEntry {
  /** As given: "uart:115200". */
  text: string;
  baud: number;
  bits_per_byte: number;
  message_latency_us: number;
  nanojoules_per_byte: number;
}

/** One device's side of a cut. */
export interface CutSide {
  /** Mean instructions per inference (its steps, decisions and link framing). */
  instructions: number;
  /** Estimated before linking: weights, code and link code; arena, stack and buffers. */
  flash_bytes: number;
  ram_bytes: number;
  fits: boolean;
  /** When it does not fit: what is over and by how much. */
  over_by?: string;
}

/** One row of the cut table. */
export interface CutRow {
  position: number;
  /** "all on gateway", "all on node", or "after <the node of the last step on the node>". */
  label: string;
  /** The tensor sent (the model input at position 0); null when nothing is sent. */
  tensor: string | null;
  payload_bytes: number;
  /** Mean bytes on the link per inference, header and CRC included. */
  link_bytes: number;
  /** Mean latency per inference; null where a target's clock is unknown. */
  latency_ms: number | null;
  /** Mean energy per inference; null where a target's energy per instruction is unknown. */
  energy_uj: number | null;
  node: CutSide;
  gateway: CutSide;
  fits: boolean;
}

/** The multi-device part of report.json. */
export interface DevicesReport {
  objective: string;
  link: LinkEntry;
  /** The node first, then the gateway. */
  devices: DeviceEntry[];
  /** The position of the cut built. */
  chosen: number;
  /** --cut as given, when it chose the cut; null when the cost model did. */
  cut_given: string | null;
  cuts: CutRow[];
}

/** Digits after the point of latencies (ms) and energies (uJ) in the table. */
const FIGURE_DECIMALS = 3;

/** Digits after the point of mean link bytes (a share of inputs is sent). */
const BYTES_DECIMALS = 1;

/** The mark of the chosen row. */
const CHOSEN_MARK = '*';

/** Which of the table's columns hold numbers (right-aligned); the mark, where, sends and fits are text. */
const NUMERIC_COLUMNS = [false, true, false, false, true, true, true, true, true, false];

/** The cut table's header, rows and which columns are numbers (report.html; the text lines use the same cells). */
export function deviceTableCells(report: DevicesReport): { header: string[]; rows: string[][]; numeric: boolean[] } {
  const [node = { name: 'node' }, gateway = { name: 'gateway' }] = report.devices;
  return {
    numeric: NUMERIC_COLUMNS,
    header: [
      '',
      'cut',
      'where',
      'sends',
      'link bytes',
      'latency ms',
      'energy uJ',
      `${node.name} instructions`,
      `${gateway.name} instructions`,
      'fits',
    ],
    rows: report.cuts.map((row) => [
      row.position === report.chosen ? CHOSEN_MARK : '',
      String(row.position),
      row.label,
      row.tensor === null ? '-' : `${row.tensor} (${row.payload_bytes} B)`,
      row.link_bytes.toFixed(BYTES_DECIMALS),
      figure(row.latency_ms),
      figure(row.energy_uj),
      Math.round(row.node.instructions).toString(),
      Math.round(row.gateway.instructions).toString(),
      fitText(row, report),
    ]),
  };
}

/** A latency or an energy, or "-" where unknown. */
function figure(value: number | null): string {
  return value === null ? '-' : value.toFixed(FIGURE_DECIMALS);
}

/** "yes", or what does not fit on which device. */
function fitText(row: CutRow, report: DevicesReport): string {
  if (row.fits) return 'yes';
  const sides = [
    [report.devices[0]?.name ?? 'node', row.node],
    [report.devices[1]?.name ?? 'gateway', row.gateway],
  ] as const;
  return sides
    .filter(([, side]) => !side.fits)
    .map(([name, side]) => `${name}: ${side.over_by ?? 'does not fit'}`)
    .join('; ');
}

/** The cut table as text lines for the command line: a title, the columns aligned, the chosen row marked. */
export function deviceTableLines(report: DevicesReport): string[] {
  const { header, rows, numeric } = deviceTableCells(report);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  const devices = report.devices.map((d) => `${d.name} ${d.target}`).join(', ');
  return [
    `devices:  ${devices}; link ${report.link.text}; objective ${report.objective}; ${CHOSEN_MARK}: the cut built` +
      (report.cut_given === null ? '' : ` (--cut ${report.cut_given})`),
    line(header),
    ...rows.map(line),
  ];
}
