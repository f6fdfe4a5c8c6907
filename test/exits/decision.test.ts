// The exit decisions of templates/c/kernels/eenn_exit_s8.c and eenn_exit_f32.c against their TypeScript twins
// (src/exits/decide.ts) on thousands of random scores, every policy and kind, run as a host program; and the
// integer decision against the float math it stands for, near the threshold.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { decideFloat, decideInt8 } from '../../src/exits/decide.js';
import { int8ExitRule, LOG2_TABLE } from '../../src/exits/rule.js';
import { EXIT_POLICIES, type ExitPolicy, type Int8ExitRule } from '../../src/ir/exits.js';
import { exitFunctionName } from '../../src/kernels/exit-decision.js';
import { seededRandom } from '../../src/util/random.js';
import { HOST_CFLAGS } from '../codegen/host-run.js';

const TEMPLATES = join(import.meta.dirname, '../../templates/c');
const KINDS = ['logits', 'probabilities'] as const;
type Kind = (typeof KINDS)[number];

/** Every decision function in a fixed order; the harness calls them by this index. */
const FUNCTIONS = KINDS.flatMap((kind) => EXIT_POLICIES.map((policy) => ({ kind, policy })));

// Reads cases from stdin and prints each decision: "s8 fn classes n table... weight bound q..." or
// "f32 fn classes threshold x...".
const HARNESS = `
#include <stdio.h>
#include <stdlib.h>
#include "eenn_kernels_s8.h"
#include "eenn_kernels_f32.h"

int main(void)
{
    static int32_t table[256];
    static int8_t q[4096];
    static float x[4096];
    char precision[4];
    int fn;
    int classes;
    while (scanf("%3s %d %d", precision, &fn, &classes) == 3) {
        int32_t result;
        if (precision[0] == 's') {
            int n;
            int weight;
            int bound;
            if (scanf("%d", &n) != 1) return 1;
            for (int i = 0; i < n; i++) {
                if (scanf("%d", &table[i]) != 1) return 1;
            }
            if (scanf("%d %d", &weight, &bound) != 2) return 1;
            for (int i = 0; i < classes; i++) {
                int v;
                if (scanf("%d", &v) != 1) return 1;
                q[i] = (int8_t)v;
            }
            switch (fn) {
            ${FUNCTIONS.map(({ kind, policy }, i) => `case ${i}: result = ${s8Call(kind, policy)}; break;`).join('\n            ')}
            default: return 1;
            }
        } else {
            float threshold;
            if (scanf("%f", &threshold) != 1) return 1;
            for (int i = 0; i < classes; i++) {
                if (scanf("%f", &x[i]) != 1) return 1;
            }
            switch (fn) {
            ${FUNCTIONS.map(({ kind, policy }, i) => `case ${i}: result = ${exitFunctionName(policy, kind, 'f32')}(x, classes, threshold); break;`).join('\n            ')}
            default: return 1;
            }
        }
        printf("%d\\n", (int)result);
    }
    return 0;
}
`;

function s8Call(kind: Kind, policy: ExitPolicy): string {
  const fn = exitFunctionName(policy, kind, 's8');
  if (kind === 'probabilities') return policy === 'entropy' ? `${fn}(q, classes, table, bound)` : `${fn}(q, classes, bound)`;
  return policy === 'entropy' ? `${fn}(q, classes, table, n, weight, bound)` : `${fn}(q, classes, table, n, bound)`;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Compiles the harness with both kernel files and runs it on `input`, one decision per line back. */
async function runHarness(input: string): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'eenn-exit-decisions-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'harness.c'), HARNESS);
  const exe = join(dir, 'harness');
  const kernels = join(TEMPLATES, 'kernels');
  await execa('gcc', [
    ...HOST_CFLAGS,
    '-I',
    kernels,
    '-I',
    join(TEMPLATES, 'runtime'),
    join(dir, 'harness.c'),
    join(kernels, 'eenn_exit_s8.c'),
    join(kernels, 'eenn_exit_f32.c'),
    '-lm',
    '-o',
    exe,
  ]);
  const { stdout } = await execa(exe, [], { input });
  return stdout.trim().split('\n').map(Number);
}

interface Int8Case {
  fn: number;
  kind: Kind;
  policy: ExitPolicy;
  scale: number;
  zeroPoint: number;
  threshold: number;
  rule: Int8ExitRule;
  q: Int8Array;
}

/** Random scores: mostly a few strong classes over a spread of weak ones, sometimes flat, sometimes tied. */
function randomScores(random: () => number, classes: number, spread: number): Int8Array {
  const q = new Int8Array(classes);
  const base = Math.floor(random() * 256) - 128;
  for (let i = 0; i < classes; i++) q[i] = Math.max(-128, Math.min(127, base - Math.floor(random() * spread)));
  const top = Math.floor(random() * classes);
  if (random() < 0.7) q[top] = Math.min(127, q[top]! + Math.floor(random() * spread));
  if (random() < 0.1) q[(top + 1) % classes] = q[top]!;
  return q;
}

function randomInt8Cases(count: number, seed: number): Int8Case[] {
  const random = seededRandom(seed);
  const cases: Int8Case[] = [];
  for (let n = 0; n < count; n++) {
    const fn = n % FUNCTIONS.length;
    const { kind, policy } = FUNCTIONS[fn]!;
    const classes = [2, 3, 10, 10, 17, 100, 1000, 4096][Math.floor(random() * 8)]!;
    // Probabilities: a softmax output's quantization, which holds every value in [0, 1].
    const scale =
      kind === 'probabilities'
        ? random() < 0.5
          ? 1 / 256
          : Math.fround(0.001 + random() * (1 / 255 - 0.001))
        : Math.fround(0.005 + random() * random() * 0.5);
    const zeroPoint = kind === 'probabilities' ? -128 : Math.floor(random() * 256) - 128;
    const threshold = random() < 0.05 ? 1 : Math.max(1e-6, random());
    const spread = 1 + Math.floor(random() * (random() < 0.5 ? 40 : 255));
    const q = randomScores(random, classes, spread);
    cases.push({ fn, kind, policy, scale, zeroPoint, threshold, rule: int8ExitRule(kind, policy, threshold, scale, zeroPoint, classes), q });
  }
  return cases;
}

/** The statistic the integer rule stands for, in double: the largest probability, the margin or the normalised entropy. */
function floatStatistic(c: Int8Case): number {
  const p = Array.from(c.q, (v) => c.scale * (v - c.zeroPoint));
  let probs: number[];
  if (c.kind === 'logits') {
    const max = Math.max(...p);
    const e = p.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    probs = e.map((v) => v / sum);
  } else probs = p.map((v) => Math.min(1, Math.max(0, v)));
  const sorted = [...probs].sort((a, b) => b - a);
  switch (c.policy) {
    case 'max-softmax':
      return sorted[0]!;
    case 'margin':
      return sorted[0]! - sorted[1]!;
    case 'entropy':
      return probs.reduce((h, v) => (v > 0 ? h - v * Math.log(v) : h), 0) / Math.log(probs.length);
  }
}

const passes = (c: Int8Case, statistic: number) => (c.policy === 'entropy' ? statistic <= c.threshold : statistic >= c.threshold);

describe('exit decisions', () => {
  it('eenn_exit_s8.c holds the log2 table of src/exits/rule.ts', () => {
    const source = readFileSync(join(TEMPLATES, 'kernels/eenn_exit_s8.c'), 'utf8');
    const body = /eenn_exit_log2_table\[[^\]]*\] = \{([^}]*)\}/.exec(source)?.[1] ?? '';
    expect(
      body
        .split(',')
        .map((s) => s.trim().replace(/u$/, ''))
        .filter((s) => s !== '')
        .map(Number),
    ).toEqual(LOG2_TABLE);
  });

  it('every rule fits the int32 arguments of its C function, whatever the scale', () => {
    for (const scale of [1e-6, 0.01, 1, 50, 1e6]) {
      for (const { kind, policy } of FUNCTIONS) {
        for (const threshold of [1e-9, 0.5, 1]) {
          const rule = int8ExitRule(kind, policy, threshold, scale, -128, 4096);
          for (const v of [rule.bound, rule.weight, ...rule.table]) expect(Number.isInteger(v) && Math.abs(v) <= 2 ** 31 - 1).toBe(true);
        }
      }
    }
  });

  it('the int8 C decisions equal their TypeScript twin on random scores, every policy and kind', async () => {
    const cases = randomInt8Cases(6000, 12);
    const input = cases
      .map((c) => `s8 ${c.fn} ${c.q.length} ${c.rule.table.length} ${c.rule.table.join(' ')} ${c.rule.weight} ${c.rule.bound} ${c.q.join(' ')}`)
      .join('\n');
    const fromC = await runHarness(input);
    const fromTs = cases.map((c) => (decideInt8(c.kind, c.policy, c.rule, c.q) ? 1 : 0));
    expect(fromC).toEqual(fromTs);
    // Both outcomes occur for every function, so the comparison tests each one both ways.
    FUNCTIONS.forEach((_, fn) => {
      const taken = cases.filter((c, i) => c.fn === fn && fromTs[i] === 1).length;
      const all = cases.filter((c) => c.fn === fn).length;
      expect(taken).toBeGreaterThan(all / 50);
      expect(taken).toBeLessThan(all - all / 50);
    });
  });

  it('the int8 decision agrees with the float math it stands for, thresholds near the statistic included', () => {
    const cases = randomInt8Cases(6000, 34);
    const statistics = cases.map(floatStatistic);
    // The same scores with a threshold drawn within 0.02 of each one's own statistic.
    const random = seededRandom(56);
    const near = cases.map((c, i) => {
      const offset = (random() - 0.5) * 0.04;
      const threshold = Math.max(1e-6, statistics[i]! + (statistics[i]! + offset > 1 ? -offset : offset));
      return { ...c, threshold, rule: int8ExitRule(c.kind, c.policy, threshold, c.scale, c.zeroPoint, c.q.length) };
    });
    // They differ only where the tables' rounding decides (src/exits/rule.ts): a threshold of 1 is met where
    // every other class is below the table's last bit, and small entropies lose the classes the table counts as 0.
    for (const set of [cases, near]) {
      const differ = set.filter((c, i) => decideInt8(c.kind, c.policy, c.rule, c.q) !== passes(c, statistics[i]!)).length;
      expect(differ / set.length).toBeLessThan(0.01);
    }
  });

  it('the float32 C decisions equal their TypeScript twin on random scores', async () => {
    const random = seededRandom(78);
    const cases = Array.from({ length: 3000 }, (_, n) => {
      const fn = n % FUNCTIONS.length;
      const { kind, policy } = FUNCTIONS[fn]!;
      const classes = [2, 3, 10, 100][Math.floor(random() * 4)]!;
      const spread = random() * 8;
      let x = Array.from({ length: classes }, () => Math.fround(random() * spread));
      if (kind === 'probabilities') {
        const e = x.map((v) => Math.exp(v));
        const sum = e.reduce((a, b) => a + b, 0);
        x = e.map((v) => Math.fround(v / sum));
      }
      return { fn, kind, policy, classes, threshold: Math.fround(Math.max(1e-6, random())), x };
    });
    const input = cases.map((c) => `f32 ${c.fn} ${c.classes} ${c.threshold.toPrecision(9)} ${c.x.map((v) => v.toPrecision(9)).join(' ')}`).join('\n');
    const fromC = await runHarness(input);
    const fromTs = cases.map((c) => (decideFloat(c.kind, c.policy, c.threshold, c.x) ? 1 : 0));
    // expf and logf may round their last bit otherwise than Math.exp rounded to float32: a decision can differ
    // only where the statistic is within that bit of the threshold, which random thresholds almost never are.
    const differ = fromC.filter((v, i) => v !== fromTs[i]).length;
    expect(differ).toBeLessThanOrEqual(2);
    expect(fromTs.filter((v) => v === 1).length).toBeGreaterThan(cases.length / 10);
  });
});
