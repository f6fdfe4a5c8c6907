// The command that writes a board's firmware image into its flash, as `eennc build` prints it for a person to run
// (eennc never runs it: the probe, its driver and the board are the user's). Read from the target's "flash" field.

import type { Target } from './target.js';

/** The images `make` writes beside `<name>.elf`: the raw bytes from the start of flash, and Intel HEX. */
export interface FlashImages {
  /** `<name>.bin`: what st-flash writes at the flash's address. */
  bin: string;
  /** `<name>.hex`: addresses included, what OpenOCD programs. */
  hex: string;
}

/** The .bin and .hex that `make` writes beside the image `<name>.elf`. */
export function flashImagesOf(elfPath: string): FlashImages {
  const base = elfPath.replace(/\.elf$/, '');
  return { bin: `${base}.bin`, hex: `${base}.hex` };
}

/** Characters a POSIX shell takes literally in a word; anything else in a path is quoted. */
const SHELL_PLAIN = /^[A-Za-z0-9_./:=+-]+$/;

/**
 * The shell command that flashes `images` into `target`'s chip, or undefined where its target file says no way
 * ("flash" absent). st-flash: `st-flash --reset write X.bin 0x08000000`; OpenOCD: `openocd -f interface/I.cfg
 * [-c "transport select T"] -f target/T.cfg -c "program X.hex verify reset exit"`.
 */
export function flashCommand(target: Target, images: FlashImages): string | undefined {
  const flash = target.flash;
  if (!flash) return undefined;
  if (flash.tool === 'st-flash') return ['st-flash', '--reset', 'write', shellWord(images.bin), hexAddress(flash.address)].join(' ');
  const transport = flash.transport ? ['-c', shellWord(`transport select ${flash.transport}`)] : [];
  return [
    'openocd',
    '-f',
    `interface/${flash.interface}.cfg`,
    ...transport,
    '-f',
    `target/${flash.target}.cfg`,
    '-c',
    // OpenOCD's Tcl reads the path inside braces, so spaces in it survive; the shell gets the whole script quoted.
    shellWord(`program {${images.hex}} verify reset exit`),
  ].join(' ');
}

/** `0x08000000`: an address as st-flash takes it. */
function hexAddress(address: number): string {
  return `0x${address.toString(16).padStart(8, '0')}`;
}

/** `word` as a shell reads it back: unchanged when plain, else in single quotes (a quote inside closed and escaped). */
export function shellWord(word: string): string {
  return SHELL_PLAIN.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
