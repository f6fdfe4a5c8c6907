// A target file is untrusted data: every field that reaches a command line, a Makefile, generated C or a linker
// script is checked (src/target/target.ts, src/target/arguments.ts), and refused with E_TARGET naming the field and what is allowed.

import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilerFlagProblem, optimizationProblem, programProblem } from '../../src/target/arguments.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { parseTarget } from '../../src/target/target.js';
import { rawTarget, targetError as sharedTargetError } from './target-json.js';

/** The E_TARGET error for `json`, whose hint points at the schema. */
function targetError(json: unknown, file?: string): EennError {
  const error = sharedTargetError(json, file);
  expect(error.hint).toMatch(/target\.schema\.json/);
  return error;
}

/** cortex-m4's JSON with `edit` applied. */
function m4With(edit: (json: Record<string, any>) => void): Record<string, any> {
  const json = rawTarget('cortex-m4');
  edit(json);
  return json;
}

describe('text fields', () => {
  it('refuses a description holding a newline and $(shell ...), naming the field', () => {
    const error = targetError(m4With((json) => { json.description = 'M4\n$(shell touch /tmp/eennc-canary)'; }));
    expect(error.message).toMatch(/^description holds a control character \(U\+000A\): it must be one line of text/);
  });

  it('refuses a region note with a carriage return or a Unicode line separator', () => {
    expect(targetError(m4With((json) => { json.memoryMap.regions[0].note = 'flash\r*/ SECTIONS {}'; })).message)
      .toMatch(/^memoryMap\.regions\[0\]\.note holds a control character/);
    expect(targetError(m4With((json) => { json.memoryMap.regions[1].note = 'ram\u2028x'; })).message)
      .toMatch(/^memoryMap\.regions\[1\]\.note holds a control character \(U\+2028\)/);
  });

  it('refuses a name, cpu, arch or QEMU machine that is not a plain word', () => {
    expect(targetError(m4With((json) => { json.cpu = 'cortex-m4 -wrapper'; })).message).toMatch(/^cpu is "cortex-m4 -wrapper": it must be made of letters, digits/);
    expect(targetError(m4With((json) => { json.arch = 'armv7e-m;id'; })).message).toMatch(/^arch is/);
    expect(targetError(m4With((json) => { json.emulator.machine = 'mps2-an386,accel=tcg'; })).message).toMatch(/^emulator\.machine is/);
    expect(targetError({ ...rawTarget('cortex-m4'), name: '$(shell id)' }, '/t/$(shell id).json').message).toMatch(/^name is "\$\(shell id\)"/);
  });
});

describe('compiler flags', () => {
  it.each([
    ['a shell command after a quote', "-mthumb';touch /tmp/eennc-canary;'"],
    ['a make expansion', '$(shell touch /tmp/eennc-canary)'],
    ['a space', '-mthumb -wrapper'],
    ['a newline', '-mthumb\n\ttouch x'],
    ['a response file', '@/etc/passwd'],
    ['a path', '-I/etc'],
    ['a parent folder', '-I..'],
  ])('refuses %s, naming the flag by its index', (_what, flag) => {
    const error = targetError(m4With((json) => { json.compiler.flags = ['-mcpu=cortex-m4', flag]; }));
    expect(error.message).toMatch(/^compiler\.flags\[1\] ".*" is not one plain argument \(allowed: letters, digits and - _ = \. , \+ :; no paths\)/);
  });

  it.each([
    ['-wrapper', 'touch,canary'],
    ['-Bprograms', ''],
    ['-fplugin=evil.so', ''],
    ['--ld-path=touch', ''],
    ['-Tother.ld', ''],
    ['-ocanary', ''],
    ['-Xlinker', '--plugin'],
    ['-Wl,--plugin,evil.so', ''],
    ['-Wl,-T,other.ld', ''],
    ['-fuse-ld=touch', ''],
    ['--specs=model.c', ''],
  ])('refuses %s, an option that runs or loads another program or replaces what is built', (flag, value) => {
    const flags = value ? [flag, value] : [flag];
    const error = targetError(m4With((json) => { json.compiler.linkFlags = ['-nostartfiles', ...flags]; }));
    expect(error.message).toMatch(/^compiler\.linkFlags\[1\] ".*" is refused: /);
  });

  it('accepts the flags real toolchains need', () => {
    for (const flag of ['-mcpu=cortex-m55', '-mfloat-abi=hard', '--specs=nano.specs', '-Wl,--gc-sections', '-DNDEBUG', '-ffast-math', '-fuse-ld=bfd', '-lm']) {
      expect(compilerFlagProblem(flag), flag).toBeUndefined();
    }
  });
});

describe('programs', () => {
  it.each([
    ['cc', 'gcc', '/bin/sh'],
    ['cc', 'gcc', './arm-none-eabi-gcc'],
    ['cc', 'gcc', 'gcc; touch /tmp/eennc-canary'],
    ['cc', 'gcc', 'env'],
    ['size', 'size', 'sh'],
    ['objcopy', 'objcopy', '../bin/objcopy'],
  ])('refuses compiler.%s that is not a plain %s name (%s)', (field, _kind, program) => {
    const error = targetError(m4With((json) => { json.compiler[field] = program; }));
    expect(error.message).toMatch(new RegExp(`^compiler\\.${field} ".*" must be the name of a \\w+ program .* looked up on the PATH`));
    expect(error.message).toMatch(/a path is not allowed \(put the toolchain's folder on the PATH instead\)/);
  });

  it('refuses an emulator that is not qemu-system-*, and emulator arguments other than -cpu, -m, -smp', () => {
    expect(targetError(m4With((json) => { json.emulator.program = 'sh'; })).message).toMatch(/^emulator\.program "sh" must be the name of a qemu-system-\* program/);
    expect(targetError(m4With((json) => { json.emulator.args = ['-incoming', 'exec:touch']; })).message)
      .toMatch(/^emulator\.args\[0\] is "-incoming"; a target may add only -cpu, -m, -smp/);
    expect(targetError(m4With((json) => { json.emulator.args = ['-cpu', '-plugin']; })).message).toMatch(/^emulator\.args\[1\] must be one plain value/);
    expect(targetError(m4With((json) => { json.emulator.args = ['-m']; })).message).toMatch(/^emulator\.args must be pairs/);
    expect(parseTarget(m4With((json) => { json.emulator.args = ['-m', '16M']; }), '/targets/cortex-m4.json').emulator?.args).toEqual(['-m', '16M']);
  });

  it('knows compilers, size and objcopy by their names, with a prefix and a version', () => {
    expect(programProblem('arm-none-eabi-gcc', 'gcc')).toBeUndefined();
    expect(programProblem('x86_64-linux-gnu-gcc-12', 'gcc')).toBeUndefined();
    expect(programProblem('clang', 'gcc')).toBeUndefined();
    expect(programProblem('llvm-size', 'size')).toBeUndefined();
    expect(programProblem('arm-none-eabi-objcopy', 'objcopy')).toBeUndefined();
    expect(programProblem('gcc-wrapper.sh', 'gcc')).toMatch(/must be the name/);
  });
});

describe('--opt', () => {
  it('takes a level or plain flags, and nothing a shell or make would read', () => {
    expect(optimizationProblem('-O2')).toBeUndefined();
    expect(optimizationProblem('-O0 -g')).toBeUndefined();
    expect(optimizationProblem("-O2'; touch X; echo '")).toMatch(/is not one plain argument/);
    expect(optimizationProblem('-O2 $(shell id)')).toMatch(/is not one plain argument/);
    expect(optimizationProblem('-O2 -wrapper touch,x')).toMatch(/-wrapper runs another program/);
    expect(optimizationProblem(' ')).toBe('is empty');
  });
});

describe('linkerScript', () => {
  let scratch = '';
  let boardDir = '';
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'eennc-linker-script-test-'));
    boardDir = join(scratch, 'board');
    await mkdir(join(boardDir, 'ld'), { recursive: true });
    await writeFile(join(boardDir, 'ld', 'board.ld'), 'ENTRY(Reset_Handler)\n/* INCLUDE in a comment is only text */\n');
    await writeFile(join(boardDir, 'includes.ld'), 'ENTRY(Reset_Handler)\nINCLUDE /etc/passwd\n');
    await writeFile(join(boardDir, 'inputs.ld'), 'ENTRY(Reset_Handler)\nINPUT(/usr/lib/libsecret.a)\n');
    await writeFile(join(boardDir, 'huge.ld'), Buffer.alloc(2 * 1024 * 1024, 0x20));
    await writeFile(join(scratch, 'outside.ld'), 'ENTRY(Reset_Handler)\n');
    await symlink(join(scratch, 'outside.ld'), join(boardDir, 'link-to-outside.ld'));
  });
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  /** A board target in boardDir using `script`. */
  function boardWith(script: string): Record<string, any> {
    return m4With((json) => {
      json.name = 'board';
      json.kind = 'board';
      delete json.emulator;
      delete json.memoryMap;
      json.linkerScript = script;
    });
  }

  it('accepts a file inside the target file\'s folder, as an absolute path', () => {
    const target = parseTarget(boardWith('ld/board.ld'), join(boardDir, 'board.json'));
    expect(target.linkerScript).toBe(join(boardDir, 'ld', 'board.ld'));
  });

  it.each([
    ['a file in the parent folder', '../outside.ld'],
    ['an absolute path outside', '/etc/passwd'],
    ['a link that leads outside', 'link-to-outside.ld'],
    ['a folder', 'ld'],
    ['a device', '/dev/zero'],
    ['a file that does not exist', 'missing.ld'],
  ])('refuses %s', (_what, script) => {
    const error = targetError(boardWith(script), join(boardDir, 'board.json'));
    expect(error.message).toMatch(/^linkerScript ".*" must name a regular file inside the folder of the target file/);
  });

  it('refuses a script that reads other files (INCLUDE, INPUT) or is not a linker script\'s size', () => {
    expect(targetError(boardWith('includes.ld'), join(boardDir, 'board.json')).message)
      .toBe('linkerScript "includes.ld" uses INCLUDE, which reads another file: the script must be self-contained');
    expect(targetError(boardWith('inputs.ld'), join(boardDir, 'board.json')).message).toMatch(/uses INPUT, which reads another file/);
    expect(targetError(boardWith('huge.ld'), join(boardDir, 'board.json')).message).toMatch(/is 2097152 bytes; a linker script is at most 1048576/);
  });
});
