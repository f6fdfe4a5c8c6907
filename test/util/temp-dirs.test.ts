import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../cli/cli-helpers.js';
import { makeTempDir, withTempDir } from '../../src/util/temp-dirs.js';

const scratches: string[] = [];
afterAll(async () => {
  for (const dir of scratches) await rm(dir, { recursive: true, force: true });
});

/** What a process left in its TMPDIR, without tsx's compile cache (tsx-<uid>/, made by running the sources). */
async function leftovers(tmp: string): Promise<string[]> {
  return (await readdir(tmp)).filter((name) => !/^tsx-\d+$/.test(name));
}

/**
 * Start a Node process running `body` (with makeTempDir, trackChild, spawn and writeFileSync in scope) in a fresh
 * TMPDIR.
 */
async function start(body: string, prepare?: (tmp: string) => Promise<void>): Promise<{ tmp: string; child: ReturnType<typeof execa> }> {
  const dir = await mkdtemp(join(tmpdir(), 'eennc-temp-dirs-'));
  scratches.push(dir);
  const tmp = join(dir, 'tmp');
  await mkdir(tmp);
  await prepare?.(tmp);
  const script = join(dir, 'script.mts');
  await writeFile(
    script,
    [
      `import { makeTempDir, trackChild } from ${JSON.stringify(join(ROOT, 'src/util/temp-dirs.ts'))};`,
      `import { spawn } from 'node:child_process';`,
      `import { writeFileSync } from 'node:fs';`,
      body,
    ].join('\n'),
  );
  const child = execa('node', ['--import', 'tsx', script], { cwd: ROOT, env: { TMPDIR: tmp }, reject: false, buffer: true });
  return { tmp, child };
}

/** Resolve once `child` has printed `text` (or has ended). */
function printed(child: ReturnType<typeof execa>, text: string): Promise<unknown> {
  return Promise.race([
    child,
    new Promise<void>((done) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes(text)) done();
      });
    }),
  ]);
}

/** A pid that no process has: a child that has already exited. */
async function deadPid(): Promise<number> {
  const child = execa('true');
  await child;
  return child.pid!;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('temporary folders', () => {
  it('withTempDir removes its folder after success and after failure', async () => {
    let kept = '';
    expect(
      await withTempDir('eennc-unit-', async (dir) => {
        kept = dir;
        await writeFile(join(dir, 'a'), 'x');
        return 7;
      }),
    ).toBe(7);
    expect(existsSync(kept)).toBe(false);
    await expect(
      withTempDir('eennc-unit-', async (dir) => {
        kept = dir;
        throw new Error('failed inside');
      }),
    ).rejects.toThrow('failed inside');
    expect(existsSync(kept)).toBe(false);
    const forgotten = await makeTempDir('eennc-unit-');
    expect(existsSync(forgotten)).toBe(true); // removed when this test process exits
  });

  it('a process that ends without removing its folders leaves nothing', async () => {
    const { tmp, child } = await start(`const d = await makeTempDir('eennc-probe-'); writeFileSync(d + '/x', 'y'); console.log(d);`);
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout)).toContain(tmp);
    expect(await leftovers(tmp)).toEqual([]);
  });

  it('removes the folders of an eennc process that was killed, not those of one that runs', async () => {
    const { tmp, child } = await start(`const d = await makeTempDir('eennc-probe-'); console.log(d);`, async (tmp) => {
      const killed = join(tmp, `eennc-run-${await deadPid()}-AbC123`);
      await mkdir(killed);
      await writeFile(join(killed, 'input.bin'), 'x');
      await mkdir(join(tmp, `eennc-run-${process.pid}-AbC123`));
      await mkdir(join(tmp, 'eennc-notes'));
    });
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect((await leftovers(tmp)).sort()).toEqual(['eennc-notes', `eennc-run-${process.pid}-AbC123`]);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s stops the tools at work, removes the folders and exits %i', async (signal, status) => {
    const { tmp, child } = await start(
      [
        `const d = await makeTempDir('eennc-probe-');`,
        `const sleeper = spawn('sleep', ['600'], { cwd: d });`,
        `const ended = new Promise((done) => sleeper.on('exit', done));`,
        `trackChild(Object.assign(ended, { kill: (s) => sleeper.kill(s) }));`,
        `console.log('ready', sleeper.pid);`,
        `await ended;`,
      ].join('\n'),
    );
    await printed(child, 'ready');
    child.kill(signal);
    const r = await child;
    expect(r.exitCode).toBe(status);
    const sleeper = Number(/ready (\d+)/.exec(String(r.stdout))![1]);
    expect(alive(sleeper)).toBe(false);
    expect(await leftovers(tmp)).toEqual([]);
  });
});
