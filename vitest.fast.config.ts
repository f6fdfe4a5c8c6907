import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// npm run test:fast: the tests that need no arm-none-eabi-gcc, QEMU, host gcc or make and start no other program
// (bin/eennc.js included: each start compiles the sources again). npm test runs them and SLOW_TESTS alike.
// A test file belongs in SLOW_TESTS when it, or a helper of test/ it imports, builds or runs firmware (src/run-graph.ts,
// src/toolchain/), compiles C (test/codegen/host-run.ts) or starts a program; test/fast-tests.test.ts checks that.
export const SLOW_TESTS = [
  'test/cli/augment.test.ts', 'test/cli/errors.test.ts', 'test/cli/exits.test.ts', 'test/cli/intermittent-errors.test.ts', 'test/cli/intermittent-exits.test.ts', 'test/cli/intermittent-float.test.ts', 'test/cli/intermittent.test.ts', 'test/cli/output-dir.test.ts', 'test/cli/run-every-target.test.ts', 'test/cli/accuracy-methods.test.ts',
  'test/scripts/layers/run-layer.test.ts',
  'test/cli/startup.test.ts', 'test/cli/test-command.test.ts', 'test/cli/devices.test.ts', 'test/cli/devices-errors.test.ts', 'test/cli/bias-correction.test.ts', 'test/cli/equalize.test.ts',
  'test/cli/profile.test.ts', 'test/cli/arena-tflm.test.ts', 'test/cli/sqnr-warning.test.ts', 'test/cli/optimize-rounding.test.ts', 'test/data/labels-cli.test.ts', 'test/report/browser.test.ts', 'test/util/progress-tty.test.ts',
  'test/codegen/arm-compile.test.ts', 'test/codegen/backend-qemu.test.ts', 'test/codegen/c-format.test.ts', 'test/codegen/typed-io.test.ts',
  'test/codegen/conv-pair.test.ts', 'test/codegen/cortex-m4.test.ts', 'test/codegen/exits.test.ts',
  'test/codegen/fmnist.test.ts', 'test/codegen/intermittent-record.test.ts', 'test/codegen/intermittent-qemu.test.ts',
  'test/codegen/intermittent-resume.test.ts', 'test/codegen/intermittent-exits-qemu.test.ts', 'test/codegen/intermittent-targets.test.ts',
  'test/codegen/int8-conv-kernels.test.ts', 'test/codegen/int8-conv-mve.test.ts', 'test/codegen/int8-conv-requantize.test.ts', 'test/codegen/int16-kernels.test.ts', 'test/codegen/int16-model.test.ts',
  'test/codegen/int8-cortex-m4.test.ts', 'test/codegen/int8-depthwise-kernels.test.ts', 'test/codegen/int8-fc-kernels.test.ts',
  'test/codegen/int8-examples.test.ts', 'test/codegen/int8-ops.test.ts', 'test/codegen/int8-resize.test.ts',
  'test/codegen/layer-norm.test.ts',
  'test/codegen/kernel-flags.test.ts', 'test/codegen/kernel-switches.test.ts', 'test/codegen/onnx-backend.test.ts', 'test/codegen/operators.test.ts',
  'test/codegen/recurrent.test.ts',
  'test/data/untrusted-data.test.ts', 'test/devices/split-graph.test.ts', 'test/devices/memory.test.ts', 'test/devices/fit-errors.test.ts',
  'test/devices/link-frame.test.ts', 'test/devices/link-firmware.test.ts', 'test/devices/link-cost.test.ts', 'test/devices/run-host.test.ts', 'test/devices/run-qemu.test.ts',
  'test/exits/decision.test.ts', 'test/exits/policies-qemu.test.ts',
  'test/cli/multi-input.test.ts',
  'test/frontend/inspect.test.ts', 'test/frontend/untrusted-model.test.ts',
  'test/fuzz/fuzz.test.ts', 'test/fuzz/verdict.test.ts',
  'test/kernels/model-checks.test.ts', 'test/measure-steps.test.ts', 'test/pipeline-qemu.test.ts', 'test/kernels/scratch-macros.test.ts', 'test/kernels/tiles-run.test.ts',
  'test/ops/gelu.test.ts', 'test/ops/mish.test.ts', 'test/ops/softplus.test.ts',
  'test/quantize/fixedpoint-qemu.test.ts', 'test/quantize/fixedpoint.test.ts',
  'test/quantize/qdq-int8-pipeline.test.ts', 'test/quantize/qdq-float32.test.ts',
  'test/scaling/long-graph.test.ts', 'test/scripts/accuracy/train-small-margin.test.ts',
  'test/schedule/arena-budget.test.ts', 'test/schedule/int8-conv-fusion.test.ts',
  'test/schedule/int8-in-place.test.ts',
  'test/targets/board-netduinoplus2.test.ts', 'test/targets/board-nrf52840.test.ts', 'test/targets/board-target.test.ts', 'test/targets/targets.test.ts', 'test/toolchain/doctor.test.ts',
  'test/toolchain/build-run.test.ts', 'test/toolchain/command-injection.test.ts', 'test/toolchain/failures.test.ts',
  'test/toolchain/limits.test.ts', 'test/toolchain/power-failures.test.ts',
  'test/toolchain/power-failures-models.test.ts', 'test/toolchain/power-failures-exits.test.ts',
  'test/util/atomic-dir.test.ts', 'test/util/temp-dirs.test.ts',
];

export default mergeConfig(base, defineConfig({
  test: {
  exclude: [...configDefaults.exclude, ...SLOW_TESTS],
  },
}));
