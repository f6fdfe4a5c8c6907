// A build report of a small int8 model with an early exit, profiled and with each step's SQNR, whose names try to
// break out of the page (the names of an ONNX model are untrusted), for the tests of report.html.

import type { BuildReport } from '../../src/report/build-report.js';
import { exitTable } from '../../src/report/exit-table.js';
import type { StepReport } from '../../src/report/layer-table.js';

/** A node name that would run a script, close the table, and break an attribute, were it not escaped. */
export const HOSTILE_NAME = `conv"'><script>console.error("injected")</script></td></tr></table><img src=x onerror=alert(1)>`;

/** The report's steps: a conv (hostile name) with a fused Relu, a pool, the exit's head, a fully connected layer. */
export const STEPS: StepReport[] = [
  {
    index: 0,
    name: HOSTILE_NAME,
    op: 'QConv',
    fused: ['relu<b>0</b>'],
    kernel: 'eenn_conv2d_s8',
    output_shape: [1, 8, 12, 12],
    macs: 10368,
    weight_bytes: 104,
    arena_offset: 0,
    arena_bytes: 1152,
    instructions: 30000,
    sqnr_db: 38.25,
  },
  {
    index: 1,
    name: 'pool',
    op: 'QMaxPool',
    fused: [],
    kernel: 'eenn_max_pool2d_s8',
    output_shape: [1, 8, 6, 6],
    macs: 0,
    weight_bytes: 0,
    arena_offset: 1152,
    arena_bytes: 288,
    instructions: 4000,
    sqnr_db: null,
  },
  {
    index: 2,
    name: 'flatten',
    op: 'Flatten',
    fused: [],
    kernel: '',
    output_shape: [1, 288],
    macs: 0,
    weight_bytes: 0,
    arena_offset: 1152,
    arena_bytes: 288,
    instructions: 3,
    sqnr_db: null,
  },
  {
    index: 3,
    name: 'fc',
    op: 'QGemm',
    fused: [],
    kernel: 'eenn_fc_s8',
    output_shape: [1, 10],
    macs: 2880,
    weight_bytes: 2920,
    arena_offset: null,
    arena_bytes: 0,
    instructions: 9000,
    sqnr_db: 31.5,
  },
];

/** The whole report. */
export function profiledReport(): BuildReport {
  const exits = exitTable({
    names: ['early', 'fc_out'],
    policy: 'max-softmax',
    thresholds: [0.9],
    macs: [10368, 13248],
    noExitsMacs: 13248,
    instructions: [31000, 43003],
    noExitsInstructions: 43003,
    taken: [0, 1, 1, 0],
    source: 'int8 reference on 4 calibration samples',
  });
  return {
    model: 'model<&>',
    target: 'cortex-m4',
    precision: 'int8',
    macs: 13248,
    params: 3000,
    memory: {
      flash_bytes: 20000,
      ram_bytes: 5000,
      arena_bytes: 1440,
      stack_bytes: 2048,
      weights_bytes: 3024,
      unplanned_activation_bytes: 1728,
      measured: true,
    },
    limits: { flash_bytes: 1 << 20, ram_bytes: 1 << 18 },
    layers: [],
    arena: [
      { tensor: HOSTILE_NAME, offset: 0, bytes: 1152, first: 0, last: 1 },
      { tensor: 'pool_out = flat', offset: 1152, bytes: 288, first: 1, last: 3 },
    ],
    io: [{ name: 'x"<in>', role: 'input', dtype: 'int8', shape: [1, 1, 12, 12], scale: 0.01, zero_point: -128 }],
    notes: ['a note with <b>markup</b>'],
    exits: exits.exits,
    exits_expected: exits.expected,
    steps: STEPS.map((s) => ({ ...s })),
    profile: { samples: 2, total_instructions: 43003 },
    sqnr_samples: 4,
  };
}
