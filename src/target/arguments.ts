// What a target file or an option may put on a command line: compiler flags, emulator arguments and program
// names are plain words checked here, so that nothing they hold can reach a shell, a make expansion or another program.

import { EennError } from '../ir/diagnostics.js';

/** One plain argument: no spaces, quotes, `$`, backquotes, `;`, `|`, `&`, `<`, `>`, `(`, `)`, `#`, `@`, `\` or control characters. */
const PLAIN_ARGUMENT = /^[A-Za-z0-9_=.,+:-]+$/;

/** What PLAIN_ARGUMENT allows, for messages. */
export const PLAIN_ARGUMENT_CHARACTERS = 'letters, digits and - _ = . , + :';

/**
 * Compiler driver options that run another program, load code into the compiler, pass raw text on to another
 * tool or replace what the project builds: a flag that is one of these, or starts with one, is refused.
 */
const UNSAFE_COMPILER_OPTIONS = [
  '-wrapper',
  '-B',
  '-fplugin',
  '-iplugindir',
  '--ld-path',
  '-fcompare-debug',
  '--sysroot',
  '-isysroot',
  '-T',
  '-o',
  '-include',
  '-imacros',
  '-x',
  '-Xlinker',
  '-Xassembler',
  '-Xpreprocessor',
  '-print-',
  '--print',
  '-dump',
  '--help',
  '--version',
];

/** Options for the assembler, preprocessor or linker (after -Wa, -Wp, -Wl,) that load code or read other scripts. */
const UNSAFE_PASSED_OPTIONS = ['-plugin', '--plugin', '-T', '--script', '-dT', '--default-script', '-o', '--output', '-Map', '-include', '-imacros'];

/** The linkers gcc's -fuse-ld may pick. */
const LINKERS = ['bfd', 'gold', 'lld', 'mold'];

/** Emulator options a target may add, each followed by its value: the CPU model, memory size and core count. */
export const EMULATOR_OPTIONS = ['-cpu', '-m', '-smp'] as const;

/** The optimisation levels gcc knows, for --opt. */
export const OPTIMIZATION_LEVELS = ['-O0', '-O1', '-O2', '-O3', '-Os', '-Og', '-Oz', '-Ofast'] as const;

/** Why `flag` may not be passed to the compiler, or undefined when it may. */
export function compilerFlagProblem(flag: string): string | undefined {
  if (!PLAIN_ARGUMENT.test(flag) || flag.includes('..')) {
    return `"${printable(flag)}" is not one plain argument (allowed: ${PLAIN_ARGUMENT_CHARACTERS}; no paths)`;
  }
  if (!flag.startsWith('-')) return `"${flag}" is not an option (flags start with -)`;
  const option = UNSAFE_COMPILER_OPTIONS.find((unsafe) => flag.startsWith(unsafe));
  if (option) return `"${flag}" is refused: ${option} runs another program, passes raw text on or changes what the project builds`;
  if (/^--?specs/.test(flag) && !/^--?specs=[A-Za-z0-9_.+-]+\.specs$/.test(flag)) {
    return `"${flag}" is refused: --specs may name a .specs file of the toolchain (--specs=nano.specs)`;
  }
  if (flag.startsWith('-fuse-ld') && !LINKERS.some((linker) => flag === `-fuse-ld=${linker}`)) {
    return `"${flag}" is refused: -fuse-ld may name ${LINKERS.join(', ')}`;
  }
  if (/^-W[apl],/.test(flag)) {
    const passed = flag
      .split(',')
      .slice(1)
      .find((arg) => UNSAFE_PASSED_OPTIONS.some((unsafe) => arg.startsWith(unsafe)));
    if (passed) return `"${flag}" is refused: ${passed} loads code, reads a script or writes a file of its own`;
  }
  return undefined;
}

/** Why `program` may not be run as the `kind` program ("gcc", "size", "objcopy", "qemu"), or undefined. */
export function programProblem(program: string, kind: 'gcc' | 'size' | 'objcopy' | 'qemu'): string | undefined {
  const patterns = {
    gcc: /^(?:[A-Za-z0-9_.+]+-)*(?:gcc|cc|clang)(?:-[0-9][0-9.]*)?$/,
    size: /^(?:[A-Za-z0-9_.+]+-)*(?:size)(?:-[0-9][0-9.]*)?$/,
    objcopy: /^(?:[A-Za-z0-9_.+]+-)*(?:objcopy)(?:-[0-9][0-9.]*)?$/,
    qemu: /^qemu-system-[A-Za-z0-9_-]+$/,
  };
  const examples = { gcc: 'arm-none-eabi-gcc', size: 'arm-none-eabi-size', objcopy: 'arm-none-eabi-objcopy', qemu: 'qemu-system-arm' };
  if (patterns[kind].test(program)) return undefined;
  const what = kind === 'qemu' ? 'a qemu-system-* program' : `a ${kind} program (an optional prefix ending in -, then ${kind})`;
  return (
    `"${printable(program)}" must be the name of ${what} looked up on the PATH, such as ${examples[kind]}; ` +
    "a path is not allowed (put the toolchain's folder on the PATH instead)"
  );
}

/**
 * Why the optimisation setting (the Makefile's OPT, from --opt) is refused, or undefined: a level such as -O2,
 * or several plain compiler flags separated by spaces ("-O0 -g").
 */
export function optimizationProblem(value: string): string | undefined {
  const words = value.split(' ').filter(Boolean);
  if (words.length === 0) return 'is empty';
  for (const word of words) {
    const problem = compilerFlagProblem(word);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * E_USAGE unless `optimization` (from --opt) is plain compiler flags: it reaches the Makefile and the compiler's
 * command line, so a quote, `$` or `;` in it must never get there.
 */
export function checkOptimization(optimization: string): void {
  const problem = optimizationProblem(optimization);
  if (problem === undefined) return;
  throw new EennError({
    code: 'E_USAGE',
    message: `--opt ${problem}`,
    hint: `give an optimisation level (${OPTIMIZATION_LEVELS.join(', ')}), or several plain compiler flags separated by spaces ("-O0 -g")`,
  });
}

/** Why `text` may not be a one-line text field (a description, a note), or undefined. */
export function textProblem(text: string): string | undefined {
  // Control characters, and the Unicode line and paragraph separators some editors treat as new lines.
  const bad = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.exec(text);
  if (bad) return `holds a control character (U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}): it must be one line of text`;
  return undefined;
}

/** The text with control characters shown as escapes, for messages. */
function printable(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
