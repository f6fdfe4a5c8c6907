// C text for values: float literals that read back bit for bit, identifiers made from tensor names, array bodies.
// Used by the model emitter; fast enough for millions of weights (no per-element template work).

/** Words a generated identifier must not be: C99 keywords and the names model.c declares itself. */
const RESERVED = new Set([
  'auto',
  'break',
  'case',
  'char',
  'const',
  'continue',
  'default',
  'do',
  'double',
  'else',
  'enum',
  'extern',
  'float',
  'for',
  'goto',
  'if',
  'inline',
  'int',
  'long',
  'register',
  'restrict',
  'return',
  'short',
  'signed',
  'sizeof',
  'static',
  'struct',
  'switch',
  'typedef',
  'union',
  'unsigned',
  'void',
  'volatile',
  'while',
  '_Bool',
  '_Complex',
  '_Imaginary',
  'inputs',
  'outputs',
  'NULL',
  'INFINITY',
  'NAN',
  // Functions of <math.h> and <string.h> that model.c and the kernels include.
  ...['acos', 'asin', 'atan', 'atan2', 'ceil', 'cos', 'cosh', 'erf', 'exp', 'fabs', 'floor', 'fmod', 'log', 'log10', 'log2', 'modf', 'pow', 'round', 'sin', 'sinh', 'sqrt', 'tan', 'tanh', 'trunc', 'rint', 'nearbyint', 'fmin', 'fmax', 'expm1', 'log1p', 'abs', 'memcpy', 'memmove', 'memset', 'memcmp'].flatMap((f) => [f, `${f}f`]),
]);

/**
 * A float32 value as a C literal that the compiler turns back into exactly the same float:
 * the shortest decimal (6 to 9 significant digits) that round-trips through float32, with an `f` suffix.
 * NaN and infinities use the C99 <math.h> macros.
 */
export function formatFloat(value: number): string {
  if (Number.isNaN(value)) return 'NAN';
  if (value === Infinity) return 'INFINITY';
  if (value === -Infinity) return '-INFINITY';
  const v = Math.fround(value);
  if (v === 0) return Object.is(v, -0) ? '-0.0f' : '0.0f';
  if (Number.isInteger(v) && Math.abs(v) < 1e7) return `${v}.0f`;
  for (let digits = 6; digits < 9; digits++) {
    const text = v.toPrecision(digits);
    if (Math.fround(Number(text)) === v) return literal(text);
  }
  return literal(v.toPrecision(9));
}

function literal(text: string): string {
  // toPrecision gives "12.5", "1.25e-7" or "1e+21"; C needs a dot or an exponent before the suffix.
  let t = text;
  if (t.includes('e')) {
    const [mantissa, exponent] = t.split('e') as [string, string];
    t = `${mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '.0') : mantissa}e${exponent}`;
  } else if (t.includes('.')) {
    t = t.replace(/0+$/, '').replace(/\.$/, '.0');
  } else {
    t = `${t}.0`;
  }
  return `${t}f`;
}

/** A float64 value as a C double literal that reads back bit for bit (the shortest decimal that round-trips). */
export function formatDouble(value: number): string {
  if (Number.isNaN(value)) return 'NAN';
  if (value === Infinity) return 'INFINITY';
  if (value === -Infinity) return '-INFINITY';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** An int32 argument as C text. */
export function formatInt(value: number): string {
  if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
    throw new Error(`internal: ${value} is not an int32`);
  }
  return value === -2147483648 ? '(-2147483647 - 1)' : String(value);
}

/** An int64 array element as C text (an exact integer of a Float64Array: |value| <= 2^53 - 1). */
export function formatInt64(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`internal: ${value} is not an exact int64`);
  return `INT64_C(${value})`;
}

/** Element kinds of the constant arrays model.c prints. */
export type ArrayKind = 'float' | 'int32' | 'int8' | 'int64' | 'double' | 'int16' | 'uint8' | 'uint16';

/** The body of a C array initializer: comma-separated values, `perLine` per line, indented by 4. */
export function formatArrayBody(values: ArrayLike<number>, kind: ArrayKind, perLine = kind === 'float' || kind === 'double' ? 8 : kind === 'int32' ? 16 : 32): string {
  const lines: string[] = [];
  const format = kind === 'float' ? formatFloat : kind === 'double' ? formatDouble : kind === 'int64' ? formatInt64 : formatInt;
  let line: string[] = [];
  for (let i = 0; i < values.length; i++) {
    line.push(format(values[i]!));
    if (line.length === perLine) {
      lines.push(`    ${line.join(', ')},`);
      line = [];
    }
  }
  if (line.length > 0) lines.push(`    ${line.join(', ')},`);
  return lines.join('\n');
}

/** A C identifier derived from any tensor or node name: letters, digits and `_`, never starting with a digit. */
export function sanitizeIdentifier(name: string): string {
  let id = name
    .replace(/[^A-Za-z0-9_]/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (id === '') id = 'tensor';
  if (/^[0-9]/.test(id) || RESERVED.has(id) || /^(eenn|EENN)_/.test(id) || /^(input|output)_[0-9]+$/.test(id)) id = `t_${id}`;
  return id;
}

/** Hands out unique identifiers: the sanitized name, then `_2`, `_3`... on collisions (case-insensitive, for macros). */
export class IdentifierPool {
  private readonly used = new Set<string>();

  constructor(reserved: Iterable<string> = []) {
    for (const r of reserved) this.used.add(r.toLowerCase());
  }

  take(name: string): string {
    const base = sanitizeIdentifier(name);
    let id = base;
    for (let i = 2; this.used.has(id.toLowerCase()); i++) id = `${base}_${i}`;
    this.used.add(id.toLowerCase());
    return id;
  }
}

/** Text safe inside a C block comment (no comment terminator, no line breaks). */
export function commentText(text: string): string {
  return text
    .replace(/\*\//g, '* /')
    .replace(/\/\*/g, '/ *')
    .replace(/[\r\n]+/g, ' ');
}

/** Text safe inside a C string literal. */
export function stringLiteral(text: string): string {
  return `"${text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/[\r\n]/g, ' ')
    .replace(/\?\?/g, '?\\?')}"`;
}

/** A shape as `[1, 3, 32, 32]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** 1234567 as `1,234,567`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
