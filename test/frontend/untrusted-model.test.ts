// Models as untrusted input: external data that leads out of the model's folder or to something that is not a regular
// file, declared sizes no microcontroller model has, and names used twice. Each ends in a clean EennError with a hint,
// through the library and through the command line, and no byte of a file outside the folder reaches the output.

import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EennError, FALLBACK_HINTS, type ErrorCode } from '../../src/ir/diagnostics.js';
import { importWithOwnQuantization } from '../../src/compile.js';
import { importModel } from '../../src/frontend/index.js';
import { inspectModel } from '../../src/frontend/inspect.js';
import { loadModel } from '../../src/frontend/load.js';
import { LIMITS } from '../../src/ir/limits.js';
import {
  encodeModel,
  OnnxDataType,
  tensorFromProto,
  tensorToProto,
  type GraphProto,
  type NodeProto,
  type TensorProto,
} from '../../src/frontend/onnx-proto.js';
import { encodeNpy } from '../../src/data/npy.js';

const root = mkdtempSync(join(tmpdir(), 'eennc-untrusted-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let folders = 0;
/** A fresh folder for one model. */
function folder(): string {
  const dir = join(root, `m${folders++}`);
  mkdirSync(dir);
  return dir;
}

const valueInfo = (name: string, dims: number[]) => ({
  name,
  type: { tensorType: { elemType: OnnxDataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
});

/** Write a model (opset 13) whose graph is `graph` into `dir`; returns its path. */
function writeModel(dir: string, graph: GraphProto, name = 'model.onnx'): string {
  const path = join(dir, name);
  writeFileSync(path, encodeModel({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph }));
  return path;
}

/** y = x + w, x of shape [1, 4], w a float32 [4] initializer given as `w`. */
function addGraph(w: TensorProto): GraphProto {
  return {
    name: 'add',
    input: [valueInfo('x', [1, 4])],
    output: [valueInfo('y', [1, 4])],
    initializer: [w],
    node: [{ name: 'add', opType: 'Add', input: ['x', 'w'], output: ['y'] }],
  };
}

/** The weight tensor w stored externally with these external_data entries. */
function externalWeight(entries: Record<string, string>): TensorProto {
  return {
    name: 'w',
    dims: [4],
    dataType: OnnxDataType.FLOAT,
    dataLocation: 1,
    externalData: Object.entries(entries).map(([key, value]) => ({ key, value })),
  };
}

/** The EennError `fn` throws, with its code checked and a hint present. */
function refusal(fn: () => unknown, code: ErrorCode): EennError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EennError);
    const e = err as EennError;
    expect(e.code, e.format()).toBe(code);
    // the thrower's own hint, not the fallback every error of its code gets
    expect(e.hint, e.format()).not.toBe(FALLBACK_HINTS[e.code]);
    return e;
  }
  throw new Error('expected a refusal, the call succeeded');
}

/** `eennc ARGS`: exit status and stderr (run asynchronously: the test worker stays responsive). */
function cli(...args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((done) => {
    execFile('node', ['bin/eennc.js', ...args], { encoding: 'utf8' }, (err, _stdout, stderr) => {
      done({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr });
    });
  });
}

/** The CLI refuses `model` (in `inspect` too with `inspect`): exit 1, the message and a hint, no output folder. */
async function expectCliRefusal(model: string, pattern: RegExp, commands: ('inspect' | 'build')[]): Promise<string> {
  let stderr = '';
  for (const command of commands) {
    const out = join(root, `out${folders++}`);
    const args = command === 'inspect' ? [model] : [model, '--target', 'host', '--precision', 'float32', '-o', out];
    const result = await cli(command, ...args);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr).toMatch(/^hint: /m);
    expect(result.stderr).not.toMatch(/internal/);
    expect(existsSync(out)).toBe(false);
    stderr += result.stderr;
  }
  return stderr;
}

/** 16 bytes that would be valid weights, inside a larger file, in a folder above the model's. */
const SECRET_VALUES = Float32Array.of(1234.5, -2345.5, 3456.5, -4567.5);
function secretFile(dir: string): string {
  const bytes = new Uint8Array(4096 + 16);
  bytes.set(new Uint8Array(SECRET_VALUES.buffer), 0);
  const path = join(dir, 'secret.bin');
  writeFileSync(path, bytes);
  return path;
}

describe('external data', () => {
  it('reads a tensor through a symbolic link that stays inside the model folder', () => {
    const dir = folder();
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'weights.bin'), new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer));
    symlinkSync(join('data', 'weights.bin'), join(dir, 'link.bin'));
    const model = writeModel(dir, addGraph(externalWeight({ location: 'link.bin', offset: '0', length: '16' })));
    expect(Array.from(importModel(model).graph.tensors.get('w')!.data!)).toEqual([1, 2, 3, 4]);
  });

  const outside = () => {
    const parent = folder();
    const secret = secretFile(parent);
    const dir = join(parent, 'model');
    mkdirSync(dir);
    return { secret, dir };
  };
  // [what, external_data entries (made in the model's folder), the refusal, also through `eennc build`]
  const cases: [string, (dir: string, secret: string) => Record<string, string>, RegExp, boolean?][] = [
    ['an absolute location', (_dir, secret) => ({ location: secret }), /absolute path/, true],
    ['a location with ../ that leaves the folder', () => ({ location: '../secret.bin' }), /leads out of the model's folder/, true],
    ['a location that climbs out and back in', () => ({ location: 'sub/../../secret.bin' }), /leads out of the model's folder/],
    [
      'a symbolic link to a file outside the folder',
      (dir, secret) => {
        symlinkSync(secret, join(dir, 'weights.bin'));
        return { location: 'weights.bin' };
      },
      /symbolic link that leads out/,
      true,
    ],
    [
      'a symbolic link to /dev/zero',
      (dir) => {
        symlinkSync('/dev/zero', join(dir, 'zero.bin'));
        return { location: 'zero.bin' };
      },
      /symbolic link that leads out/,
      true,
    ],
    ['the absolute location /dev/zero', () => ({ location: '/dev/zero' }), /absolute path/],
    [
      'a named pipe (which must not block)',
      (dir) => {
        const made = spawnSync('mkfifo', [join(dir, 'pipe.bin')]);
        expect(made.status).toBe(0);
        return { location: 'pipe.bin' };
      },
      /not a regular file/,
      true,
    ],
    [
      'a directory',
      (dir) => {
        mkdirSync(join(dir, 'weights.bin'));
        return { location: 'weights.bin' };
      },
      /not a regular file/,
    ],
    [
      'offset -100',
      (dir) => {
        writeFileSync(join(dir, 'weights.bin'), new Uint8Array(200));
        return { location: 'weights.bin', offset: '-100', length: '16' };
      },
      /offset "-100" is not a non-negative whole number/,
      true,
    ],
    [
      'length 10^15',
      (dir) => {
        writeFileSync(join(dir, 'weights.bin'), new Uint8Array(200));
        return { location: 'weights.bin', length: '1000000000000000' };
      },
      /length is 1000000000000000 bytes, but its shape \[4\] of float32 needs 16 bytes/,
      true,
    ],
    [
      'an offset beyond the end of the file',
      (dir) => {
        writeFileSync(join(dir, 'weights.bin'), new Uint8Array(20));
        return { location: 'weights.bin', offset: '8', length: '16' };
      },
      /16 bytes at offset 8 go beyond the end of "weights.bin" \(20 bytes\)/,
    ],
    [
      'an offset that is not a number',
      (dir) => {
        writeFileSync(join(dir, 'weights.bin'), new Uint8Array(20));
        return { location: 'weights.bin', offset: '1e3' };
      },
      /offset "1e3"/,
    ],
  ];
  for (const [what, entries, pattern, throughCli] of cases) {
    it(`refuses ${what}${throughCli ? ', through the library and the command line' : ''}`, async () => {
      const { secret, dir } = outside();
      const model = writeModel(dir, addGraph(externalWeight(entries(dir, secret))));
      const e = refusal(() => importModel(model), 'E_MODEL');
      expect(e.file).toBe(model);
      expect(e.message).toContain('tensor "w"');
      expect(e.message).toMatch(pattern);
      expect(e.message).not.toContain('4112'); // the size of the file outside the folder
      expect(refusal(() => inspectModel(model), 'E_MODEL').message).toMatch(pattern);
      if (throughCli) expect(await expectCliRefusal(model, pattern, ['build'])).not.toContain('4112');
    });
  }

  it('refuses a device inside the folder it is asked to read from', () => {
    const proto = externalWeight({ location: 'zero', length: '16' });
    const e = refusal(() => tensorFromProto(proto, { file: '/dev/model.onnx', baseDir: '/dev' }), 'E_MODEL');
    expect(e.message).toMatch(/"zero" is not a regular file/);
  });

  it('reads only the bytes the tensor needs from a large file', () => {
    const dir = folder();
    const bytes = new Uint8Array(1 << 20);
    new Float32Array(bytes.buffer, 1024, 4).set([5, 6, 7, 8]);
    writeFileSync(join(dir, 'big.bin'), bytes);
    const model = writeModel(dir, addGraph(externalWeight({ location: 'big.bin', offset: '1024' })));
    const w = importModel(model).graph.tensors.get('w')!.data!;
    expect(Array.from(w)).toEqual([5, 6, 7, 8]);
    expect(w.buffer.byteLength).toBe(16);
  });
});

/** x [1, 1, 28, 28] padded by Pad with the given int64 pads. */
function padGraph(pads: number[]): GraphProto {
  return {
    name: 'pad',
    input: [valueInfo('x', [1, 1, 28, 28])],
    output: [{ name: 'y' }],
    initializer: [tensorToProto('pads', [8], 'int64', Float64Array.from(pads))],
    node: [{ name: 'pad', opType: 'Pad', input: ['x', 'pads'], output: ['y'] }],
  };
}

describe('declared sizes beyond the limits', () => {
  const limit = `${LIMITS.tensorBytes / 1024 / 1024} MiB`;
  const cases: [string, () => GraphProto, RegExp, { name: string; op: string } | undefined][] = [
    [
      'an input dimension of 3,758,096,377',
      () => ({
        name: 'dim',
        input: [valueInfo('x', [1, 3758096377])],
        output: [{ name: 'y' }],
        node: [{ name: 'relu', opType: 'Relu', input: ['x'], output: ['y'] }],
      }),
      /input "x" of shape \[1, 3758096377\]/,
      undefined,
    ],
    ['pads of 2^31', () => padGraph([0, 0, 2 ** 31, 0, 0, 0, 0, 0]), /output "y" of shape \[1, 1, 2147483676, 28\]/, { name: 'pad', op: 'Pad' }],
    [
      'a Pad to 2^30 elements',
      () => padGraph([0, 0, 0, 0, 0, 0, 32768 - 28, 32768 - 28]),
      /output "y" of shape \[1, 1, 32768, 32768\]/,
      { name: 'pad', op: 'Pad' },
    ],
    [
      'an Expand to 2^35 elements',
      () => ({
        name: 'expand',
        input: [valueInfo('x', [1])],
        output: [{ name: 'y' }],
        initializer: [tensorToProto('shape', [1], 'int64', Float64Array.of(2 ** 35))],
        node: [{ name: 'expand', opType: 'Expand', input: ['x', 'shape'], output: ['y'] }],
      }),
      /output "y" of shape \[34359738368\]/,
      { name: 'expand', op: 'Expand' },
    ],
    [
      'a 2^40-element initializer',
      () => addGraph({ name: 'w', dims: [2 ** 20, 2 ** 20], dataType: OnnxDataType.FLOAT }),
      /tensor "w" of shape \[1048576, 1048576\]/,
      undefined,
    ],
    [
      'an initializer with a dimension of 2^63',
      () => addGraph({ name: 'w', dims: ['9223372036854775807'] as unknown as number[], dataType: OnnxDataType.FLOAT }),
      /tensor "w" has the shape .* is not a non-negative whole number/,
      undefined,
    ],
    [
      'an initializer with a negative dimension',
      () => addGraph({ name: 'w', dims: [-4], dataType: OnnxDataType.FLOAT }),
      /tensor "w" has the shape \[-4\]: the dimension -4 is not a non-negative whole number/,
      undefined,
    ],
    [
      'a 2^40-element external initializer',
      () =>
        addGraph({
          ...externalWeight({ location: 'zeros.bin' }),
          dims: [2 ** 20, 2 ** 20],
        }),
      /tensor "w" of shape \[1048576, 1048576\]/,
      undefined,
    ],
  ];
  const cliCases = new Set([
    'an input dimension of 3,758,096,377',
    'pads of 2^31',
    'an Expand to 2^35 elements',
    'a 2^40-element external initializer',
  ]);
  for (const [what, graph, pattern, node] of cases) {
    it(`refuses ${what} before allocating it`, async () => {
      const dir = folder();
      writeFileSync(join(dir, 'zeros.bin'), new Uint8Array(64));
      const model = writeModel(dir, graph());
      for (const run of [() => importModel(model), () => inspectModel(model)]) {
        const e = refusal(run, 'E_MODEL');
        expect(e.message).toMatch(pattern);
        if (!/not a non-negative whole number/.test(e.message)) expect(e.message).toContain(limit);
        expect(e.node).toEqual(node);
        expect(e.file).toBe(model);
      }
      if (cliCases.has(what)) await expectCliRefusal(model, pattern, ['inspect', 'build']);
    });
  }

  it('refuses huge shapes in a model that carries its own quantization (QDQ) before the import allocates them', () => {
    const qdq = (x: string, y: string): NodeProto[] => [
      { name: `q_${y}`, opType: 'QuantizeLinear', input: [x, 'scale', 'zero'], output: [`${y}_q`] },
      { name: `dq_${y}`, opType: 'DequantizeLinear', input: [`${y}_q`, 'scale', 'zero'], output: [y] },
    ];
    const quant = [tensorToProto('scale', [], 'float32', Float32Array.of(0.1)), tensorToProto('zero', [], 'int8', Int8Array.of(0))];
    const wideInput = writeModel(folder(), {
      name: 'qdq',
      input: [valueInfo('x', [1, 3758096377])],
      output: [{ name: 'y' }],
      initializer: quant,
      node: [...qdq('x', 'xd'), { name: 'shape', opType: 'Shape', input: ['xd'], output: ['y'] }],
    });
    expect(refusal(() => importWithOwnQuantization(wideInput), 'E_MODEL').message).toMatch(/input "x" of shape \[1, 3758096377\]/);
    const expanded = writeModel(folder(), {
      name: 'qdq',
      input: [valueInfo('x', [1])],
      output: [{ name: 'y' }],
      initializer: [...quant, tensorToProto('big', [1], 'int64', Float64Array.of(2 ** 35))],
      node: [
        ...qdq('x', 'xd'),
        { name: 'expand', opType: 'Expand', input: ['xd', 'big'], output: ['e'] },
        { name: 'shape', opType: 'Shape', input: ['e'], output: ['y'] },
      ],
    });
    const e = refusal(() => importWithOwnQuantization(expanded), 'E_MODEL');
    expect(e.message).toMatch(/output "e" of shape \[34359738368\]/);
    expect(e.node).toEqual({ name: 'expand', op: 'Expand' });
  });

  it('refuses a huge Pad in an int8 build before calibration runs', async () => {
    const dir = folder();
    const model = writeModel(dir, padGraph([0, 0, 0, 0, 0, 0, 32768 - 28, 32768 - 28]));
    const calib = join(dir, 'calib.npy');
    writeFileSync(calib, encodeNpy([2, 1, 1, 28, 28], new Float32Array(2 * 28 * 28).fill(0.5)));
    const out = join(dir, 'out');
    const built = await cli('build', model, '--target', 'host', '--calib', calib, '-o', out);
    expect(built.status, built.stderr).toBe(1);
    expect(built.stderr).toMatch(/output "y" of shape \[1, 1, 32768, 32768\] \(float32\) would take 4,096 MiB/);
    expect(built.stderr).not.toMatch(/calibrating/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a model whose activations together pass the limit, naming the node where they do', () => {
    // A chain of Relu layers of 8 MiB each: every tensor is small enough, all of them together are not.
    const layerBytes = 8 * 1024 * 1024;
    const layers = LIMITS.activationBytes / layerBytes + 4;
    const nodes: NodeProto[] = Array.from({ length: layers }, (_, i) => ({
      name: `relu${i}`,
      opType: 'Relu',
      input: [i === 0 ? 'x' : `h${i - 1}`],
      output: [`h${i}`],
    }));
    const model = writeModel(folder(), {
      name: 'deep',
      input: [valueInfo('x', [1, 2, 1024, 1024])],
      output: [{ name: `h${layers - 1}` }],
      node: nodes,
    });
    const e = refusal(() => importModel(model), 'E_MODEL');
    const mib = (bytes: number) => `${bytes / 1024 / 1024} MiB`;
    expect(e.message).toBe(
      `the tensors one inference computes take ${mib(LIMITS.activationBytes + layerBytes)} together; ` +
        `eennc accepts at most ${mib(LIMITS.activationBytes)}`,
    );
    // The input and the first outputs fill the budget exactly; the next output passes it.
    expect(e.node?.name).toBe(`relu${LIMITS.activationBytes / layerBytes - 1}`);
  });
});

describe('names used twice', () => {
  const f = (name: string, values: number[]) => tensorToProto(name, [values.length], 'float32', Float32Array.from(values));
  const cases: [string, GraphProto, RegExp][] = [
    [
      'two initializers with the same name',
      {
        ...addGraph(f('w', [1, 2, 3, 4])),
        initializer: [f('w', [1, 2, 3, 4]), f('w', [5, 6, 7, 8])],
      },
      /"w" is used twice: two initializers have it/,
    ],
    [
      'two graph inputs with the same name',
      {
        ...addGraph(f('w', [1, 2, 3, 4])),
        input: [valueInfo('x', [1, 4]), valueInfo('x', [1, 4])],
      },
      /"x" is used twice: two graph inputs have it/,
    ],
    [
      'two nodes producing the same tensor',
      {
        ...addGraph(f('w', [1, 2, 3, 4])),
        node: [
          { name: 'add', opType: 'Add', input: ['x', 'w'], output: ['y'] },
          { name: 'again', opType: 'Relu', input: ['x'], output: ['y'] },
        ],
      },
      /"y" is used twice: nodes "add" \(Add\) and "again" \(Relu\) both produce it/,
    ],
    [
      'a node producing a graph input',
      {
        ...addGraph(f('w', [1, 2, 3, 4])),
        node: [
          { name: 'add', opType: 'Add', input: ['x', 'w'], output: ['y'] },
          { name: 'over', opType: 'Relu', input: ['y'], output: ['x'] },
        ],
      },
      /"x" is used twice: a graph input has it, and a node produces it/,
    ],
    [
      'a Constant node named like an initializer',
      {
        ...addGraph(f('w', [1, 2, 3, 4])),
        node: [
          { name: 'c', opType: 'Constant', output: ['w'], attribute: [{ name: 'value_float', type: 1, f: 2 }] },
          { name: 'add', opType: 'Add', input: ['x', 'w'], output: ['y'] },
        ],
      },
      /"w" is used twice: an initializer has it, and a node produces it/,
    ],
    [
      'an output listed twice',
      {
        ...addGraph(f('w', [1, 2, 3, 4])),
        output: [{ name: 'y' }, { name: 'y' }],
      },
      /"y" is used twice: the graph lists it twice among its outputs/,
    ],
  ];
  for (const [what, graph, pattern] of cases) {
    it(`refuses ${what} with E_GRAPH`, () => {
      const model = writeModel(folder(), graph);
      const e = refusal(() => importModel(model), 'E_GRAPH');
      expect(e.message).toMatch(pattern);
      expect(refusal(() => inspectModel(model), 'E_GRAPH').message).toMatch(pattern);
    });
  }

  it('keeps an initializer that is also a graph input as its default value', () => {
    const model = writeModel(folder(), {
      ...addGraph(f('w', [1, 2, 3, 4])),
      input: [valueInfo('x', [1, 4]), valueInfo('w', [4])],
    });
    const { graph } = importModel(model);
    expect(graph.inputs).toEqual(['x']);
    expect(Array.from(graph.tensors.get('w')!.data!)).toEqual([1, 2, 3, 4]);
  });

  it('the command line names the tensor and exits 1', async () => {
    const model = writeModel(folder(), { ...addGraph(f('w', [1, 2, 3, 4])), initializer: [f('w', [1, 2, 3, 4]), f('w', [5, 6, 7, 8])] });
    const result = await cli('inspect', model);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/error: .*"w" is used twice/);
    expect(result.stderr).toMatch(/^hint: /m);
  });
});

describe('the model file itself', () => {
  const cases: [string, (path: string) => void, RegExp][] = [
    ['a named pipe (which must not block)', (path) => expect(spawnSync('mkfifo', [path]).status).toBe(0), /not a regular file/],
    ['a folder', (path) => mkdirSync(path), /it is a folder/],
    ['a symbolic link to /dev/zero', (path) => symlinkSync('/dev/zero', path), /not a regular file/],
    [
      'a file larger than any model eennc reads',
      (path) => {
        writeFileSync(path, '');
        truncateSync(path, LIMITS.modelFileBytes + 1); // sparse: nothing is written
      },
      new RegExp(`holds ${(LIMITS.modelFileBytes + 1).toLocaleString('en-US')} bytes; eennc reads models of at most`),
    ],
  ];
  for (const [what, make, pattern] of cases) {
    it(`refuses ${what} with E_FILE and a hint`, async () => {
      const path = join(folder(), 'model.onnx');
      make(path);
      const e = refusal(() => loadModel(path), 'E_FILE');
      expect(e.file).toBe(path);
      expect(e.message).toMatch(pattern);
      const inspected = await cli('inspect', path);
      expect(inspected.status, inspected.stderr).toBe(1);
      expect(inspected.stderr).toMatch(pattern);
    });
  }
});
