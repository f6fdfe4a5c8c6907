// The multi-device flags as the command line gives them (--devices, --link, --objective, --cut), parsed and
// checked against each other and the targets: the DeviceOptions the rest of the devices stage works from.

import { refuseOutsideMode } from '../util/mode-flags.js';
import { EennError } from '../ir/diagnostics.js';
import { loadTarget, type Target } from '../target/target.js';
import type { DeviceOptions, DeviceSpec, LinkSpec, Objective } from './types.js';

/** The multi-device flags as commander leaves them. */
export interface RawDeviceOptions {
  devices?: string;
  link?: string;
  objective?: string;
  cut?: string;
  /** test --link-faults: checked here only for being given without --devices. */
  linkFaults?: number;
}

/** The form of --devices, for messages. */
const DEVICES_FORM = '--devices node=cortex-m0plus,gateway=cortex-m7';

/** The form of --link, for messages. */
const LINK_FORM = '--link uart:BAUD[,latency-us=N][,nj-per-byte=N] (e.g. --link uart:115200)';

/** The objectives --objective takes; the first is the default. */
const OBJECTIVES: readonly Objective[] = ['latency', 'energy'];

/** A device name: a C identifier (it names the device's project folder and its C symbols). */
const DEVICE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The devices --devices takes today: the node that reads the input, then the gateway. */
const DEVICE_COUNT = 2;

/** 8N1 framing: a start bit, 8 data bits and a stop bit on the line for every byte. */
export const UART_BITS_PER_BYTE = 10;

/**
 * The fixed cost of one message besides its bytes, when --link does not give latency-us: the receiver woken from
 * its idle loop and the sender's turnaround, about a hundred microseconds on a microcontroller UART.
 */
export const DEFAULT_MESSAGE_LATENCY_US = 100;

/**
 * The power of the link while a byte is on the line, sender and receiver together, when --link does not give
 * nj-per-byte: a microcontroller UART with its pins and a short board-to-board line draws a few milliwatts each end.
 */
export const DEFAULT_UART_POWER_MW = 10;

/** Energy of one byte on a UART line of `baud`: its power times the time a byte takes (10 bits at 8N1). */
export function uartNanojoulesPerByte(baud: number, powerMw = DEFAULT_UART_POWER_MW): number {
  const byteSeconds = UART_BITS_PER_BYTE / baud;
  return powerMw * 1e-3 * byteSeconds * 1e9;
}

/**
 * The multi-device options, or undefined when --devices is not given (and no flag that needs it is). E_USAGE for
 * --link, --objective or --cut without --devices, a --devices list that is not two `name=target` pairs with unique
 * C-identifier names, a --link that does not parse, an unknown objective; E_TARGET for an unknown target
 * (loadTarget's error), a target that is not emulated (host, board), or one without the clock (latency) or energy
 * figures the objective needs.
 */
export function resolveDeviceOptions(raw: RawDeviceOptions): DeviceOptions | undefined {
  const given = (value: string | undefined) => value !== undefined;
  if (!given(raw.devices)) {
    refuseOutsideMode(
      [
        ['--link', raw.link],
        ['--objective', raw.objective],
        ['--cut', raw.cut],
        ['--link-faults', raw.linkFaults],
      ],
      { builds: 'multi-device builds', flag: '--devices', example: `${DEVICES_FORM} --link uart:115200` },
    );
    return undefined;
  }
  const devices = parseDevices(raw.devices!);
  if (raw.link === undefined) {
    throw new EennError({
      code: 'E_USAGE',
      message: '--devices needs the link between the devices: --link',
      hint: `add ${LINK_FORM}`,
    });
  }
  const link = parseLink(raw.link);
  const objective = parseObjective(raw.objective);
  checkEmulated(devices);
  checkFigures(devices, objective);
  if (raw.cut !== undefined && raw.cut.trim() === '') {
    throw new EennError({
      code: 'E_USAGE',
      message: '--cut is empty',
      hint: 'give a cut position (a number), the name of the tensor that crosses, or the node after which to cut; leave --cut out to let the cost model choose',
    });
  }
  return { devices, link, objective, ...(raw.cut !== undefined ? { cut: raw.cut.trim() } : {}) };
}

/** `node=cortex-m0plus,gateway=cortex-m7` as devices in order, each target loaded. */
function parseDevices(text: string): DeviceSpec[] {
  const items = text.split(',').map((item) => item.trim());
  const specs = items.map((item) => {
    const eq = item.indexOf('=');
    const name = eq < 0 ? '' : item.slice(0, eq).trim();
    const target = eq < 0 ? '' : item.slice(eq + 1).trim();
    if (eq < 0 || name === '' || target === '') {
      throw new EennError({
        code: 'E_USAGE',
        message: `--devices ${text}: "${item}" is not a device given as name=target`,
        hint: `give each device as name=target, the node first: ${DEVICES_FORM}`,
      });
    }
    if (!DEVICE_NAME.test(name)) {
      throw new EennError({
        code: 'E_USAGE',
        message: `--devices ${text}: device name "${name}" is not a C identifier`,
        hint: 'name each device with letters, digits and underscores, not starting with a digit (it names its C project): e.g. node, gateway',
      });
    }
    return { name, targetText: target };
  });
  const seen = new Set<string>();
  for (const { name } of specs) {
    if (seen.has(name)) {
      throw new EennError({
        code: 'E_USAGE',
        message: `--devices ${text}: device name "${name}" given twice`,
        hint: `give each device a name of its own: ${DEVICES_FORM}`,
      });
    }
    seen.add(name);
  }
  if (specs.length !== DEVICE_COUNT) {
    throw new EennError({
      code: 'E_USAGE',
      message: `--devices ${text} names ${specs.length} device${specs.length === 1 ? '' : 's'}`,
      hint: `--devices takes two devices: the node that reads the input, then the gateway (${DEVICES_FORM})`,
    });
  }
  return specs.map(({ name, targetText }): DeviceSpec => ({ name, target: loadTarget(targetText) }));
}

/** Options of a --link spec after the rate: their names and the LinkSpec field each sets. */
const LINK_OPTIONS = { 'latency-us': 'messageLatencyUs', 'nj-per-byte': 'nanojoulesPerByte' } as const;

/** A number that is not negative, as a link option's value. */
const NON_NEGATIVE = /^(\d+(\.\d*)?|\.\d+)$/;

/** `uart:115200[,latency-us=N][,nj-per-byte=N]` as a LinkSpec with the defaults filled in. */
export function parseLink(text: string): LinkSpec {
  const bad = (why: string): EennError =>
    new EennError({ code: 'E_USAGE', message: `--link ${text}: ${why}`, hint: `give the link as ${LINK_FORM}` });
  const [head = '', ...rest] = text.split(',').map((part) => part.trim());
  const match = /^uart:(\d+)$/.exec(head);
  if (!match) throw bad(head.startsWith('uart:') ? `"${head.slice('uart:'.length)}" is not a baud rate` : 'the only link kind is uart:BAUD');
  const baud = Number(match[1]);
  if (!Number.isSafeInteger(baud) || baud <= 0) throw bad(`"${match[1]}" is not a positive baud rate`);
  const link: LinkSpec = {
    kind: 'uart',
    text,
    baud,
    bitsPerByte: UART_BITS_PER_BYTE,
    messageLatencyUs: DEFAULT_MESSAGE_LATENCY_US,
    nanojoulesPerByte: uartNanojoulesPerByte(baud),
  };
  for (const option of rest) {
    const eq = option.indexOf('=');
    const key = eq < 0 ? option : option.slice(0, eq);
    const valueText = eq < 0 ? '' : option.slice(eq + 1).trim();
    if (!Object.hasOwn(LINK_OPTIONS, key)) throw bad(`unknown option "${key}" (the options are ${Object.keys(LINK_OPTIONS).join(', ')})`);
    if (!NON_NEGATIVE.test(valueText)) throw bad(`${key} takes a number that is not negative, e.g. ${key}=500`);
    link[LINK_OPTIONS[key as keyof typeof LINK_OPTIONS]] = Number(valueText);
  }
  return link;
}

/** --objective as an Objective; 'latency' when not given. */
function parseObjective(text: string | undefined): Objective {
  if (text === undefined) return OBJECTIVES[0]!;
  const objective = OBJECTIVES.find((o) => o === text.trim());
  if (!objective) {
    throw new EennError({
      code: 'E_USAGE',
      message: `--objective ${text} is not one the cost model knows`,
      hint: `give --objective ${OBJECTIVES.join(' or --objective ')} (default ${OBJECTIVES[0]})`,
    });
  }
  return objective;
}

/**
 * E_TARGET when a device's target is not emulated (the host, a board): the cost model works from each step's
 * instructions counted in QEMU on each device's target, and the two devices are run joined by QEMU's serial line.
 */
function checkEmulated(devices: DeviceSpec[]): void {
  const native = devices.find((d) => d.target.kind !== 'emulator');
  if (!native) return;
  const t = native.target;
  const what = t.kind === 'host' ? 'runs natively on this computer' : 'is a board (flashed and run by you)';
  throw new EennError({
    code: 'E_TARGET',
    message: `--devices: device ${native.name}'s target ${t.name} ${what}; a multi-device build needs emulated targets, since it measures each step's instructions on both devices in QEMU to choose the cut and runs them joined by an emulated serial line`,
    hint: `give each device an emulated target (\`eennc targets\` lists them), e.g. ${DEVICES_FORM}`,
  });
}

/** E_TARGET when a device's target lacks the figure the objective needs: the clock (latency) or the energy (energy). */
function checkFigures(devices: DeviceSpec[], objective: Objective): void {
  const missing = (t: Target) => (objective === 'latency' ? t.clock === undefined : t.energy === undefined);
  const lacking = devices.find((d) => missing(d.target));
  if (!lacking) return;
  const t = lacking.target;
  throw new EennError({
    code: 'E_TARGET',
    file: t.file,
    message:
      objective === 'latency'
        ? `--objective latency needs the clock of device ${lacking.name}'s target ${t.name}, and its target file does not give it`
        : `--objective energy needs the energy of one instruction on device ${lacking.name}'s target ${t.name}, and its target file does not give it`,
    hint:
      objective === 'latency'
        ? `add a "clock" block to the target file, e.g. "clock": { "hz": 48000000 }, or give --objective energy`
        : `add an "energy" block to the target file, e.g. "energy": { "nanojoulesPerInstruction": 0.2 }, or give --objective latency`,
  });
}
