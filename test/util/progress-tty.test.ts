// The real `eennc accuracy` on a pseudo-terminal (util-linux's script): bars redrawn in place on stderr with the final
// lines left clean, plain lines with TERM=dumb, and the --json document on stdout untouched either way.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../cli/cli-helpers.js';
import { screenOf } from './progress-screen.js';

const PIXELS = String(1 / 255);
const SAMPLES = 100;
const FMNIST = 'examples/fmnist';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eennc-progress-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `eennc accuracy --json` with stderr on a pseudo-terminal: what the terminal got, and the document. */
async function accuracyOnTerminal(term: string): Promise<{ exitCode: number; terminal: string; document: { samples: number } }> {
  const out = join(dir, `${term}.json`);
  const args = [
    'bin/eennc.js',
    'accuracy',
    `${FMNIST}/fmnist_cnn.onnx`,
    ...['--calib', `${FMNIST}/calib_u8.npy`, '--calib-scale', PIXELS, '--calib-count', String(SAMPLES)],
    ...['-d', `${FMNIST}/calib_u8.npy`, '-l', `${FMNIST}/calib_labels.npy`, '--scale', PIXELS, '--count', String(SAMPLES)],
    ...['--sqnr-samples', '4', '--json'],
  ];
  const command = `node ${args.join(' ')} > ${out}`;
  const env: Record<string, string | undefined> = { ...process.env, TERM: term, NO_COLOR: undefined };
  // -e: script's status is the command's; the transcript file is not wanted, what the terminal shows comes on stdout.
  const r = await execa('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env, extendEnv: false, reject: false, timeout: 120_000 });
  const document = r.exitCode === 0 ? (JSON.parse(await readFile(out, 'utf8')) as { samples: number }) : { samples: -1 };
  return { exitCode: r.exitCode ?? -1, terminal: String(r.stdout), document };
}

describe('progress of eennc on a terminal', () => {
  it('draws a bar for calibration and evaluation, leaving only their final lines on the screen', async () => {
    const r = await accuracyOnTerminal('xterm-256color');
    expect(r.exitCode, r.terminal).toBe(0);
    expect(r.document.samples).toBe(SAMPLES);
    // Drawn in place, the label coloured (NO_COLOR unset), the line erased to its end.
    expect(r.terminal).toMatch(/\r\x1b\[1;36mcalibrating\x1b\[0m \[[=> ]+\] \d+\/100 samples \d+\.\d s.*\x1b\[K/);
    expect(r.terminal).toMatch(/\r\x1b\[1;36mevaluating\x1b\[0m \[[=> ]+\] \d+\/100 samples/);
    // The bars leave their final lines, with the quantization's notes between them.
    expect(screenOf(r.terminal).filter((line) => line !== '' && !line.startsWith('note: '))).toEqual([
      expect.stringMatching(/^calibrating: 100\/100 samples \(\d+\.\d s\)$/),
      expect.stringMatching(/^evaluating: 100\/100 samples \(\d+\.\d s\)$/),
      expect.stringMatching(/^comparing calibration methods: 100\/100 samples \(\d+\.\d s\)$/),
    ]);
  });

  it('TERM=dumb: plain lines, no escape codes or redraws', async () => {
    const r = await accuracyOnTerminal('dumb');
    expect(r.exitCode, r.terminal).toBe(0);
    expect(r.document.samples).toBe(SAMPLES);
    const text = r.terminal.replace(/\r\n/g, '\n'); // the terminal's own line ends
    expect(text).not.toMatch(/[\r\x1b]/);
    const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('note: '));
    expect(lines.every((line) => /^(calibrating|evaluating|comparing calibration methods): \d+\/100 samples \(\d+\.\d s\)$/.test(line))).toBe(true);
    expect(lines.at(-1)).toMatch(/^comparing calibration methods: 100\/100 samples/);
  });
});
