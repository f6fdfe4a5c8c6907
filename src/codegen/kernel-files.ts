// Codegen: the kernel files a model's C project carries: the kernel .c files its calls use, the headers that
// declare them (the int8 one with the fixed-point arithmetic it includes), and for int8 kernels/eenn_config.h, the
// switches of the optional paths this model's calls take.

import type { Graph } from '../ir/graph.js';
import { INT8_KERNEL_SWITCHES, int8KernelSwitches } from '../kernels/switches.js';
import type { LoweredGraphStep } from './lower-steps.js';
import { readTemplateFile, renderTemplate } from './templates.js';

/** The project folder of the kernel files. */
export const KERNEL_DIR = 'kernels';
/** Header of the float32 kernels. */
const F32_HEADER = 'eenn_kernels_f32.h';
/** Header of the int8 kernels, and the fixed-point arithmetic it includes (from templates/c/runtime). */
const S8_HEADER = 'eenn_kernels_s8.h';
const FIXEDPOINT_HEADER = 'eenn_fixedpoint.h';
/** What the int8 kernel files include besides it: the ISA detection (templates/c/runtime, which the Cortex-M
    runtime includes too) and their internal headers of shared inner loops. */
const ISA_HEADER = 'eenn_isa.h';
const S8_INTERNAL_HEADERS = ['eenn_nn_support_s8.h', 'eenn_conv_support_s8.h'];
/** The int8 kernels' switches of optional fast paths, written for each model (src/kernels/switches.ts). */
const CONFIG_HEADER = 'eenn_config.h';

/** Header of the kernels of int16 activations; it includes the int8 one. */
const S16_HEADER = 'eenn_kernels_s16.h';

/** Header of the kernels of tensors of any element type in float32 builds; it includes the float32 one. */
const TYPED_HEADER = 'eenn_kernels_typed.h';

/** The headers of a kernel source: int16 ones need the int8 header (which theirs includes) too. */
function headersOf(source: string): string[] {
  if (source.endsWith('_s16.c')) return [S16_HEADER, S8_HEADER];
  if (source.endsWith('_typed.c')) return [TYPED_HEADER, F32_HEADER];
  return [source.endsWith('_s8.c') ? S8_HEADER : F32_HEADER];
}

/** The kernel headers model.c includes: those of the kernel sources used, else the precision's own. */
export function kernelHeaders(sources: Iterable<string>, precision: 'float32' | 'int8'): string[] {
  const headers = [...new Set([...sources].flatMap(headersOf))].sort();
  return headers.length > 0 ? headers : [precision === 'int8' ? S8_HEADER : F32_HEADER];
}

/**
 * The kernel files of the project, path -> contents: each header with what it includes, then the kernel sources
 * in name order. `modelName` (comment text) and the lowered steps decide eenn_config.h.
 */
export function kernelFiles(
  headers: string[],
  sources: string[],
  graph: Graph,
  lowered: readonly LoweredGraphStep[],
  modelName: string,
): [string, string][] {
  const files: [string, string][] = [];
  for (const header of headers) {
    files.push([`${KERNEL_DIR}/${header}`, readTemplateFile(`kernels/${header}`)]);
    if (header === S8_HEADER) {
      files.push([`${KERNEL_DIR}/${FIXEDPOINT_HEADER}`, readTemplateFile(`runtime/${FIXEDPOINT_HEADER}`)]);
      files.push([`${KERNEL_DIR}/${ISA_HEADER}`, readTemplateFile(`runtime/${ISA_HEADER}`)]);
      for (const internal of S8_INTERNAL_HEADERS) files.push([`${KERNEL_DIR}/${internal}`, readTemplateFile(`kernels/${internal}`)]);
      files.push([`${KERNEL_DIR}/${CONFIG_HEADER}`, configHeader(graph, lowered, modelName)]);
    }
  }
  for (const source of sources) files.push([`${KERNEL_DIR}/${source}`, readTemplateFile(`kernels/${source}`)]);
  return files;
}

/** kernels/eenn_config.h: each optional path of the int8 kernels on (1) where a call of the model takes it. */
function configHeader(graph: Graph, lowered: readonly LoweredGraphStep[], modelName: string): string {
  const used = int8KernelSwitches(
    graph,
    lowered.flatMap((l) => l.lowered.calls),
  );
  const features = INT8_KERNEL_SWITCHES.map((f) => ({ ...f, value: used.has(f.macro) ? 1 : 0 }));
  return renderTemplate('model/eenn_config.h.hbs', { modelName, features });
}
