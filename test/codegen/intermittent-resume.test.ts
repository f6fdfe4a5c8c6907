// Resuming an intermittent build, on the host (gcc): a test main whose eenn_trace_task() jumps out of eenn_run()
// right after the commit of task k (a power failure just after a commit), for every k; with NVM hooks it also
// overwrites the state in SRAM with a pattern, as a reset would leave it. eenn_status() then says RESUMED, and
// eenn_run(), given other inputs, finishes the inference it captured with the same bits as a run without failure.
// Failures inside a task or a commit are the power-failure harness's (test/toolchain).

import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { emitModel } from '../../src/codegen/emit-model.js';
import { TEMPLATES_DIR } from '../../src/codegen/templates.js';
import type { NvmKind, TaskPlan } from '../../src/intermittent/index.js';
import { HOST_CFLAGS } from './host-run.js';
import { exampleModel, intermittentPlan, tasksOf, type ExampleModel } from './intermittent-models.js';

// Prints "name value" lines; every check counts its failures.
const MAIN = String.raw`
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

static jmp_buf power_failure;
static int32_t fail_after = -1; /* the task after whose commit the power fails; -1: none */

void eenn_trace_task(int32_t task)
{
    if (task == fail_after) {
        longjmp(power_failure, 1);
    }
}

#if EENN_NVM_HOOKS
static uint8_t nvm[EENN_NVM_BYTES];

int32_t eenn_nvm_read(uint32_t offset, void *data, uint32_t bytes)
{
    if (offset > EENN_NVM_BYTES || bytes > EENN_NVM_BYTES - offset) {
        return -1;
    }
    memcpy(data, &nvm[offset], bytes);
    return 0;
}

int32_t eenn_nvm_write(uint32_t offset, const void *data, uint32_t bytes)
{
    if (offset > EENN_NVM_BYTES || bytes > EENN_NVM_BYTES - offset) {
        return -1;
    }
    memcpy(&nvm[offset], data, bytes);
    return 0;
}
#endif

static uint32_t total(const uint32_t *bytes, uint32_t count)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < count; i++) {
        sum += bytes[i];
    }
    return sum;
}

static uint8_t sample_in[2][65536] __attribute__((aligned(16)));
static uint8_t garbage_in[65536] __attribute__((aligned(16)));
static uint8_t want_out[2][4096] __attribute__((aligned(16)));
static uint8_t got_out[4096] __attribute__((aligned(16)));

/* Pointers to each tensor of a sample laid out back to back. */
static void pointers(uint8_t *base, const uint32_t *bytes, uint32_t count, void **out)
{
    for (uint32_t i = 0; i < count; i++) {
        out[i] = base;
        base += bytes[i];
    }
}

int main(void)
{
    const uint32_t in_bytes = total(eenn_input_bytes, EENN_NUM_INPUTS);
    const uint32_t out_bytes = total(eenn_output_bytes, EENN_NUM_OUTPUTS);
    FILE *f = fopen("input.bin", "rb");
    if (f == NULL || fread(sample_in, 1, 2u * in_bytes, f) != 2u * in_bytes) {
        return 2;
    }
    memcpy(&sample_in[1][0], &((uint8_t *)sample_in)[in_bytes], in_bytes);
    memset(garbage_in, 0x3C, sizeof garbage_in);
    void *in[2][EENN_NUM_INPUTS];
    void *garbage[EENN_NUM_INPUTS];
    void *want[2][EENN_NUM_OUTPUTS];
    void *got[EENN_NUM_OUTPUTS];
    for (int s = 0; s < 2; s++) {
        pointers(sample_in[s], eenn_input_bytes, EENN_NUM_INPUTS, in[s]);
        pointers(want_out[s], eenn_output_bytes, EENN_NUM_OUTPUTS, want[s]);
    }
    pointers(garbage_in, eenn_input_bytes, EENN_NUM_INPUTS, garbage);
    pointers(got_out, eenn_output_bytes, EENN_NUM_OUTPUTS, got);

    printf("fresh_status %d\n", (int)eenn_status());
    int32_t want_exit[2];
    for (int s = 0; s < 2; s++) {
        want_exit[s] = eenn_run((const void *const *)in[s], want[s]);
    }
    printf("want_exits %d %d\n", (int)want_exit[0], (int)want_exit[1]);
    printf("done_status %d\n", (int)eenn_status());

    long not_resumed = 0, wrong = 0, not_done = 0, wrong_read = 0, returned = 0, runs = 0;
    for (int32_t k = 0; k < EENN_NUM_TASKS; k++) {
        const int s = k % 2;
        fail_after = k;
        if (setjmp(power_failure) == 0) {
            (void)eenn_run((const void *const *)in[s], got);
            returned++; /* the exit came before task k: nothing to resume */
            continue;
        }
        fail_after = -1;
        runs++;
#if EENN_NVM_HOOKS
        memset(&eenn_state, 0xA5, sizeof eenn_state); /* SRAM after a reset */
#endif
        memset(got_out, 0, sizeof got_out);
        const int32_t status = eenn_status();
        int32_t exit;
        if (status == EENN_STATUS_RESUMED) {
            exit = eenn_run((const void *const *)garbage, got); /* the captured inputs, not these */
        } else if (status == EENN_STATUS_DONE) {
            exit = eenn_read_outputs(got); /* the power failed after the last commit */
        } else {
            not_resumed++;
            continue;
        }
        /* Outputs the exit does not answer with are left alone: zero here and in want_out. */
        if (exit != want_exit[s] || memcmp(got_out, want_out[s], out_bytes) != 0) {
            wrong++;
        }
        if (eenn_status() != EENN_STATUS_DONE) {
            not_done++;
        }
        memset(got_out, 0, sizeof got_out);
        if (eenn_read_outputs(got) != want_exit[s] || memcmp(got_out, want_out[s], out_bytes) != 0) {
            wrong_read++;
        }
    }
    printf("runs %ld\nreturned %ld\nnot_resumed %ld\nwrong %ld\nnot_done %ld\nwrong_read %ld\n", runs, returned, not_resumed, wrong, not_done,
           wrong_read);
    return 0;
}
`;

describe('an intermittent build resumes after a power failure right after any commit (host gcc)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eenn-resume-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Builds `model` split into `tasks` with the test main, runs it, returns its printed values. */
  const resume = async (name: string, model: ExampleModel, tasks: TaskPlan): Promise<Map<string, string>> => {
    const folder = join(dir, name);
    const emitted = emitModel(model.graph, intermittentPlan(model.graph), {
      modelName: model.name,
      precision: model.precision,
      intermittent: { tasks },
    });
    for (const [path, text] of emitted.files) {
      mkdirSync(dirname(join(folder, path)), { recursive: true });
      writeFileSync(join(folder, path), text);
    }
    for (const file of ['eenn_intermittent.h', 'eenn_intermittent.c', 'eenn_crc32.h', 'eenn_crc32.c']) copyFileSync(join(TEMPLATES_DIR, 'runtime', file), join(folder, file));
    writeFileSync(join(folder, 'main.c'), MAIN);
    writeFileSync(join(folder, 'input.bin'), model.inputBytes);
    const sources = ['main.c', 'model.c', 'eenn_intermittent.c', 'eenn_crc32.c', ...emitted.kernelSources];
    // The state in an ordinary section on the host; the hook of EENN_TRACE_TASKS is the test's power failure.
    const flags = [...HOST_CFLAGS, '-DEENN_TRACE_TASKS', '-DEENN_STATE_SECTION=', '-I.', '-Ikernels'];
    await execa('gcc', [...flags, ...sources, '-lm', '-o', 'resume'], { cwd: folder });
    const run = await execa(join(folder, 'resume'), [], { cwd: folder });
    return new Map(run.stdout.split('\n').map((line) => [line.split(' ')[0]!, line.slice(line.indexOf(' ') + 1)]));
  };

  const cases: [string, 'fmnist' | 'branchy', NvmKind, 'steps' | 'tiles'][] = [
    ['fmnist, tiles, memory-mapped', 'fmnist', 'memory-mapped', 'tiles'],
    ['fmnist, tiles, NVM hooks', 'fmnist', 'hooks', 'tiles'],
    ['branchy (early exits), a task per step, NVM hooks', 'branchy', 'hooks', 'steps'],
  ];
  for (const [title, example, nvm, kind] of cases) {
    it(`${title}: RESUMED after every commit, then the same bits`, async () => {
      const model = await exampleModel(example, 'int8', 2);
      const tasks = tasksOf(model, intermittentPlan(model.graph), nvm, kind);
      const values = await resume(`${example}-${nvm}-${kind}`, model, tasks);
      expect(values.get('fresh_status')).toBe('0');
      expect(values.get('done_status')).toBe('2');
      const runs = Number(values.get('runs'));
      expect(runs + Number(values.get('returned'))).toBe(tasks.tasks.length);
      // Where an early exit comes first, the failures after its task find the inference done and run nothing.
      expect(runs).toBeGreaterThan(example === 'branchy' ? 2 : tasks.tasks.length - 1);
      for (const check of ['not_resumed', 'wrong', 'not_done', 'wrong_read']) expect(values.get(check), check).toBe('0');
    }, 60_000);
  }
});
