// Codegen, last step: the test firmware around a generated model for one target. Renders main.c, the Makefile
// and the linker script from templates/c (Handlebars) and copies the runtime (startup, semihosting, platform).

import { readFileSync } from 'node:fs';
import { dirname, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { EennError } from '../ir/diagnostics.js';
import { checkOptimization } from '../target/arguments.js';
import { emulatorCommand, formatSize, type Target, type TargetConsole, type TargetStartup } from '../target/target.js';
import { flashCommand } from '../target/flash-command.js';
import type { NvmKind } from '../intermittent/index.js';
import { DEFAULT_LINK_TIMEOUT_MS } from '../devices/frame.js';

export interface FirmwareOptions {
  /** Name of the firmware image (`<modelName>.elf`): letters, digits, `_`, `-`, `.`. */
  modelName: string;
  /** Kernel .c files of the model, relative to the project folder (e.g. `kernels/eenn_conv2d_s8.c`). */
  kernelSources: string[];
  /** Bytes of each model input in order (what model.c puts in eenn_input_bytes[]). */
  inputBytes: number[];
  /** Bytes of each model output in order (eenn_output_bytes[]). */
  outputBytes: number[];
  /** The model's own sources; `['model.c']` unless given. */
  modelSources?: string[];
  /** Extra include folders, relative to the project. `.`, `runtime` and the kernel folders are always there. */
  includeDirs?: string[];
  /** Optimisation flags the Makefile uses unless `make OPT=...` says otherwise (checkOptimization); `-O2` unless given. */
  optimization?: string;
  /**
   * The model's exits (EENN_NUM_EXITS; 1 unless given). With early exits the firmware is built with EENN_TRACE_EXITS
   * and measures the cost of each exit (main.c).
   */
  exits?: number;
  /**
   * An intermittent build (model.h: EENN_INTERMITTENT): the firmware is main_intermittent.c.hbs, which runs the
   * model continuously or under a schedule of power failures, built with EENN_TRACE_TASKS so that a continuous
   * run measures the instructions at each task's commit.
   */
  intermittent?: { nvm: NvmKind };
  /**
   * A measuring build of a model emitted with `traceSteps` (emit-model.ts): built with EENN_TRACE_STEPS, main.c
   * records each step's cumulative ticks in stats.bin (src/measure-steps.ts). Not with `intermittent`.
   */
  traceSteps?: boolean;
  /**
   * One device of a multi-device build: the firmware is main_node.c.hbs or main_gateway.c.hbs around this side's
   * model, with the link (runtime/eenn_link.c, the target's UART or the host's socket, eenn_link_config.h).
   */
  device?: DeviceFirmware;
}

/** What a device's firmware needs to know of its side of the cut and of the link. */
export interface DeviceFirmware {
  /** The node reads the input and sends the tensor at the cut; the gateway receives it and answers. */
  role: 'node' | 'gateway';
  /** EENN_LINK_MODEL_HASH: the same in both devices' projects (src/devices/frame.ts modelHash). */
  modelHash: number;
  /** The tensor at the cut, for comments: its name in the whole graph. */
  cutTensor: string;
  /** Its bytes: a tensor frame's payload. On the node it is the last output (or, without a model, the input). */
  payloadBytes: number;
  /** The node's early exits (outputs before the tensor at the cut): node exit index `nodeExits` means "sent". 0 on the gateway. */
  nodeExits: number;
  /**
   * The node runs no part of the model (a cut before the first step): it sends each sample of input.bin as read.
   * The project then has no model.c: give `modelSources: []`, no kernels, `inputBytes: [payloadBytes]`, `outputBytes: []`.
   */
  noModel?: boolean;
  /** The link's line rate in bits per second (the UART's baud divider). */
  baud: number;
  /** The receiver's inter-byte timeout the Makefile passes (LINK_TIMEOUT_MS); DEFAULT_LINK_TIMEOUT_MS unless given. */
  timeoutMs?: number;
}

/** The link's inter-byte timeout (eenn_link.h), from the Makefile's LINK_TIMEOUT_MS variable. */
const LINK_TIMEOUT_FLAG = '-DEENN_LINK_TIMEOUT_MS=$(LINK_TIMEOUT_MS)u';

/** The link's runtime: framing, and the transport's hooks for a CMSDK UART or the host's socket. */
const LINK_RUNTIME = ['eenn_link.h', 'eenn_link.c'];
const LINK_UART_RUNTIME = ['eenn_link_uart_cmsdk.c'];
const LINK_HOST_RUNTIME = ['eenn_link_host.c'];
/** The link's facts of one project (hash, payload, UART), rendered from firmware/eenn_link_config.h.hbs. */
const LINK_CONFIG = 'eenn_link_config.h';
/** The CMSDK UART samples each bit 16 times: its baud divider (clock / baud) is at least this (eenn_link_uart_cmsdk.c). */
const UART_MIN_BAUD_DIVIDER = 16;

/** The macro that has model.c report each task's commit to main.c (an intermittent build). */
const TRACE_TASKS_FLAG = '-DEENN_TRACE_TASKS';

/** The macro that has model.c report each early exit's decision to main.c (model.h declares the hook). */
const TRACE_EXITS_FLAG = '-DEENN_TRACE_EXITS';

/** The macro that has model.c report the end of each step to main.c (a model emitted with traceSteps). */
const TRACE_STEPS_FLAG = '-DEENN_TRACE_STEPS';

/** Folder of the firmware runtime inside a generated project. */
export const RUNTIME_DIR = 'runtime';

/** Runtime files every target gets, and those for Cortex-M or for the host. */
const COMMON_RUNTIME = ['eenn_platform.h', 'eenn_exit_codes.h'];
const CORTEX_M_RUNTIME = ['eenn_startup.c', 'eenn_platform_cortexm.c', 'eenn_cortexm.h', 'eenn_isa.h', 'eenn_semihosting.h'];
const HOST_RUNTIME = ['eenn_platform_host.c'];
/**
 * A board's runtime besides CORTEX_M_RUNTIME: the HardFault handler that answers semihosting when no debugger is
 * attached, the chip's start-up (by TargetStartup kind) and the serial console (by TargetConsole kind), with the
 * board's facts in BOARD_CONFIG.
 */
const BOARD_RUNTIME = ['eenn_semihosting_guard.c'];
const STARTUP_RUNTIME: Record<TargetStartup['kind'], string> = { stm32f4: 'eenn_stm32f4.c' };
const CONSOLE_RUNTIME: Record<TargetConsole['kind'], string> = { 'stm32-usart': 'eenn_console_stm32_usart.c' };
const BOARD_CONFIG = 'eenn_board_config.h';
/** The CRC-32 that intermittent records and link frames share. */
const CRC32_RUNTIME = ['eenn_crc32.h', 'eenn_crc32.c'];
/** Runtime files of an intermittent model: its progress record (model.c and model.h use them). */
const INTERMITTENT_RUNTIME = ['eenn_intermittent.h', 'eenn_intermittent.c', ...CRC32_RUNTIME];
const LINKER_SCRIPT = 'eenn_linker.ld';

/** Each tensor's slot in main.c's buffers starts on this boundary. */
const SLOT_ALIGNMENT = 16;

/**
 * The firmware files for `target`, keyed by path relative to the project folder: main.c, Makefile and the
 * runtime/ folder (startup code, linker script, semihosting and platform layer). model.c, model.h and the
 * kernels come from the model code generator; together they build with a plain `make`.
 */
export function renderFirmware(target: Target, options: FirmwareOptions): Map<string, string> {
  checkOptions(options);
  const embedded = target.kind !== 'host';
  const files = new Map<string, string>();

  if (options.intermittent && !embedded)
    throw new EennError({
      code: 'E_TARGET',
      file: target.file,
      message: `${target.name} cannot run an intermittent build: its firmware needs a Cortex-M core to reset`,
      hint: 'pick an emulator target with "nvm" in its target file (eennc targets lists them)',
    });
  const main = options.device
    ? `firmware/main_${options.device.role}.c.hbs`
    : options.intermittent
      ? 'firmware/main_intermittent.c.hbs'
      : 'firmware/main.c.hbs';
  files.set('main.c', renderTemplate(main, mainContext(target, options)));
  if (options.device) files.set(LINK_CONFIG, renderTemplate(`firmware/${LINK_CONFIG}.hbs`, linkConfigContext(target, options, options.device)));
  if (target.startup || target.console) files.set(BOARD_CONFIG, renderTemplate(`firmware/${BOARD_CONFIG}.hbs`, boardConfigContext(target)));

  for (const name of [...COMMON_RUNTIME, ...runtimeFiles(target, options)]) {
    files.set(`${RUNTIME_DIR}/${name}`, readTemplate(`runtime/${name}`));
  }
  if (embedded) files.set(`${RUNTIME_DIR}/${LINKER_SCRIPT}`, linkerScript(target));

  files.set('Makefile', renderTemplate('firmware/Makefile.hbs', makefileContext(target, options)));
  return files;
}

/** The runtime files a project gets besides COMMON_RUNTIME: the platform's, an intermittent build's, the link's. */
function runtimeFiles(target: Target, options: FirmwareOptions): string[] {
  const embedded = target.kind !== 'host';
  const link = options.device ? [...LINK_RUNTIME, ...CRC32_RUNTIME, ...(embedded ? (target.uart ? LINK_UART_RUNTIME : []) : LINK_HOST_RUNTIME)] : [];
  const board =
    target.kind === 'board'
      ? [
          ...BOARD_RUNTIME,
          ...(target.startup ? [STARTUP_RUNTIME[target.startup.kind]] : []),
          ...(target.console ? [CONSOLE_RUNTIME[target.console.kind]] : []),
        ]
      : [];
  return unique([...(embedded ? CORTEX_M_RUNTIME : HOST_RUNTIME), ...board, ...(options.intermittent ? INTERMITTENT_RUNTIME : []), ...link]);
}

/** eenn_board_config.h's fields: the board's console, where it has one. */
function boardConfigContext(target: Target): Record<string, unknown> {
  const console = target.console;
  return {
    targetName: target.name,
    hasConsole: console !== undefined,
    consoleNote: commentText(console?.note ?? `the console's ${console?.kind ?? ''} USART`),
    consoleBaseHex: console ? hex32(console.base) : '',
    consoleClockHz: console?.clockHz ?? 0,
    consoleBaud: console?.baud ?? 0,
  };
}

/** eenn_link_config.h's fields: the hash and payload both devices share, the line rate, the UART and the counter. */
function linkConfigContext(target: Target, options: FirmwareOptions, device: DeviceFirmware): Record<string, unknown> {
  const uart = target.kind !== 'host' ? target.uart : undefined;
  if (uart && target.counter.source !== 'systick')
    throw new EennError({
      code: 'E_TARGET',
      file: target.file,
      message: `${target.name}'s link times out by its tick counter, and its "counter" is "none"`,
      hint: 'give the target a "counter" (SysTick and its clock in Hz), or leave "uart" out and implement eenn_link_recv yourself',
    });
  if (uart && Math.floor(uart.clockHz / device.baud) < UART_MIN_BAUD_DIVIDER)
    throw new EennError({
      code: 'E_USAGE',
      message: `a link at ${device.baud} baud is too fast for ${target.name}'s UART, clocked at ${uart.clockHz} Hz`,
      hint: `give at most ${Math.floor(uart.clockHz / UART_MIN_BAUD_DIVIDER)} baud (the UART's clock / ${UART_MIN_BAUD_DIVIDER})`,
    });
  return {
    role: device.role,
    modelName: options.modelName,
    targetName: target.name,
    modelHashHex: hex32(device.modelHash),
    cutTensor: commentText(device.cutTensor),
    payloadBytes: device.payloadBytes,
    baud: device.baud,
    hasUart: uart !== undefined,
    uartNote: commentText(uart?.note ?? ''),
    uartBaseHex: uart ? hex32(uart.base) : '',
    uartClockHz: uart?.clockHz ?? 0,
    counterHz: target.counter.source === 'systick' ? target.counter.hz : 0,
  };
}

/** "0x0000ABCD": a 32-bit value for C, eight hex digits. */
function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0').toUpperCase()}`;
}

/** The linker script: the target's own, or one generated from its memory map. */
function linkerScript(target: Target): string {
  if (target.linkerScript) {
    // loadTarget checked the script: a small regular file inside the target's folder that names no other file.
    try {
      return readFileSync(target.linkerScript, 'utf8');
    } catch {
      throw new EennError({
        code: 'E_TARGET',
        file: target.file,
        message: `cannot read linkerScript ${target.linkerScript}`,
        hint: 'linkerScript names a file beside the target file, relative to its folder',
      });
    }
  }
  const map = target.memoryMap;
  if (!map)
    throw new EennError({
      code: 'E_TARGET',
      file: target.file,
      message: 'no memoryMap or linkerScript',
      hint: 'give the target file a "memoryMap" (flash and RAM origin and size) or a "linkerScript"; see targets/cortex-m4.json',
    });
  return renderTemplate(`runtime/${LINKER_SCRIPT}.hbs`, {
    targetName: target.name,
    machine: target.emulator?.machine ?? '',
    regions: map.regions.map((region) => ({
      name: region.name,
      originHex: `0x${region.origin.toString(16).padStart(8, '0').toUpperCase()}`,
      length: region.lengthBytes,
      lengthText: formatSize(region.lengthBytes),
      attributes: region.attributes,
      note: commentText(region.note ?? ''),
    })),
    vectorsRegion: map.vectors,
    codeRegion: map.code,
    dataRegion: map.data,
    nvmRegion: target.nvm?.kind === 'memory-mapped' ? target.nvm.region : map.data,
    nvmOwnRegion: target.nvm?.kind === 'memory-mapped',
    stackBytes: target.stackBytes,
  });
}

/** Byte offsets of tensors laid out one after another, each on a SLOT_ALIGNMENT boundary. */
function slots(bytes: number[]): { slots: { bytes: number; offset: number }[]; totalBytes: number } {
  let offset = 0;
  const result = bytes.map((size) => {
    const slot = { bytes: size, offset };
    offset += Math.ceil(size / SLOT_ALIGNMENT) * SLOT_ALIGNMENT;
    return slot;
  });
  return { slots: result, totalBytes: offset };
}

function mainContext(target: Target, options: FirmwareOptions): Record<string, unknown> {
  const inputs = slots(options.inputBytes);
  const outputs = slots(options.outputBytes);
  const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
  const device = options.device;
  const nodeExits = device?.nodeExits ?? 0;
  return {
    hasModel: !device?.noModel,
    nodeExits,
    nodeExitsRange: nodeExits > 0 ? `0 .. ${nodeExits - 1}: an early exit answered here` : 'no early exit on this device',
    payloadBytes: device?.payloadBytes ?? 0,
    cutOutputBytes: options.outputBytes[options.outputBytes.length - 1] ?? 0,
    modelName: options.modelName,
    targetName: target.name,
    targetDescription: commentText(target.description),
    inputs: inputs.slots,
    outputs: outputs.slots,
    inputSlotBytes: inputs.totalBytes,
    outputSlotBytes: outputs.totalBytes,
    sampleInputBytes: sum(options.inputBytes),
    sampleOutputBytes: sum(options.outputBytes),
    inputSizes: describeSizes(options.inputBytes, 'input'),
    outputSizes: describeSizes(options.outputBytes, 'output'),
  };
}

/** "1 input" or "3 inputs: 3 + 40 + 16 bytes", for main.c's header comment. */
function describeSizes(bytes: number[], noun: string): string {
  return bytes.length === 1 ? `1 ${noun}` : `${bytes.length} ${noun}s: ${bytes.join(' + ')} bytes`;
}

function makefileContext(target: Target, options: FirmwareOptions): Record<string, unknown> {
  const embedded = target.kind !== 'host';
  const modelSources = options.modelSources ?? ['model.c'];
  const runtimeSources = runtimeFiles(target, options)
    .filter((name) => name.endsWith('.c'))
    .map((name) => `${RUNTIME_DIR}/${name}`);
  const kernelDirs = options.kernelSources.map((source) => posix.dirname(source)).filter((dir) => dir !== '.');
  const includeDirs = unique(['.', RUNTIME_DIR, ...kernelDirs, ...(options.includeDirs ?? [])]);

  let runCommand: string;
  if (target.kind === 'host') runCommand = './$(IMAGE)';
  else if (target.emulator) runCommand = emulatorCommand(target, '$(IMAGE)').join(' ');
  else runCommand = `@echo "${target.name} has no emulator: flash $(NAME).hex and run it with a debug probe that implements semihosting"`;

  return {
    modelName: options.modelName,
    targetName: target.name,
    targetDescription: makeText(target.description),
    embedded,
    cc: target.compiler.cc,
    size: target.compiler.size,
    objcopy: target.compiler.objcopy ?? '',
    optimization: options.optimization ?? '-O2',
    cpuFlags: target.compiler.flags.join(' '),
    cflags: [
      ...((options.exits ?? 1) > 1 && !options.device ? [TRACE_EXITS_FLAG] : []),
      ...(options.intermittent ? [TRACE_TASKS_FLAG] : []),
      ...(options.traceSteps ? [TRACE_STEPS_FLAG] : []),
      ...(options.device ? [LINK_TIMEOUT_FLAG] : []),
    ],
    deviceRole: options.device?.role ?? '',
    linkTimeoutMs: options.device?.timeoutMs ?? DEFAULT_LINK_TIMEOUT_MS,
    ldflags: target.compiler.linkFlags,
    includeDirs,
    sources: unique(['main.c', ...modelSources, ...options.kernelSources, ...runtimeSources]),
    linkerScript: `${RUNTIME_DIR}/${LINKER_SCRIPT}`,
    hasEmulator: target.emulator !== undefined,
    runCommand,
    // make expands $(NAME) inside the quotes flashCommand may add: the shell sees the image's name.
    flashCommand: flashCommand(target, { bin: '$(NAME).bin', hex: '$(NAME).hex' }) ?? '',
    flashTool: target.flash?.tool ?? '',
  };
}

/** Bytes of the test firmware's input and output buffers in main.c (each tensor in its aligned slot), for the fit check. */
export function firmwareBufferBytes(inputBytes: number[], outputBytes: number[]): number {
  return slots(inputBytes).totalBytes + slots(outputBytes).totalBytes;
}

/** Text for a Makefile comment: one line (the target's text fields are), `$` doubled so that make never expands it. */
function makeText(text: string): string {
  return oneLine(text).replace(/\$/g, '$$$$');
}

/** Text for a C or linker-script block comment: one line, and neither `/*` nor `*\/` can open or close a comment. */
function commentText(text: string): string {
  return oneLine(text).replace(/\/\*/g, '/ *').replace(/\*\//g, '* /');
}

/** Control characters (never in a valid target, which loadTarget checks) become spaces. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
}

function checkOptions(options: FirmwareOptions): void {
  const usage = (message: string): never => {
    throw new EennError({ code: 'E_USAGE', message: `firmware: ${message}` });
  };
  if (options.optimization !== undefined) checkOptimization(options.optimization);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(options.modelName)) {
    usage(`model name "${options.modelName}" must be made of letters, digits, _, - and .`);
  }
  if (options.inputBytes.length === 0 || (options.outputBytes.length === 0 && !options.device?.noModel))
    usage('the model needs at least one input and one output');
  if (options.device) checkDevice(options, options.device, usage);
  if (options.traceSteps && options.intermittent) usage('an intermittent build traces its tasks, not its steps');
  if (options.exits !== undefined && (!Number.isSafeInteger(options.exits) || options.exits < 1))
    usage(`${options.exits} exits: a model has one or more`);
  for (const bytes of [...options.inputBytes, ...options.outputBytes]) {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) usage(`tensor size ${bytes} is not a positive number of bytes`);
  }
  for (const source of [...options.kernelSources, ...(options.modelSources ?? [])]) {
    if (!source.endsWith('.c') || source.startsWith('/') || source.split('/').includes('..') || /\s/.test(source)) {
      usage(`source "${source}" must be a .c file inside the project, without spaces`);
    }
  }
}

/** A device's side of the cut must agree with the model's inputs and outputs it is generated around. */
function checkDevice(options: FirmwareOptions, device: DeviceFirmware, usage: (message: string) => never): void {
  if (options.intermittent || options.traceSteps) usage(`the ${device.role} of a multi-device build is neither intermittent nor traced`);
  if (!Number.isSafeInteger(device.modelHash) || device.modelHash < 0 || device.modelHash > MAX_UINT32)
    usage(`model hash ${device.modelHash} is not a 32-bit unsigned integer`);
  if (!Number.isSafeInteger(device.payloadBytes) || device.payloadBytes <= 0)
    usage(`payload of ${device.payloadBytes} bytes: the tensor at the cut has some`);
  if (!Number.isSafeInteger(device.baud) || device.baud <= 0) usage(`${device.baud} baud is not a line rate`);
  if (device.timeoutMs !== undefined && (!Number.isSafeInteger(device.timeoutMs) || device.timeoutMs <= 0))
    usage(`link timeout ${device.timeoutMs} ms: give a positive number of milliseconds`);
  const only = (bytes: number[]): boolean => bytes.length === 1 && bytes[0] === device.payloadBytes;
  if (device.role === 'gateway') {
    if (device.noModel || device.nodeExits !== 0) usage('the gateway has a model and no node exits');
    if (!only(options.inputBytes)) usage(`the gateway's model takes one input, the ${device.payloadBytes} bytes at the cut`);
    return;
  }
  if (!Number.isSafeInteger(device.nodeExits) || device.nodeExits < 0) usage(`${device.nodeExits} node exits`);
  if (device.noModel) {
    if (
      device.nodeExits !== 0 ||
      options.outputBytes.length !== 0 ||
      (options.modelSources ?? ['model.c']).length !== 0 ||
      options.kernelSources.length !== 0
    )
      usage('a node without a model has no outputs, exits, model sources or kernels');
    if (!only(options.inputBytes)) usage(`a node without a model sends its one input as read: ${device.payloadBytes} bytes`);
    return;
  }
  if (options.outputBytes.length !== device.nodeExits + 1 || options.outputBytes[device.nodeExits] !== device.payloadBytes)
    usage(`the node's model has its ${device.nodeExits} early exits' outputs, then the ${device.payloadBytes} bytes at the cut`);
}

/** The largest 32-bit unsigned integer. */
const MAX_UINT32 = 0xffffffff;

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

// ---------------------------------------------------------------- templates

const templatesDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates', 'c');
const handlebars = Handlebars.create();
const compiled = new Map<string, Handlebars.TemplateDelegate>();

function readTemplate(relativePath: string): string {
  return readFileSync(resolve(templatesDir, relativePath), 'utf8');
}

/** Render templates/c/<relativePath>; C and make text, so nothing is HTML-escaped, and a missing field throws. */
function renderTemplate(relativePath: string, context: Record<string, unknown>): string {
  let template = compiled.get(relativePath);
  if (!template) {
    template = handlebars.compile(readTemplate(relativePath), { noEscape: true, strict: true });
    compiled.set(relativePath, template);
  }
  return template(context);
}

/**
 * What `make` and `make run` write into a generated project (the files its `clean` rule removes): `build/` (objects)
 * and the images, whatever the target. A later build into the same folder may replace them.
 */
export function makefileOutputs(modelName: string): string[] {
  return ['build/', modelName, ...['.elf', '.bin', '.hex', '.map'].map((ext) => modelName + ext), 'output.bin', 'stats.bin'];
}
