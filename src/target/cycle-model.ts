// Cycle estimates for Cortex-M4 and Cortex-M55: a per-instruction-class cost model applied to the instructions one
// inference executed (src/target/qemu-trace.ts reads them from QEMU's log). QEMU counts instructions, not cycles;
// the layer and model benchmarks print this estimate beside the instruction counts.
//
// The costs are those of Arm's Technical Reference Manuals (Cortex-M4 TRM, "Instruction set summary"; Cortex-M55
// TRM and Software Optimization Guide, "MVE beats"), under these assumptions:
//   - zero-wait-state memory for code and data (TCM or SRAM at the core's clock), no caches and so no cache
//     misses, no bus contention (no DMA), no interrupts during the inference;
//   - a taken branch refills the pipeline in P = 2 cycles (the TRMs give 1 to 3, by the target's alignment and
//     width); a branch that is not taken costs 1 cycle;
//   - a division takes 7 cycles (the middle of the TRM's 2 to 12, which depends on the operands' values);
//   - an instruction an IT or VPT block skips costs as if it ran (the TRM: about 1 cycle); IT folding is not
//     modelled (an IT costs 1 cycle);
//   - no stall for a register that a load or a multiply has not yet written (the kernels schedule for it), beyond
//     the Cortex-M4's address dependency below.
// Cortex-M4: data processing, multiplies and multiply-accumulates (MUL, SMLAD, SMLAL) 1 cycle; LDR 2 cycles, 1
// when it follows another single load (address and data phases pipeline); STR 1 (the write buffer takes the data
// while the next instruction runs); a load or store whose address register the instruction before it wrote, 1
// more (no forwarding path to the address generation); LDRD/STRD 1 + 2; LDM/STM, PUSH/POP 1 + N registers (+ P
// when it loads the pc); floating point 1 (VMLA/VFMA 3, VDIV/VSQRT 14).
// Cortex-M55 (dual-beat MVE, 64-bit memory interface): scalar data processing and multiplies 1 cycle; LDR/STR 1;
// LDRD/STRD 2, LDM/STM 1 + N/2; an MVE instruction is 4 beats, 2 per cycle: 2 cycles, 1 when it follows an MVE
// instruction of another unit (load/store, multiply, other vector arithmetic) whose beats it overlaps; VCTP/VPST
// 1 cycle; a low-overhead loop's LE/LETP costs nothing while the loop repeats (the loop is cached after its first
// iteration; the beats of the instructions around it overlap as if it were not there), 1 + P on its first branch
// back and 1 when the loop ends. Scalar instructions between MVE instructions are not overlapped with them.

import type { Target } from './target.js';
import type { ExecutedInstruction, Instruction } from './qemu-trace.js';

/** The classes instructions are costed and counted by. */
export type InstructionClass =
  | 'alu'
  | 'multiply'
  | 'divide'
  | 'load'
  | 'store'
  | 'load-double'
  | 'store-double'
  | 'load-multiple'
  | 'store-multiple'
  | 'branch'
  | 'it'
  | 'loop'
  | 'float'
  | 'float-multiply-accumulate'
  | 'float-divide'
  | 'barrier'
  | 'system'
  | 'vector-memory'
  | 'vector-multiply'
  | 'vector-arithmetic'
  | 'vector-predicate';

/** What the estimate assumes, in one sentence for the readers of the benchmarks' tables. */
export const CYCLE_ESTIMATE_NOTE =
  'the instructions one inference executes (QEMU trace), each costed by its class with the cycle timings of ' +
  "Arm's Technical Reference Manuals (src/target/cycle-model.ts), assuming zero-wait-state memory, no cache " +
  'misses and no interrupts; a taken branch costs 1 + 2 cycles, a division 7.';

/** Cycles of one taken branch's pipeline refill (the TRMs' P, 1 to 3). */
export const BRANCH_REFILL_CYCLES = 2;
/** Cycles of one integer division (the TRM's 2 to 12, by the operands). */
export const DIVIDE_CYCLES = 7;
/** Cycles of VDIV.F32 and VSQRT.F32. */
const FLOAT_DIVIDE_CYCLES = 14;
/** Cycles of a barrier (DSB, DMB, ISB: 1 + B, B at least a pipeline refill for ISB). */
const BARRIER_CYCLES = 1 + BRANCH_REFILL_CYCLES;

const MULTIPLY = /^(mul|mla|mls|smul|smla|smls|smmul|smmla|smmls|smuad|smusd|smlad|smlsd|smlal|umull|umlal|umaal|smull|usad8|usada8)/;
const SCALAR_LOAD = /^ldr(b|h|sb|sh|ex|exb|exh|t|bt|ht|sbt|sht)?(\.[nw])?$/;
const SCALAR_STORE = /^str(b|h|ex|exb|exh|t|bt|ht)?(\.[nw])?$/;
const BRANCH = /^(b|bl|blx|bx|cbz|cbnz|tbb|tbh)(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)?(\.[nw])?$/;
const LOOP = /^(dls|dlstp|wls|wlstp|le|letp|lctp)(\.\d+)?$/;
// A predicated MVE instruction carries the VPT block's t or e: vldrbt.u8.
const VECTOR_MEMORY = /^v(ldr|str|ld2|ld4|st2|st4)[bhwd]?\d*[te]?(\.\w+)*$/;
// The condition an IT block gives an instruction: ldrbne, addge.w.
const CONDITION_SUFFIX = /(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)(\.[nw])?$/;
const VECTOR_MULTIPLY = /^v(ml|rml|mul|qdmul|qrdmul|qdml|qrdml|fma|fms)/;
const VECTOR_PREDICATE = /^(vpst|vpt|vpnot|vctp|vpsel)/;

/** The class of one instruction (objdump's lower-case mnemonic and operands). */
export function classify(mnemonic: string, operands: string): InstructionClass {
  const kind = classifyMnemonic(mnemonic, operands);
  if (kind !== 'alu') return kind;
  // Inside an IT block objdump appends the condition (ldrbne): the class is that of the plain instruction.
  const plain = mnemonic.replace(CONDITION_SUFFIX, '$2');
  return plain === mnemonic ? kind : classifyMnemonic(plain, operands);
}

function classifyMnemonic(m: string, operands: string): InstructionClass {
  if (LOOP.test(m)) return 'loop';
  if (/^it[te]*$/.test(m)) return 'it';
  if (BRANCH.test(m)) return 'branch';
  if (m.startsWith('v')) {
    if (VECTOR_PREDICATE.test(m)) return 'vector-predicate';
    if (/^v(push|pop)/.test(m)) return m.startsWith('vpush') ? 'store-multiple' : 'load-multiple';
    if (/^v(ldm|stm)/.test(m)) return m.startsWith('vldm') ? 'load-multiple' : 'store-multiple';
    // MVE works on q registers; the scalar floating-point unit on s and d registers.
    if (/\bq\d/.test(operands)) {
      if (VECTOR_MEMORY.test(m)) return 'vector-memory';
      if (VECTOR_MULTIPLY.test(m)) return 'vector-multiply';
      return 'vector-arithmetic';
    }
    if (/^vldr/.test(m)) return 'load';
    if (/^vstr/.test(m)) return 'store';
    if (/^v(div|sqrt)/.test(m)) return 'float-divide';
    if (/^v(n?mla|n?mls|fma|fms|fnma|fnms)/.test(m)) return 'float-multiply-accumulate';
    return 'float';
  }
  if (/^(sdiv|udiv)/.test(m)) return 'divide';
  if (MULTIPLY.test(m)) return 'multiply';
  if (SCALAR_LOAD.test(m)) return 'load';
  if (SCALAR_STORE.test(m)) return 'store';
  if (/^ldrd/.test(m)) return 'load-double';
  if (/^strd/.test(m)) return 'store-double';
  if (/^(ldm|pop)/.test(m)) return 'load-multiple';
  if (/^(stm|push)/.test(m)) return 'store-multiple';
  if (/^(dsb|dmb|isb)/.test(m)) return 'barrier';
  if (/^(mrs|msr|cps|svc|bkpt|wfi|wfe|sev)/.test(m)) return 'system';
  return 'alu';
}

/** Registers a register list names: `{r4, r5, r6, lr}`, `{r4-r7}`, `{d8-d9}` (a d register counts as two words). */
export function listedWords(operands: string): number {
  const list = /\{([^}]*)\}/.exec(operands);
  if (!list) return 1;
  let words = 0;
  for (const item of list[1]!.split(',').map((s) => s.trim())) {
    const range = /^([a-z]+)(\d+)-[a-z]+(\d+)$/.exec(item);
    const width = item.startsWith('d') ? 2 : 1;
    words += range ? width * (Number(range[3]) - Number(range[2]) + 1) : width;
  }
  return words;
}

/** A core's cycle model: the cost of each executed instruction, given the one before it. */
export interface CycleModel {
  /** The core it models (a target's `cpu`). */
  core: string;
  /** A fresh costing pass over one instruction stream. */
  start(): (executed: ExecutedInstruction, kind: InstructionClass) => number;
}

/** Whether an instruction loads the pc (a return by POP or LDR). */
const loadsPc = (instruction: Instruction) => /\bpc\b/.test(instruction.operands.split(',')[0]!) || /\{[^}]*\bpc\b/.test(instruction.operands);

/** Cortex-M4 (Armv7E-M, 3-stage pipeline): the TRM's instruction set summary. */
export const CORTEX_M4_CYCLES: CycleModel = {
  core: 'cortex-m4',
  start() {
    let previous: InstructionClass | undefined;
    /** The register the instruction before wrote, when it was data processing or a multiply. */
    let written: string | undefined;
    const addressStall = (instruction: Instruction) => (written !== undefined && addressRegister(instruction) === written ? 1 : 0);
    return ({ instruction, redirected }, kind) => {
      const refill = redirected ? BRANCH_REFILL_CYCLES : 0;
      let cycles: number;
      switch (kind) {
        case 'load':
          cycles = (previous === 'load' ? 1 : 2) + addressStall(instruction) + (loadsPc(instruction) ? refill : 0);
          break;
        case 'store':
          cycles = 1 + addressStall(instruction);
          break;
        case 'load-double':
        case 'store-double':
          cycles = 3 + addressStall(instruction);
          break;
        case 'load-multiple':
        case 'store-multiple':
          cycles = 1 + listedWords(instruction.operands) + (kind === 'load-multiple' ? refill : 0);
          break;
        case 'branch':
        case 'loop':
          cycles = 1 + refill;
          break;
        case 'divide':
          cycles = DIVIDE_CYCLES;
          break;
        case 'float-multiply-accumulate':
          cycles = 3;
          break;
        case 'float-divide':
          cycles = FLOAT_DIVIDE_CYCLES;
          break;
        case 'barrier':
          cycles = BARRIER_CYCLES;
          break;
        case 'system':
          cycles = 2;
          break;
        default:
          // Data processing, multiplies, IT, floating point; an instruction that writes the pc refills the pipeline.
          cycles = 1 + refill;
      }
      previous = kind;
      written = kind === 'alu' || kind === 'multiply' ? destinationRegister(instruction) : undefined;
      return cycles;
    };
  },
};

/** The base register of a load or store's address: `[r3, #4]` -> r3. */
function addressRegister(instruction: Instruction): string | undefined {
  return /\[(\w+)/.exec(instruction.operands)?.[1];
}

/** The register a data-processing instruction writes: its first operand (`adds r3, r1, r2` -> r3), none for a compare. */
function destinationRegister(instruction: Instruction): string | undefined {
  if (/^(cmp|cmn|tst|teq|it|nop)/.test(instruction.mnemonic)) return undefined;
  return /^(\w+)/.exec(instruction.operands)?.[1];
}

/** The MVE unit an instruction's beats occupy: beats of different units overlap. */
function vectorUnit(kind: InstructionClass): 'memory' | 'multiply' | 'arithmetic' | undefined {
  if (kind === 'vector-memory') return 'memory';
  if (kind === 'vector-multiply') return 'multiply';
  if (kind === 'vector-arithmetic') return 'arithmetic';
  return undefined;
}

/** Cycles of one MVE instruction on a dual-beat core (4 beats, 2 per cycle). */
const VECTOR_CYCLES = 2;

/** Cortex-M55 (Armv8.1-M, 4-stage pipeline, dual-beat MVE): the TRM's and the Software Optimization Guide's timings. */
export const CORTEX_M55_CYCLES: CycleModel = {
  core: 'cortex-m55',
  start() {
    let previous: InstructionClass | undefined;
    let cachedLoopEnd: number | undefined;
    return ({ instruction, redirected }, kind) => {
      const refill = redirected ? BRANCH_REFILL_CYCLES : 0;
      let cycles: number;
      const unit = vectorUnit(kind);
      if (unit) {
        const before = previous && vectorUnit(previous);
        cycles = before && before !== unit ? VECTOR_CYCLES - 1 : VECTOR_CYCLES;
      } else {
        switch (kind) {
          case 'load':
          case 'store':
            cycles = 1 + (kind === 'load' && loadsPc(instruction) ? refill : 0);
            break;
          case 'load-double':
          case 'store-double':
            cycles = 2;
            break;
          case 'load-multiple':
          case 'store-multiple':
            cycles = 1 + Math.ceil(listedWords(instruction.operands) / 2) + (kind === 'load-multiple' ? refill : 0);
            break;
          case 'loop':
            if (/^le/.test(instruction.mnemonic) && redirected) {
              // The loop end branches back: free once the loop is cached, a refill the first time.
              cycles = cachedLoopEnd === instruction.address ? 0 : 1 + refill;
              cachedLoopEnd = instruction.address;
            } else cycles = 1 + refill;
            break;
          case 'branch':
            cycles = 1 + refill;
            break;
          case 'divide':
            cycles = DIVIDE_CYCLES;
            break;
          case 'float-divide':
            cycles = FLOAT_DIVIDE_CYCLES;
            break;
          case 'float-multiply-accumulate':
            cycles = 2;
            break;
          case 'barrier':
            cycles = BARRIER_CYCLES;
            break;
          case 'system':
            cycles = 2;
            break;
          default:
            cycles = 1 + refill;
        }
      }
      // A cached loop end leaves the pipeline as it was: the loop's first MVE instruction overlaps its last one.
      if (cycles > 0 || kind !== 'loop') previous = kind;
      return cycles;
    };
  },
};

const MODELS: readonly CycleModel[] = [CORTEX_M4_CYCLES, CORTEX_M55_CYCLES];

/** The cycle model of a target's core, or undefined where none is documented (every core but M4 and M55). */
export function cycleModelFor(target: Target): CycleModel | undefined {
  return MODELS.find((model) => model.core === target.cpu);
}

/** What one instruction stream costs: in all, and by class. */
export interface CycleEstimate {
  instructions: number;
  cycles: number;
  classes: Partial<Record<InstructionClass, { instructions: number; cycles: number }>>;
}

/** Apply `model` to an executed instruction stream. */
export function estimateCycles(model: CycleModel, stream: Iterable<ExecutedInstruction>): CycleEstimate {
  const cost = model.start();
  const estimate: CycleEstimate = { instructions: 0, cycles: 0, classes: {} };
  const kinds = new Map<Instruction, InstructionClass>();
  for (const executed of stream) {
    let kind = kinds.get(executed.instruction);
    if (kind === undefined) {
      kind = classify(executed.instruction.mnemonic, executed.instruction.operands);
      kinds.set(executed.instruction, kind);
    }
    const cycles = cost(executed, kind);
    estimate.instructions++;
    estimate.cycles += cycles;
    const entry = (estimate.classes[kind] ??= { instructions: 0, cycles: 0 });
    entry.instructions++;
    entry.cycles += cycles;
  }
  return estimate;
}
