// Reads what one inference executed from QEMU's debug log and the firmware's disassembly, for the cycle estimates
// of src/target/cycle-model.ts (the layer and model benchmarks). QEMU 7.2 has no TCG plugins, so the log is the
// one `-d in_asm,exec,nochain` writes: each translated block once (its guest addresses, "IN:"), then one "Trace"
// line per execution of a block (nochain: blocks never jump to each other without passing through the logger).
// The instructions themselves come from `objdump -d` of the ELF: QEMU's own disassembler does not know MVE.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import type { Target } from './target.js';

/** QEMU's options that write the log this module reads to `logPath`. */
export function traceArguments(logPath: string): string[] {
  return ['-d', 'in_asm,exec,nochain', '-D', logPath];
}

/** The executed translated blocks, in order: block k covers the guest addresses [starts[k], ends[k]). */
export interface ExecutedBlocks {
  starts: number[];
  ends: number[];
  /** Where execution went after the last block (the return address that closed the window), if known. */
  after?: number;
}

/** Where to start and stop counting: the entry of a function, and the addresses its calls return to. */
export interface TraceWindow {
  entry: number;
  returns: ReadonlySet<number>;
}

// "0x00000918:  f04f 22e0  mov.w ..." (in_asm: address, the instruction's halfwords, its text).
const IN_ASM_LINE = /^0x([0-9a-f]+):\s+((?:[0-9a-f]{4} ?)+)/;
// "Trace 0: 0x7fb3a4000100 [00800408/00000918/00000110/ff020200] Reset_Handler": host block, then the guest pc.
const EXEC_LINE = /^Trace \d+: (0x[0-9a-f]+) \[[0-9a-f]+\/([0-9a-f]+)\//;
// An I/O access in the middle of a block: the block ran only up to this address, a new block runs from it.
const REWIND_LINE = /^cpu_io_recompile: rewound execution of TB to ([0-9a-f]+)/;

/**
 * The blocks executed inside `window` (from the first block at its entry to the first block at one of its return
 * addresses), or every block when no window is given. Lines are the log's, in order.
 */
export function readExecutedBlocks(lines: Iterable<string>, window?: TraceWindow): ExecutedBlocks {
  const reader = new BlockReader(window);
  for (const line of lines) reader.line(line);
  return reader.result();
}

/** readExecutedBlocks over a log file, streamed (the log of a large model is tens of megabytes). */
export async function readExecutedBlocksFile(logPath: string, window?: TraceWindow): Promise<ExecutedBlocks> {
  const reader = new BlockReader(window);
  const lines = createInterface({ input: createReadStream(logPath), crlfDelay: Infinity });
  for await (const line of lines) reader.line(line);
  return reader.result();
}

class BlockReader {
  /** Each translation's guest end address, by the host address of its code (a retranslation gets a new one). */
  private readonly endByHost = new Map<string, number>();
  /** The block being read from an "IN:" section: its end so far; null outside such a section. */
  private translating: number | null = null;
  private pendingEnd: number | null = null;
  private inside: boolean;
  private done = false;
  private after: number | undefined;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  constructor(private readonly window: TraceWindow | undefined) {
    this.inside = window === undefined;
  }

  line(line: string): void {
    if (this.done) return;
    if (line.startsWith('IN:')) {
      this.translating = 0;
      return;
    }
    const asm = this.translating !== null ? IN_ASM_LINE.exec(line) : null;
    if (asm) {
      const halfwords = asm[2]!.trim().split(' ').length;
      this.translating = Math.max(this.translating!, parseInt(asm[1]!, 16) + 2 * halfwords);
      return;
    }
    if (this.translating !== null && line.trim() === '') {
      this.pendingEnd = this.translating;
      this.translating = null;
      return;
    }
    const exec = EXEC_LINE.exec(line);
    if (exec) {
      // The first execution after a translation is that translation's (QEMU translates a block, then runs it).
      if (this.pendingEnd !== null) {
        this.endByHost.set(exec[1]!, this.pendingEnd);
        this.pendingEnd = null;
      }
      const pc = parseInt(exec[2]!, 16);
      if (this.window) {
        if (!this.inside && pc === this.window.entry) this.inside = true;
        else if (this.inside && this.window.returns.has(pc)) {
          this.done = true;
          this.after = pc;
          return;
        }
      }
      if (!this.inside) return;
      const end = this.endByHost.get(exec[1]!);
      if (end === undefined) throw new Error(`QEMU log: block at 0x${pc.toString(16)} ran before its translation was logged`);
      this.starts.push(pc);
      this.ends.push(end);
      return;
    }
    const rewind = REWIND_LINE.exec(line);
    if (rewind && this.inside && this.ends.length > 0) this.ends[this.ends.length - 1] = parseInt(rewind[1]!, 16);
  }

  result(): ExecutedBlocks {
    return { starts: this.starts, ends: this.ends, ...(this.after !== undefined ? { after: this.after } : {}) };
  }
}

/** One instruction of the disassembly. */
export interface Instruction {
  address: number;
  /** Bytes: 2 or 4. */
  size: number;
  /** Lower case, with its suffixes (`ldr.w`, `vmladava.s8`, `bne.n`). */
  mnemonic: string;
  operands: string;
  /** The address a direct branch goes to (objdump's `<symbol+offset>` target), if any. */
  target?: number;
}

/** A disassembled image: its instructions by address, and its functions' addresses by name. */
export interface Disassembly {
  instructions: Map<number, Instruction>;
  symbols: Map<string, number>;
}

// " 1000278:\te92d 4ff0 \tstmdb\tsp!, {r4, ...}" and "00000268 <eenn_run>:"
const OBJDUMP_INSTRUCTION = /^\s*([0-9a-f]+):\t([0-9a-f]{4}(?: [0-9a-f]{4})?)\s*\t(\S+)(?:\t(.*))?$/;
const OBJDUMP_SYMBOL = /^([0-9a-f]+) <([^>]+)>:$/;

/** Parse `objdump -d` text. */
export function parseDisassembly(text: string): Disassembly {
  const instructions = new Map<number, Instruction>();
  const symbols = new Map<string, number>();
  for (const line of text.split('\n')) {
    const symbol = OBJDUMP_SYMBOL.exec(line);
    if (symbol) {
      symbols.set(symbol[2]!, parseInt(symbol[1]!, 16));
      continue;
    }
    const m = OBJDUMP_INSTRUCTION.exec(line);
    if (!m) continue;
    const address = parseInt(m[1]!, 16);
    const operands = (m[4] ?? '').replace(/\s*@.*$/, '').trim();
    const branchTarget = /^([0-9a-f]+) <[^>]+>$/.exec(operands.split(', ').pop() ?? '');
    instructions.set(address, {
      address,
      size: m[2]!.includes(' ') ? 4 : 2,
      mnemonic: m[3]!.toLowerCase(),
      operands,
      ...(branchTarget ? { target: parseInt(branchTarget[1]!, 16) } : {}),
    });
  }
  return { instructions, symbols };
}

/** Disassemble `elf` with the target's binutils (`objdump` beside its `size`), for its architecture (MVE included). */
export async function disassemble(elf: string, target: Target): Promise<Disassembly> {
  const objdump = target.compiler.size.replace(/size$/, 'objdump');
  // Without -m, objdump 2.40 decodes Armv8.1-M's MVE and low-overhead-loop instructions as coprocessor ones.
  const arch = target.features.mve ? ['-m', target.arch] : [];
  const { stdout } = await execa(objdump, ['-d', ...arch, elf], { maxBuffer: 512 * 1024 * 1024 });
  return parseDisassembly(stdout);
}

/** The window of one call of `name`: its entry and the return addresses of every direct call to it. */
export function callWindow(disassembly: Disassembly, name: string): TraceWindow {
  const entry = disassembly.symbols.get(name);
  if (entry === undefined) throw new Error(`the image has no function ${name}`);
  const returns = new Set<number>();
  for (const instruction of disassembly.instructions.values()) {
    if (/^blx?(\.w)?$/.test(instruction.mnemonic) && instruction.target === entry) returns.add(instruction.address + instruction.size);
  }
  if (returns.size === 0) throw new Error(`the image never calls ${name} directly`);
  return { entry, returns };
}

/** One executed instruction, and for the last one of a block whether execution went elsewhere than the next address. */
export interface ExecutedInstruction {
  instruction: Instruction;
  /** Execution continued at another address than the next one (a taken branch, a return, an exception). */
  redirected: boolean;
}

/** Every instruction the blocks executed, in order. An address the disassembly lacks is an error (a stale image). */
export function* executedInstructions(blocks: ExecutedBlocks, disassembly: Disassembly): Generator<ExecutedInstruction> {
  const { starts, ends } = blocks;
  for (let k = 0; k < starts.length; k++) {
    let address = starts[k]!;
    const end = ends[k]!;
    const next = k + 1 < starts.length ? starts[k + 1]! : (blocks.after ?? end);
    while (address < end) {
      const instruction = disassembly.instructions.get(address);
      if (!instruction) throw new Error(`QEMU executed 0x${address.toString(16)}, which the disassembly does not hold`);
      address += instruction.size;
      yield { instruction, redirected: address >= end && next !== address };
    }
  }
}
