// Errors are data: one error type with a code, the file, the node, a message and a hint.
// Every stage throws EennError for bad input; the CLI prints it in one place (src/cli/report-error.ts).

export type ErrorCode =
  | 'E_FILE' // cannot read / not found / not writable
  | 'E_PARSE' // not a valid ONNX protobuf, truncated
  | 'E_OPSET' // unknown domain or opset out of range
  | 'E_GRAPH' // cycle, missing initializer, dangling input
  | 'E_SHAPE' // shape mismatch or undeterminable shape
  | 'E_UNSUPPORTED' // operators or attributes we do not implement
  | 'E_DATA' // input/calibration data of the wrong size, dtype or format
  | 'E_MODEL' // the model's own contents are invalid (e.g. a quantization scale of zero or NaN)
  | 'E_TARGET' // unknown target, model does not fit
  | 'E_TOOLCHAIN' // gcc/qemu missing or failing
  | 'E_RUN' // emulator timeout or crash
  | 'E_BUDGET' // an intermittent build's power-on window is too small for an indivisible piece of work
  | 'E_MISMATCH' // golden test failure
  | 'E_USAGE'; // bad command-line usage

/**
 * What to do about an error of each kind, for the errors thrown without a hint of their own: every error a person
 * sees ends with one.
 */
export const FALLBACK_HINTS: Readonly<Record<ErrorCode, string>> = {
  E_FILE: 'check that the path is right and that the file exists and can be read (or, for an output, written)',
  E_PARSE: 'the file is not a complete ONNX model: export it again and check it with onnx.checker.check_model',
  E_OPSET: 'export the model again with the standard ONNX operator sets (ai.onnx, opset 7 or later)',
  E_GRAPH: 'the graph is not well formed: check it with onnx.checker.check_model(model, full_check=True) and export it again',
  E_SHAPE:
    "check the shapes of the model's inputs (give dynamic ones with --input-shape NAME=AxBxC) and the node's " +
    'attributes as the exporter wrote them',
  E_UNSUPPORTED:
    'eennc does not implement this: `eennc inspect MODEL.onnx` lists every unsupported operator; change the ' +
    'model (another operator or attribute) before export',
  E_DATA: 'check the data file: its type, its shape ([N, ...input] or the input shape) and its length',
  E_MODEL: "the model's own values are invalid: export it again from the framework that trained it",
  E_TARGET: 'run `eennc targets` to see the targets and their memory, or check the target file',
  E_TOOLCHAIN: 'run `eennc doctor` to check the compiler, make and QEMU and to see how to install what is missing',
  E_RUN: 'run `eennc doctor` to check the emulator; a model that needs longer takes a larger --timeout',
  E_BUDGET: 'give a larger --budget (or --budget-uj): every task, with its commit, must fit one power-on window',
  E_MISMATCH: "the target's outputs differ from the reference: run `eennc test` with --json to see every sample's error",
  E_USAGE: 'run the command with --help to see its options and the values they take',
};

/** The hint of errors that are not EennErrors: a fault in eennc itself. */
export const INTERNAL_HINT = 'this is a bug in eennc; run again with --debug and report the output';

/** The `--json` document of a failed command: `{"error": {code, message, file, node, hint}}` (details when there are some). */
export interface ErrorDocument {
  error: {
    code: ErrorCode | 'E_INTERNAL';
    message: string;
    file: string | null;
    node: { name: string; op: string } | null;
    hint: string;
    details?: string[];
  };
}

export interface DiagnosticInfo {
  code: ErrorCode;
  message: string;
  file?: string;
  /** ONNX node name and op, when the problem is in one node. */
  node?: { name: string; op: string };
  hint?: string;
  /** Further items, e.g. every unsupported operator (printed one per line). */
  details?: string[];
}

export class EennError extends Error {
  readonly code: ErrorCode;
  readonly file?: string;
  readonly node?: { name: string; op: string };
  /** What to do: the thrower's own hint, else the one for its code (FALLBACK_HINTS). */
  readonly hint: string;
  readonly details?: string[];

  constructor(info: DiagnosticInfo) {
    super(info.message);
    this.name = 'EennError';
    this.code = info.code;
    this.file = info.file;
    this.node = info.node;
    this.hint = info.hint || FALLBACK_HINTS[info.code];
    this.details = info.details;
  }

  /** The same error with the file filled in (stages that do not know the path throw without it). */
  withFile(file: string): EennError {
    if (this.file) return this;
    return new EennError({ ...this.toInfo(), file });
  }

  toInfo(): DiagnosticInfo {
    return { code: this.code, message: this.message, file: this.file, node: this.node, hint: this.hint, details: this.details };
  }

  /** `model.onnx: node "conv3" (Conv): message` */
  format(): string {
    const where = [this.file, this.node && `node "${this.node.name}" (${this.node.op})`].filter(Boolean).join(': ');
    const lines = [`error: ${where ? where + ': ' : ''}${this.message}`];
    for (const d of this.details ?? []) lines.push(`  - ${d}`);
    lines.push(`hint: ${this.hint}`);
    return lines.join('\n');
  }

  /** The `--json` document of this error. */
  toDocument(): ErrorDocument {
    return {
      error: {
        code: this.code,
        message: this.message,
        file: this.file ?? null,
        node: this.node ?? null,
        hint: this.hint,
        ...(this.details && this.details.length > 0 ? { details: this.details } : {}),
      },
    };
  }
}

/** Run `fn`; an EennError it throws without a file gets `file` (a stage that does not know the path throws without it). */
export function inFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw err instanceof EennError ? err.withFile(file) : err;
  }
}

/** An error about one node (E_SHAPE, E_UNSUPPORTED, ...), in `file` when the thrower knows it. */
export function nodeError(code: ErrorCode, node: { name: string; op: string }, message: string, hint?: string, file?: string): EennError {
  return new EennError({ code, file, node: { name: node.name, op: node.op }, message, hint });
}
