// Targets are data: each file in targets/ describes one CPU (flags, features, memory limits) and where its
// firmware runs (QEMU machine and memory map, a real board, or the host). Codegen, the toolchain and the CLI
// read targets only through this module, and ask for features, never for target names.

import { readFileSync, readdirSync, existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EennError } from '../ir/diagnostics.js';
import { readRegularFile } from '../util/read-file.js';
import { isInside } from '../util/paths.js';
import { compilerFlagProblem, EMULATOR_OPTIONS, programProblem, textProblem } from './arguments.js';

/** What the generated code may use. Kernels pick their DSP/MVE paths from these, never from the target name. */
export interface TargetFeatures {
  /** Armv7E-M DSP extension (SIMD on 8/16-bit lanes, saturating arithmetic). */
  dsp: boolean;
  /** Armv8.1-M Helium (M-profile Vector Extension). */
  mve: boolean;
  /** Hardware floating point. */
  fpu: boolean;
}

/** One region of the address space the linker may place sections in. */
export interface MemoryRegion {
  name: string;
  origin: number;
  lengthBytes: number;
  /** GNU ld region attributes: r, w, x. */
  attributes: string;
  /** What the region is on the board, for the comment in the linker script. */
  note?: string;
}

/** Where the firmware's sections go: region names from `regions`. */
export interface MemoryMap {
  regions: MemoryRegion[];
  /** The vector table: the region the core boots from. */
  vectors: string;
  /** Code, read-only data (weights) and the initial values of .data: flash on a real chip. */
  code: string;
  /** Stack, .data and .bss. */
  data: string;
}

export interface TargetCompiler {
  /** C compiler: arm-none-eabi-gcc, or gcc for the host. */
  cc: string;
  /** Reports section sizes (binutils `size`). */
  size: string;
  /** Makes .bin and .hex images; absent for the host. */
  objcopy?: string;
  /** CPU flags for compiling and linking (-mcpu, -mthumb, float ABI, FPU). */
  flags: string[];
  /** Extra flags for linking only. */
  linkFlags: string[];
}

export interface TargetEmulator {
  program: string;
  machine: string;
  /** QEMU `-icount shift=N`: every instruction advances virtual time by 2^N ns. */
  icountShift: number;
  /** More QEMU arguments, placed before -kernel. */
  args: string[];
}

/** How instructions (emulator) or cycles (board) are counted around eenn_run(). */
export type TargetCounter = { source: 'systick'; hz: number } | { source: 'none' };

export type TargetKind = 'emulator' | 'board' | 'host';

/**
 * The non-volatile memory an intermittent build checkpoints to. 'memory-mapped' (FRAM-like): the model's state
 * (arena, captured inputs, outputs, progress record) lives in section .eenn_nvm, placed in memoryMap region
 * `region`; a commit is the record write. 'hooks': the state lives in SRAM and is saved and restored through
 * eenn_nvm_write / eenn_nvm_read, which the application implements (an external FRAM or flash).
 */
export type TargetNvm =
  | { kind: 'memory-mapped'; region: string; sizeBytes: number; note?: string }
  | { kind: 'hooks'; sizeBytes: number; note?: string };

/** Energy of the core, for budgets given in energy (--budget-uj). */
export interface TargetEnergy {
  /** Average energy of one instruction, in nanojoules. */
  nanojoulesPerInstruction: number;
  note?: string;
}

/** The core's clock, for latencies (multi-device cost model): one instruction per cycle is assumed. */
export interface TargetClock {
  hz: number;
  note?: string;
}

/**
 * A serial port the multi-device link can use (templates/c/runtime/eenn_link_uart_cmsdk.c): the CMSDK APB UART of
 * Arm's MPS2/MPS3 boards, at `base`, clocked at `clockHz` (its baud divider is clockHz / baud). Under QEMU it is
 * the machine's serial port `qemuSerial` (the n-th -serial option).
 */
export interface TargetUart {
  kind: 'cmsdk-apb';
  base: number;
  clockHz: number;
  qemuSerial: number;
  note?: string;
}

/**
 * The chip's own start-up (runtime/eenn_<kind>.c): its clocks, set before main(), and the interrupt vectors after the
 * 16 of the core. 'stm32f4': an STM32F405/407 at 168 MHz from its internal oscillator.
 */
export interface TargetStartup {
  kind: 'stm32f4';
  note?: string;
}

/**
 * Where the firmware's text for people goes instead of semihosting: an STM32 USART at `base`, on the peripheral
 * clock `clockHz` (its baud divider is clockHz / baud), the n-th -serial of QEMU (`qemuSerial`).
 */
export interface TargetConsole {
  kind: 'stm32-usart';
  base: number;
  clockHz: number;
  baud: number;
  qemuSerial: number;
  note?: string;
}

/**
 * How a person writes the image into the chip (src/target/flash-command.ts prints the command; eennc never runs it):
 * st-flash writes the .bin at `address`; OpenOCD programs the .hex through its interface/<interface>.cfg and
 * target/<target>.cfg scripts.
 */
export type TargetFlash = { tool: 'st-flash'; address: number } | { tool: 'openocd'; interface: string; transport?: 'swd' | 'jtag'; target: string };

export interface Target {
  name: string;
  description: string;
  /** emulator: runs in QEMU; board: a real chip (flash and run it yourself); host: native executable. */
  kind: TargetKind;
  /** -mcpu name, or 'host'. */
  cpu: string;
  /** Architecture, e.g. armv7e-m. */
  arch: string;
  features: TargetFeatures;
  compiler: TargetCompiler;
  /** Memory limits for fit checks; null means unlimited (host). */
  limits: { flashBytes: number | null; ramBytes: number | null };
  /** Stack reserved for the firmware (bytes); 0 for the host, whose stack the OS provides. */
  stackBytes: number;
  /** Memory map for the generated linker script; absent for the host or when `linkerScript` is given. */
  memoryMap?: MemoryMap;
  /** A hand-written linker script (absolute path, inside the target file's folder) to use instead of one generated from `memoryMap`. */
  linkerScript?: string;
  emulator?: TargetEmulator;
  counter: TargetCounter;
  /** How the firmware ends: semihosting SYS_EXIT_EXTENDED, or a process exit (host). */
  exit: 'semihosting' | 'process';
  /** Non-volatile memory for intermittent builds; absent where the target has none described (--intermittent refused). */
  nvm?: TargetNvm;
  /** Energy per instruction, for --budget-uj; absent where unknown. */
  energy?: TargetEnergy;
  /** Core clock, for the multi-device cost model's latencies; absent where unknown (latency refused, energy still possible). */
  clock?: TargetClock;
  /** The UART a multi-device link uses; absent where none is described (the link hooks are then the application's). */
  uart?: TargetUart;
  /** A board's chip start-up (clocks, interrupt vectors); absent where the core's reset state is enough. */
  startup?: TargetStartup;
  /** A board's serial console; absent where text goes over semihosting. */
  console?: TargetConsole;
  /** How to write a board's image into its flash; absent where unknown (and for emulators and the host). */
  flash?: TargetFlash;
  /** The file the target was read from. */
  file: string;
}

/** The target used when none is named. */
export const DEFAULT_TARGET_NAME = 'cortex-m4';

/** The targets/ folder of this package. */
function targetsDirectory(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'targets');
}

/** Names of the targets shipped in targets/, sorted. */
export function listTargets(): string[] {
  return readdirSync(targetsDirectory())
    .filter((file) => file.endsWith('.json') && !file.endsWith('.schema.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort(compareTargetNames);
}

/** Every shipped target, loaded and validated. */
export function loadAllTargets(): Target[] {
  return listTargets().map((name) => loadTarget(name));
}

/**
 * Load a target by name (a file in targets/) or by path to a JSON file (a board of your own).
 * Throws EennError E_TARGET for an unknown name or an invalid file.
 */
export function loadTarget(nameOrPath: string): Target {
  const isPath = nameOrPath.endsWith('.json') || nameOrPath.includes('/') || nameOrPath.includes('\\');
  const file = isPath ? resolve(nameOrPath) : resolve(targetsDirectory(), `${nameOrPath}.json`);
  if (!existsSync(file)) {
    if (isPath)
      throw new EennError({
        code: 'E_TARGET',
        file,
        message: 'target file not found',
        hint: `check the path, or give a target name: ${listTargets().join(', ')}`,
      });
    throw new EennError({
      code: 'E_TARGET',
      message: `unknown target "${nameOrPath}"`,
      hint: `known targets: ${listTargets().join(', ')} (or give the path of a target .json file)`,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(readRegularFile(file, 'target file', MAX_TARGET_FILE_BYTES).toString('utf8'));
  } catch (err) {
    if (err instanceof EennError) throw err;
    throw new EennError({
      code: 'E_TARGET',
      file,
      message: `not valid JSON: ${(err as Error).message}`,
      hint: 'fix the JSON syntax at the position given; targets/cortex-m4.json is an example of a valid target file',
    });
  }
  return parseTarget(json, file);
}

/**
 * Validate a target description (the parsed JSON of a target file; see targets/target.schema.json) and
 * return it typed, sizes in bytes. `file` is used for messages and to resolve a relative `linkerScript`.
 */
export function parseTarget(json: unknown, file: string): Target {
  const reader = new FieldReader(file);
  const root = reader.object(json, '');
  reader.noOtherKeys(root, '', [
    '$schema',
    'name',
    'description',
    'kind',
    'cpu',
    'arch',
    'features',
    'compiler',
    'limits',
    'stack',
    'memoryMap',
    'linkerScript',
    'emulator',
    'counter',
    'exit',
    'nvm',
    'energy',
    'clock',
    'uart',
    'startup',
    'console',
    'flash',
  ]);

  const name = reader.word(root, 'name');
  const expectedName = basename(file, '.json');
  if (name !== expectedName) reader.fail('name', `is "${name}" but the file is ${expectedName}.json`);
  const kind = reader.oneOf(root, 'kind', ['emulator', 'board', 'host'] as const);

  const featuresJson = reader.object(root.features, 'features');
  reader.noOtherKeys(featuresJson, 'features', ['dsp', 'mve', 'fpu']);
  const features: TargetFeatures = {
    dsp: reader.boolean(featuresJson, 'dsp', 'features.'),
    mve: reader.boolean(featuresJson, 'mve', 'features.'),
    fpu: reader.boolean(featuresJson, 'fpu', 'features.'),
  };

  const compilerJson = reader.object(root.compiler, 'compiler');
  reader.noOtherKeys(compilerJson, 'compiler', ['cc', 'size', 'objcopy', 'flags', 'linkFlags']);
  const compiler: TargetCompiler = {
    cc: reader.program(compilerJson, 'cc', 'gcc', 'compiler.'),
    size: reader.program(compilerJson, 'size', 'size', 'compiler.'),
    objcopy: compilerJson.objcopy === undefined ? undefined : reader.program(compilerJson, 'objcopy', 'objcopy', 'compiler.'),
    flags: reader.compilerFlags(compilerJson, 'flags', 'compiler.'),
    linkFlags: compilerJson.linkFlags === undefined ? [] : reader.compilerFlags(compilerJson, 'linkFlags', 'compiler.'),
  };

  const limitsJson = reader.object(root.limits, 'limits');
  reader.noOtherKeys(limitsJson, 'limits', ['flash', 'ram']);
  const limits = {
    flashBytes: reader.sizeOrNull(limitsJson, 'flash', 'limits.'),
    ramBytes: reader.sizeOrNull(limitsJson, 'ram', 'limits.'),
  };

  const counterJson = reader.object(root.counter, 'counter');
  const source = reader.oneOf(counterJson, 'source', ['systick', 'none'] as const, 'counter.');
  let counter: TargetCounter;
  if (source === 'systick') {
    reader.noOtherKeys(counterJson, 'counter', ['source', 'hz']);
    counter = { source, hz: reader.positiveInteger(counterJson, 'hz', 'counter.') };
  } else {
    reader.noOtherKeys(counterJson, 'counter', ['source']);
    counter = { source };
  }

  const target: Target = {
    name,
    description: reader.text(root, 'description'),
    kind,
    cpu: reader.word(root, 'cpu'),
    arch: reader.word(root, 'arch'),
    features,
    compiler,
    limits,
    stackBytes: root.stack === undefined ? 0 : reader.size(root, 'stack'),
    counter,
    exit: reader.oneOf(root, 'exit', ['semihosting', 'process'] as const),
    file,
  };

  if (root.memoryMap !== undefined) target.memoryMap = readMemoryMap(reader, root.memoryMap);
  if (root.linkerScript !== undefined) target.linkerScript = readLinkerScriptPath(reader, reader.string(root, 'linkerScript'), file);
  if (root.emulator !== undefined) target.emulator = readEmulator(reader, root.emulator);
  if (root.nvm !== undefined) target.nvm = readNvm(reader, root.nvm);
  if (root.energy !== undefined) target.energy = readEnergy(reader, root.energy);
  if (root.clock !== undefined) target.clock = readClock(reader, root.clock);
  if (root.uart !== undefined) target.uart = readUart(reader, root.uart);
  if (root.startup !== undefined) target.startup = readStartup(reader, root.startup);
  if (root.console !== undefined) target.console = readConsole(reader, root.console);
  if (root.flash !== undefined) target.flash = readFlash(reader, root.flash);

  checkConsistency(reader, target);
  return target;
}

/** A serial line of the emulated machine joined to a TCP server on 127.0.0.1 (a multi-device run's link). */
export interface EmulatorLink {
  /** Which -serial of the machine (TargetUart.qemuSerial); the ones before it are "null". */
  serial: number;
  /** The port QEMU connects to as a client. */
  port: number;
}

/** The QEMU chardev id of the link's socket. */
const LINK_CHARDEV = 'eennlink';

/**
 * Throws E_RUN when `target`'s firmware cannot be run here: a board without an emulator. The host and the
 * emulated targets (boards with one included) pass.
 */
export function checkRunnable(target: Target): void {
  if (target.kind === 'host' || target.emulator) return;
  throw new EennError({
    code: 'E_RUN',
    message: `target ${target.name} has no emulator: run and test need one`,
    hint:
      target.kind === 'board'
        ? `build it (eennc build writes the .bin and .hex and prints the command that flashes them) and run it on the chip with a debug probe that implements semihosting, or pick an emulator target (eennc targets)`
        : 'pick an emulator target (eennc targets lists them)',
  });
}

/**
 * The emulator command line that runs `image` with semihosting and deterministic instruction counting:
 * program first, then its arguments. QEMU's working directory is where semihosting opens files.
 * A board's console is QEMU's standard output; with `link`, that serial port is a socket to 127.0.0.1:port.
 */
export function emulatorCommand(target: Target, image: string, link?: EmulatorLink): [program: string, ...args: string[]] {
  checkRunnable(target);
  if (!target.emulator) {
    throw new EennError({
      code: 'E_RUN',
      message: `target ${target.name} has no emulator`,
      hint: 'pick an emulator target (eennc targets lists them)',
    });
  }
  const { program, machine, icountShift, args } = target.emulator;
  return [
    program,
    '-M',
    machine,
    '-nographic',
    '-monitor',
    'none',
    ...serialArgs(target, link),
    '-semihosting-config',
    'enable=on,target=native',
    '-icount',
    `shift=${icountShift}`,
    ...args,
    '-kernel',
    image,
  ];
}

/**
 * The -serial options: none at all without a console or a link; otherwise one per port up to the highest used,
 * the console's on standard output ("stdio"), the link's a -chardev socket (nodelay: each byte the UART writes
 * leaves at once, as on a wire), the others "null".
 */
function serialArgs(target: Target, link: EmulatorLink | undefined): string[] {
  const console = target.console?.qemuSerial;
  if (link === undefined && console === undefined) return ['-serial', 'none'];
  const ports = Math.max(link?.serial ?? -1, console ?? -1) + 1;
  const serials = Array.from({ length: ports }, (_, index) => [
    '-serial',
    index === link?.serial ? `chardev:${LINK_CHARDEV}` : index === console ? 'stdio' : 'null',
  ]);
  const chardev = link ? ['-chardev', `socket,id=${LINK_CHARDEV},host=127.0.0.1,port=${link.port},nodelay=on`] : [];
  return [...chardev, ...serials.flat()];
}

/** Bytes of a size written as a number, "256K", "2M" or "0x40000". */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^(?:0x([0-9a-fA-F]+)|([0-9]+)\s*([KM]?))$/.exec(value.trim());
  if (!match) return undefined;
  if (match[1] !== undefined) return parseInt(match[1], 16);
  const scale = match[3] === 'K' ? 1024 : match[3] === 'M' ? 1024 * 1024 : 1;
  return parseInt(match[2]!, 10) * scale;
}

/** "256 KiB", "2 MiB", "300 B": sizes for people. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

function readMemoryMap(reader: FieldReader, json: unknown): MemoryMap {
  const map = reader.object(json, 'memoryMap');
  reader.noOtherKeys(map, 'memoryMap', ['regions', 'vectors', 'code', 'data']);
  if (!Array.isArray(map.regions) || map.regions.length === 0) {
    reader.fail('memoryMap.regions', 'must be a non-empty array of regions');
  }
  const regions = (map.regions as unknown[]).map((regionJson, index): MemoryRegion => {
    const where = `memoryMap.regions[${index}]`;
    const region = reader.object(regionJson, where);
    reader.noOtherKeys(region, where, ['name', 'origin', 'length', 'attributes', 'note']);
    const name = reader.string(region, 'name', `${where}.`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) reader.fail(`${where}.name`, 'must be a C-like identifier');
    const attributes = reader.string(region, 'attributes', `${where}.`);
    if (!/^[rwx]+$/.test(attributes)) reader.fail(`${where}.attributes`, 'must be made of r, w and x');
    return {
      name,
      origin: reader.size(region, 'origin', `${where}.`),
      lengthBytes: reader.size(region, 'length', `${where}.`),
      attributes,
      note: region.note === undefined ? undefined : reader.text(region, 'note', `${where}.`),
    };
  });
  const names = new Set(regions.map((region) => region.name));
  if (names.size !== regions.length) reader.fail('memoryMap.regions', 'region names must be unique');
  const place = (key: 'vectors' | 'code' | 'data'): string => {
    const region = reader.string(map, key, 'memoryMap.');
    if (!names.has(region)) reader.fail(`memoryMap.${key}`, `names region "${region}", which is not in memoryMap.regions`);
    return region;
  };
  return { regions, vectors: place('vectors'), code: place('code'), data: place('data') };
}

function readEmulator(reader: FieldReader, json: unknown): TargetEmulator {
  const emulator = reader.object(json, 'emulator');
  reader.noOtherKeys(emulator, 'emulator', ['program', 'machine', 'icountShift', 'args']);
  const icountShift = reader.positiveInteger(emulator, 'icountShift', 'emulator.', 0);
  if (icountShift > 10) reader.fail('emulator.icountShift', 'must be between 0 and 10');
  return {
    program: reader.program(emulator, 'program', 'qemu', 'emulator.'),
    machine: reader.word(emulator, 'machine', 'emulator.'),
    icountShift,
    args: emulator.args === undefined ? [] : readEmulatorArgs(reader, reader.strings(emulator, 'args', 'emulator.')),
  };
}

function readNvm(reader: FieldReader, json: unknown): TargetNvm {
  const nvm = reader.object(json, 'nvm');
  const kind = reader.oneOf(nvm, 'kind', ['memory-mapped', 'hooks'] as const, 'nvm.');
  const sizeBytes = reader.size(nvm, 'size', 'nvm.');
  if (sizeBytes === 0) reader.fail('nvm.size', 'must be more than 0 bytes');
  const note = nvm.note === undefined ? undefined : reader.text(nvm, 'note', 'nvm.');
  if (kind === 'memory-mapped') {
    reader.noOtherKeys(nvm, 'nvm', ['kind', 'region', 'size', 'note']);
    return { kind, region: reader.word(nvm, 'region', 'nvm.'), sizeBytes, ...(note ? { note } : {}) };
  }
  reader.noOtherKeys(nvm, 'nvm', ['kind', 'size', 'note']);
  return { kind, sizeBytes, ...(note ? { note } : {}) };
}

function readEnergy(reader: FieldReader, json: unknown): TargetEnergy {
  const energy = reader.object(json, 'energy');
  reader.noOtherKeys(energy, 'energy', ['nanojoulesPerInstruction', 'note']);
  const value = energy.nanojoulesPerInstruction;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 1e6) {
    reader.fail('energy.nanojoulesPerInstruction', 'must be a number of nanojoules above 0 (e.g. 0.25)');
  }
  const note = energy.note === undefined ? undefined : reader.text(energy, 'note', 'energy.');
  return { nanojoulesPerInstruction: value, ...(note ? { note } : {}) };
}

function readClock(reader: FieldReader, json: unknown): TargetClock {
  const clock = reader.object(json, 'clock');
  reader.noOtherKeys(clock, 'clock', ['hz', 'note']);
  const hz = reader.positiveInteger(clock, 'hz', 'clock.');
  if (hz > MAX_CLOCK_HZ) reader.fail('clock.hz', `is ${hz}: a core clock in Hz is at most ${MAX_CLOCK_HZ} (give Hz, not kHz or MHz scaled wrongly)`);
  const note = clock.note === undefined ? undefined : reader.text(clock, 'note', 'clock.');
  return { hz, ...(note ? { note } : {}) };
}

function readUart(reader: FieldReader, json: unknown): TargetUart {
  const uart = reader.object(json, 'uart');
  reader.noOtherKeys(uart, 'uart', ['kind', 'base', 'clockHz', 'qemuSerial', 'note']);
  const kind = reader.oneOf(uart, 'kind', ['cmsdk-apb'] as const, 'uart.');
  const base = reader.size(uart, 'base', 'uart.');
  if (base % UART_BASE_ALIGNMENT !== 0 || base > MAX_ADDRESS) {
    reader.fail('uart.base', `is 0x${base.toString(16)}: the UART's registers start at a word-aligned 32-bit address (e.g. "0x40004000")`);
  }
  const clockHz = reader.positiveInteger(uart, 'clockHz', 'uart.');
  if (clockHz > MAX_CLOCK_HZ) reader.fail('uart.clockHz', `is ${clockHz}: the UART's peripheral clock in Hz is at most ${MAX_CLOCK_HZ}`);
  const qemuSerial = reader.positiveInteger(uart, 'qemuSerial', 'uart.', 0);
  if (qemuSerial >= QEMU_SERIAL_PORTS) reader.fail('uart.qemuSerial', `is ${qemuSerial}: QEMU has serial ports 0 to ${QEMU_SERIAL_PORTS - 1}`);
  const note = uart.note === undefined ? undefined : reader.text(uart, 'note', 'uart.');
  return { kind, base, clockHz, qemuSerial, ...(note ? { note } : {}) };
}

function readStartup(reader: FieldReader, json: unknown): TargetStartup {
  const startup = reader.object(json, 'startup');
  reader.noOtherKeys(startup, 'startup', ['kind', 'note']);
  const kind = reader.oneOf(startup, 'kind', ['stm32f4'] as const, 'startup.');
  const note = startup.note === undefined ? undefined : reader.text(startup, 'note', 'startup.');
  return { kind, ...(note ? { note } : {}) };
}

function readConsole(reader: FieldReader, json: unknown): TargetConsole {
  const console = reader.object(json, 'console');
  reader.noOtherKeys(console, 'console', ['kind', 'base', 'clockHz', 'baud', 'qemuSerial', 'note']);
  const kind = reader.oneOf(console, 'kind', ['stm32-usart'] as const, 'console.');
  const base = reader.size(console, 'base', 'console.');
  if (base % UART_BASE_ALIGNMENT !== 0 || base > MAX_ADDRESS) {
    reader.fail('console.base', `is 0x${base.toString(16)}: the USART's registers start at a word-aligned 32-bit address (e.g. "0x40011000")`);
  }
  const clockHz = reader.positiveInteger(console, 'clockHz', 'console.');
  if (clockHz > MAX_CLOCK_HZ) reader.fail('console.clockHz', `is ${clockHz}: the USART's peripheral clock in Hz is at most ${MAX_CLOCK_HZ}`);
  const baud = reader.positiveInteger(console, 'baud', 'console.');
  if (Math.floor(clockHz / baud) < STM32_USART_MIN_DIVIDER) {
    reader.fail('console.baud', `is ${baud}: a USART clocked at ${clockHz} Hz sends at most ${Math.floor(clockHz / STM32_USART_MIN_DIVIDER)} baud`);
  }
  const qemuSerial = reader.positiveInteger(console, 'qemuSerial', 'console.', 0);
  if (qemuSerial >= QEMU_SERIAL_PORTS) reader.fail('console.qemuSerial', `is ${qemuSerial}: QEMU has serial ports 0 to ${QEMU_SERIAL_PORTS - 1}`);
  const note = console.note === undefined ? undefined : reader.text(console, 'note', 'console.');
  return { kind, base, clockHz, baud, qemuSerial, ...(note ? { note } : {}) };
}

function readFlash(reader: FieldReader, json: unknown): TargetFlash {
  const flash = reader.object(json, 'flash');
  const tool = reader.oneOf(flash, 'tool', ['st-flash', 'openocd'] as const, 'flash.');
  if (tool === 'st-flash') {
    reader.noOtherKeys(flash, 'flash', ['tool', 'address']);
    return { tool, address: reader.size(flash, 'address', 'flash.') };
  }
  reader.noOtherKeys(flash, 'flash', ['tool', 'interface', 'transport', 'target']);
  const transport = flash.transport === undefined ? undefined : reader.oneOf(flash, 'transport', ['swd', 'jtag'] as const, 'flash.');
  return {
    tool,
    interface: reader.word(flash, 'interface', 'flash.'),
    ...(transport ? { transport } : {}),
    target: reader.word(flash, 'target', 'flash.'),
  };
}

/** More emulator arguments: options from EMULATOR_OPTIONS, each followed by one plain value. */
function readEmulatorArgs(reader: FieldReader, args: string[]): string[] {
  if (args.length % 2 !== 0) reader.fail('emulator.args', `must be pairs of an option (${EMULATOR_OPTIONS.join(', ')}) and its value`);
  for (let i = 0; i < args.length; i += 2) {
    const option = args[i]!;
    const value = args[i + 1]!; // the length is even
    if (!(EMULATOR_OPTIONS as readonly string[]).includes(option)) {
      reader.fail(
        `emulator.args[${i}]`,
        `is "${JSON.stringify(option).slice(1, -1)}"; a target may add only ${EMULATOR_OPTIONS.join(', ')}, each followed by its value`,
      );
    }
    if (!/^[A-Za-z0-9_][A-Za-z0-9_=.,+:-]*$/.test(value) || value.includes('..')) {
      reader.fail(`emulator.args[${i + 1}]`, 'must be one plain value: letters, digits and - _ = . , + : (not starting with -, no paths)');
    }
  }
  return args;
}

/** Clocks above 10 GHz are a unit mistake, not a microcontroller. */
const MAX_CLOCK_HZ = 10_000_000_000;
/** Peripheral registers are 32-bit words: the UART's base is a multiple of 4. */
const UART_BASE_ALIGNMENT = 4;
/** The highest byte address of a 32-bit core. */
const MAX_ADDRESS = 0xffffffff;
/** An STM32 USART oversampling by 16 needs a baud divider (BRR) of at least 16 (RM0090, 30.3.4). */
const STM32_USART_MIN_DIVIDER = 16;
/** QEMU's -serial options (MAX_SERIAL_PORTS in QEMU 7.2): a machine's serial ports 0 to 3. */
const QEMU_SERIAL_PORTS = 4;

/** The largest linker script a target may bring. */
const MAX_LINKER_SCRIPT_BYTES = 1024 * 1024;
/** A target file is a page of JSON; anything larger is the wrong file. */
const MAX_TARGET_FILE_BYTES = 1024 * 1024;

/** Linker script commands that read or search for other files: a target's own script must be self-contained. */
const LINKER_FILE_COMMANDS = /\b(INCLUDE|INPUT|GROUP|SEARCH_DIR|STARTUP|AS_NEEDED)\b/;

/**
 * The absolute path of a target's own linker script: a regular file inside the folder of the target file (after
 * following links), at most MAX_LINKER_SCRIPT_BYTES, that names no other file, so that a target file cannot make
 * eennc or the linker read anything else.
 */
function readLinkerScriptPath(reader: FieldReader, script: string, file: string): string {
  const folder = dirname(resolve(file));
  const where = 'must name a regular file inside the folder of the target file (a path relative to it)';
  const path = resolve(folder, script);
  let real: string;
  try {
    real = realpathSync(path);
    if (!isInside(realpathSync(folder), real) || !statSync(real).isFile()) reader.fail('linkerScript', `"${script}" ${where}`);
    const bytes = statSync(real).size;
    if (bytes > MAX_LINKER_SCRIPT_BYTES)
      reader.fail('linkerScript', `"${script}" is ${bytes} bytes; a linker script is at most ${MAX_LINKER_SCRIPT_BYTES}`);
    const command = LINKER_FILE_COMMANDS.exec(readFileSync(real, 'utf8').replace(/\/\*[\s\S]*?\*\//g, ' '));
    if (command) reader.fail('linkerScript', `"${script}" uses ${command[1]}, which reads another file: the script must be self-contained`);
  } catch (err) {
    if (err instanceof EennError) throw err;
    reader.fail('linkerScript', `"${script}" ${where}; it cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return real;
}

/** Rules that tie fields together: what each kind of target must and must not have. */
function checkConsistency(reader: FieldReader, target: Target): void {
  if (target.kind === 'host') {
    if (target.exit !== 'process') reader.fail('exit', 'must be "process" for a host target');
    if (target.emulator) reader.fail('emulator', 'a host target runs natively and has no emulator');
    if (target.uart) reader.fail('uart', 'a host target has no UART: its link runs over a loopback socket (EENN_LINK_PORT)');
    for (const field of ['startup', 'console', 'flash'] as const) {
      if (target[field]) reader.fail(field, 'is for a board target (kind "board"), not the host');
    }
    return;
  }
  if (target.exit !== 'semihosting') reader.fail('exit', `must be "semihosting" for an ${target.kind} target`);
  if (!target.memoryMap && !target.linkerScript) reader.fail('memoryMap', 'is required unless linkerScript is given');
  if (!target.compiler.objcopy) reader.fail('compiler.objcopy', `is required for an ${target.kind} target`);
  if (target.stackBytes === 0 || target.stackBytes % 8 !== 0) reader.fail('stack', 'must be a positive multiple of 8 bytes');
  if (target.kind === 'emulator' && !target.emulator) reader.fail('emulator', 'is required for an emulator target');
  if (target.kind !== 'board') {
    for (const field of ['startup', 'console', 'flash'] as const) {
      if (target[field]) reader.fail(field, `is for a board target (kind "board"), not an ${target.kind} one`);
    }
  }
  if (target.console && target.uart?.qemuSerial === target.console.qemuSerial) {
    reader.fail('console.qemuSerial', `is ${target.console.qemuSerial}, the serial port of "uart" (the link's): give the console another one`);
  }
  if (target.nvm?.kind === 'memory-mapped') {
    const { region, sizeBytes } = target.nvm;
    const found = target.memoryMap?.regions.find((r) => r.name === region);
    if (target.memoryMap && !found) reader.fail('nvm.region', `names "${region}", which is not a region of memoryMap.regions`);
    if (found && sizeBytes > found.lengthBytes) reader.fail('nvm.size', `is larger than region ${region} (${found.lengthBytes} bytes)`);
    if (found && target.memoryMap && [target.memoryMap.code, target.memoryMap.data, target.memoryMap.vectors].includes(region)) {
      reader.fail('nvm.region', `must be a region of its own, not the code, data or vectors region (${region})`);
    }
  }
  if (target.emulator && target.counter.source === 'none') {
    reader.fail('counter', 'an emulator target counts instructions with SysTick: give {"source": "systick", "hz": ...}');
  }
}

/** Cortex-M targets by core number (m0plus, m3, m4, ...), the others after them by name. */
function compareTargetNames(a: string, b: string): number {
  const rank = (name: string): number => {
    const match = /^cortex-m(\d+)/.exec(name);
    return match ? parseInt(match[1]!, 10) : Number.MAX_SAFE_INTEGER;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** Reads typed fields from parsed JSON and throws E_TARGET naming the field when one is wrong. */
class FieldReader {
  constructor(private readonly file: string) {}

  fail(field: string, message: string): never {
    throw new EennError({
      code: 'E_TARGET',
      file: this.file,
      message: field ? `${field} ${message}` : message,
      hint: 'targets/target.schema.json describes every field; targets/cortex-m4.json is a complete example',
    });
  }

  object(value: unknown, where: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(where, 'must be an object');
    return value as Record<string, unknown>;
  }

  noOtherKeys(json: Record<string, unknown>, where: string, allowed: string[]): void {
    const unknown = Object.keys(json).find((key) => !allowed.includes(key));
    if (unknown !== undefined) {
      this.fail(where ? `${where}.${unknown}` : unknown, `is not a known field (known: ${allowed.join(', ')})`);
    }
  }

  string(json: Record<string, unknown>, key: string, prefix = ''): string {
    const value = json[key];
    if (typeof value !== 'string' || value === '') this.fail(prefix + key, 'must be a non-empty string');
    return value;
  }

  /** A name that reaches file names, command lines and generated comments: letters, digits and _ . + - only. */
  word(json: Record<string, unknown>, key: string, prefix = ''): string {
    const value = this.string(json, key, prefix);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/.test(value)) {
      this.fail(
        prefix + key,
        `is "${JSON.stringify(value).slice(1, -1)}": it must be made of letters, digits, _, ., + and -, starting with a letter or digit`,
      );
    }
    return value;
  }

  /** One line of text for people (a description, a note). */
  text(json: Record<string, unknown>, key: string, prefix = ''): string {
    const value = this.string(json, key, prefix);
    const problem = textProblem(value);
    if (problem) this.fail(prefix + key, problem);
    return value;
  }

  /** The name of a program of the given kind, looked up on the PATH. */
  program(json: Record<string, unknown>, key: string, kind: Parameters<typeof programProblem>[1], prefix = ''): string {
    const value = this.string(json, key, prefix);
    const problem = programProblem(value, kind);
    if (problem) this.fail(prefix + key, problem);
    return value;
  }

  /** Compiler flags, each one plain argument the compiler takes as an option and nothing else. */
  compilerFlags(json: Record<string, unknown>, key: string, prefix = ''): string[] {
    const flags = this.strings(json, key, prefix);
    flags.forEach((flag, index) => {
      const problem = compilerFlagProblem(flag);
      if (problem) this.fail(`${prefix}${key}[${index}]`, problem);
    });
    return flags;
  }

  strings(json: Record<string, unknown>, key: string, prefix = ''): string[] {
    const value = json[key];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      this.fail(prefix + key, 'must be an array of strings');
    }
    return [...value];
  }

  boolean(json: Record<string, unknown>, key: string, prefix = ''): boolean {
    const value = json[key];
    if (typeof value !== 'boolean') this.fail(prefix + key, 'must be true or false');
    return value;
  }

  oneOf<T extends string>(json: Record<string, unknown>, key: string, allowed: readonly T[], prefix = ''): T {
    const value = json[key];
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      this.fail(prefix + key, `must be one of ${allowed.map((item) => `"${item}"`).join(', ')}`);
    }
    return value as T;
  }

  positiveInteger(json: Record<string, unknown>, key: string, prefix = '', minimum = 1): number {
    const value = json[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
      this.fail(prefix + key, `must be an integer >= ${minimum}`);
    }
    return value;
  }

  size(json: Record<string, unknown>, key: string, prefix = ''): number {
    const bytes = parseSize(json[key]);
    if (bytes === undefined) this.fail(prefix + key, 'must be a size: bytes, "256K", "2M" or "0x20000000"');
    return bytes;
  }

  sizeOrNull(json: Record<string, unknown>, key: string, prefix = ''): number | null {
    return json[key] === null ? null : this.size(json, key, prefix);
  }
}
