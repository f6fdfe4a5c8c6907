// The arena over the schedule as an inline SVG picture: each buffer a bar, across the steps during which it is live,
// down at its offset and as tall as its bytes, with a hover title naming it. Self-contained markup (no script, no
// font, no link) for report.html; every name in it is escaped.

/** A buffer of the arena as the report lists it (BuildReport.arena). */
export interface ArenaBar {
  tensor: string;
  offset: number;
  bytes: number;
  /** First and last schedule step where it is live (the last may be `steps` for a model output). */
  first: number;
  last: number;
}

/** Size of the drawing area in pixels, and the margins left for the axes' labels. */
const PLOT_WIDTH = 860;
const PLOT_HEIGHT = 260;
const MARGIN_LEFT = 70;
const MARGIN_BOTTOM = 30;
const MARGIN_TOP = 10;
const MARGIN_RIGHT = 10;
/** A bar is never drawn thinner than this (a 1-byte buffer in a large arena still shows). */
const MIN_BAR_PX = 2;
/** At most this many labelled ticks on each axis. */
const MAX_TICKS = 10;
/** Bar colours, one after the other (Tableau 10). */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** `text` safe inside SVG/HTML text and attribute values. */
export function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The picture of `bars` over `steps` schedule steps in an arena of `arenaBytes`: time across (one column per step),
 * offset down; each bar's title gives its tensor, bytes, offset and steps.
 */
export function arenaPicture(bars: readonly ArenaBar[], steps: number, arenaBytes: number): string {
  // A model output's buffer lives to `steps` (after the last step): one column more.
  const columns = Math.max(1, steps, ...bars.map((b) => b.last + 1));
  const bytes = Math.max(1, arenaBytes, ...bars.map((b) => b.offset + b.bytes));
  const x = (step: number) => MARGIN_LEFT + (step / columns) * PLOT_WIDTH;
  const y = (offset: number) => MARGIN_TOP + (offset / bytes) * PLOT_HEIGHT;
  const width = MARGIN_LEFT + PLOT_WIDTH + MARGIN_RIGHT;
  const height = MARGIN_TOP + PLOT_HEIGHT + MARGIN_BOTTOM;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="arena" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="arena plan: ${bars.length} buffers over ${steps} steps">`,
    `<rect x="${MARGIN_LEFT}" y="${MARGIN_TOP}" width="${PLOT_WIDTH}" height="${PLOT_HEIGHT}" fill="#fafafa" stroke="#999"/>`,
  ];
  for (const step of ticks(columns)) {
    const at = x(step + 0.5).toFixed(1);
    parts.push(`<text x="${at}" y="${height - MARGIN_BOTTOM / 2}" font-size="11" text-anchor="middle">${step}</text>`);
  }
  for (const offset of ticks(bytes)) {
    const at = y(offset).toFixed(1);
    parts.push(
      `<text x="${MARGIN_LEFT - 4}" y="${at}" font-size="11" text-anchor="end" dominant-baseline="middle">${offset}</text>`,
      `<line x1="${MARGIN_LEFT}" x2="${MARGIN_LEFT + PLOT_WIDTH}" y1="${at}" y2="${at}" stroke="#e4e4e4"/>`,
    );
  }
  parts.push(
    `<text x="${MARGIN_LEFT + PLOT_WIDTH / 2}" y="${height - 2}" font-size="11" text-anchor="middle">step</text>`,
    `<text x="12" y="${MARGIN_TOP + PLOT_HEIGHT / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${MARGIN_TOP + PLOT_HEIGHT / 2})">arena offset (bytes)</text>`,
  );
  bars.forEach((bar, i) => {
    const left = x(bar.first);
    const w = Math.max(MIN_BAR_PX, x(bar.last + 1) - left);
    const h = Math.max(MIN_BAR_PX, y(bar.offset + bar.bytes) - y(bar.offset));
    const title = `${bar.tensor}: ${bar.bytes} B at offset ${bar.offset}, steps ${bar.first} to ${bar.last}`;
    parts.push(
      `<rect class="buffer" x="${left.toFixed(1)}" y="${y(bar.offset).toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" ` +
        `fill="${PALETTE[i % PALETTE.length]}" fill-opacity="0.8" stroke="#333" stroke-width="0.5"><title>${escapeMarkup(title)}</title></rect>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Round tick values from 0 below `end`: at most MAX_TICKS, spaced 1, 2 or 5 times a power of ten. */
function ticks(end: number): number[] {
  const raw = end / MAX_TICKS;
  const power = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const spacing = Math.max(1, step);
  const values: number[] = [];
  for (let v = 0; v < end; v += spacing) values.push(v);
  return values;
}
