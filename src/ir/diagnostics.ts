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
  | 'E_MISMATCH' // golden test failure
  | 'E_USAGE'; // bad command-line usage

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
  readonly hint?: string;
  readonly details?: string[];

  constructor(info: DiagnosticInfo) {
    super(info.message);
    this.name = 'EennError';
    this.code = info.code;
    this.file = info.file;
    this.node = info.node;
    this.hint = info.hint;
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
    if (this.hint) lines.push(`hint: ${this.hint}`);
    return lines.join('\n');
  }
}

/** Throw an E_SHAPE / E_UNSUPPORTED error about one node. */
export function nodeError(code: ErrorCode, node: { name: string; op: string }, message: string, hint?: string): EennError {
  return new EennError({ code, node: { name: node.name, op: node.op }, message, hint });
}
