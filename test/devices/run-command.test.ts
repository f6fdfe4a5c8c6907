// The emulator command of a device in a two-device run: its link UART's -serial is a socket chardev to the relay,
// the serial ports before it are "null"; a plain run's command is unchanged.

import { describe, expect, it } from 'vitest';
import { emulatorCommand, loadTarget } from '../../src/target/target.js';

describe('emulatorCommand with a link', () => {
  const m7 = loadTarget('cortex-m7');

  it('joins serial port N to the relay and leaves the ports before it null', () => {
    const command = emulatorCommand(m7, 'node.elf', { serial: 2, port: 40123 });
    const args = command.join(' ');
    expect(args).toContain('-chardev socket,id=eennlink,host=127.0.0.1,port=40123,nodelay=on');
    expect(args).toContain('-serial null -serial null -serial chardev:eennlink');
    expect(args).not.toContain('-serial none');
    expect(command.slice(-2)).toEqual(['-kernel', 'node.elf']);
  });

  it('joins serial port 0 alone', () => {
    const args = emulatorCommand(m7, 'node.elf', { serial: 0, port: 1 }).join(' ');
    expect(args.match(/-serial/g)).toHaveLength(1);
    expect(args).toContain('-serial chardev:eennlink');
  });

  it('keeps a plain run without serial ports', () => {
    const args = emulatorCommand(m7, 'plain.elf').join(' ');
    expect(args).toContain('-serial none');
    expect(args).not.toContain('-chardev');
  });
});
