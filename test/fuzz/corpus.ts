// The fixed fuzz corpus: the hostile and malformed inputs a user or an attacker can give eennc (output folders that
// hold user files, external data outside the model's folder, shell text in options and target files, huge declared
// sizes, bad numbers, malformed data, duplicate names, broken model files), each with the outcome it must have.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { encodeNpy } from '../../src/data/index.js';
import { OnnxDataType, type TensorProto } from '../../src/frontend/onnx-proto.js';
import { randomFloats } from '../frontend/build-graph.js';
import { MODEL_DIR, SECRET, WORK } from './layout.js';
import { BASE_MODELS, editModel, initializer, int64Constant, rawModel, setExternal, withExternalData, type ExternalEntries } from './models.js';
import { ROOT } from './run-cli.js';
import type { Box, FuzzCase } from './sandbox.js';

/** The model as the commands name it, relative to WORK (the default cwd). */
const MODEL = 'model/model.onnx';
/** The quick way through the compiler: the host target, float32, no firmware link. */
const QUICK = ['--target', 'host', '--precision', 'float32'];
const ERROR = [1, 2] as const;
const USAGE = [2] as const;
const SUCCESS = [0] as const;

const writeModel = (box: Box, bytes: Uint8Array, name = 'model.onnx') => box.write(`${MODEL_DIR}/${name}`, bytes);
const mlp = () => BASE_MODELS.mlp.bytes();

/** A float32 .npy of `count` samples of the mlp's [1, 16] input. */
function mlpSamples(count: number, fill?: number): Uint8Array {
  const data = fill === undefined ? randomFloats(count * 16, 11).map((v) => Math.abs(v)) : new Float32Array(count * 16).fill(fill);
  return encodeNpy([count, 1, 16], data);
}

/** An .npy file with the header text and payload given as they are (for malformed headers). */
function rawNpy(shape: string, payload: Uint8Array, descr = '<f4'): Uint8Array {
  const header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`.padEnd(117, ' ') + '\n';
  const out = new Uint8Array(10 + header.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(payload, 10 + header.length);
  return out;
}

/** A target file: targets/host.json with `edit` applied, written to `rel` in the sandbox. */
function writeTarget(box: Box, rel: string, edit: (t: Record<string, any>) => void): void {
  const target = JSON.parse(readFileSync(`${ROOT}/targets/host.json`, 'utf8'));
  delete target.$schema;
  edit(target);
  box.write(rel, JSON.stringify(target, null, 2));
}

/** The same case through `inspect` and through `build --no-link` (the loader and the whole compiler front). */
function inspectAndBuild(name: string, group: string, setup: (box: Box) => void, exits: readonly number[] = ERROR): FuzzCase[] {
  return [
    { name: `${name} (inspect)`, group, setup, args: ['inspect', MODEL], exits },
    { name: `${name} (build --no-link)`, group, setup, args: ['build', MODEL, ...QUICK, '--no-link', '-o', 'out'], exits, mayWrite: [`${WORK}/out`] },
  ];
}

// ---------------------------------------------------------------------------------------------------------------------

function dataLoss(): FuzzCase[] {
  const group = 'data loss';
  const build = (out: string[]): Pick<FuzzCase, 'args'> => ({ args: ['build', MODEL, ...QUICK, '--no-link', ...out] });
  const userFiles = (box: Box) => {
    writeModel(box, mlp());
    box.write(`${WORK}/userdir/notes.txt`, 'my notes\n');
    box.write(`${WORK}/userdir/sub/data.csv`, 'a,b\n1,2\n');
    box.write(`${WORK}/report.txt`, 'my report\n');
    box.write('home/user/diary.txt', 'dear diary\n');
  };
  const hostTargetAt = (rel: string) => (box: Box) => {
    userFiles(box);
    writeTarget(box, rel, (t) => {
      t.name = 'x';
    });
  };
  const cases: (Partial<FuzzCase> & Pick<FuzzCase, 'name' | 'args'>)[] = [
    { name: '-o onto a folder with user files', ...build(['-o', 'userdir']), exits: ERROR },
    { name: '-o onto a regular file', ...build(['-o', 'report.txt']), exits: ERROR },
    { name: '-o . (the working folder, which holds the model)', ...build(['-o', '.']), exits: ERROR },
    { name: '-o ..', ...build(['-o', '..']), exits: ERROR },
    { name: "-o the model's folder", ...build(['-o', 'model']), exits: ERROR },
    { name: '-o . --force', ...build(['-o', '.', '--force']), exits: ERROR },
    { name: '-o .. --force', ...build(['-o', '..', '--force']), exits: ERROR },
    { name: "-o the model's folder --force", ...build(['-o', 'model', '--force']), exits: ERROR },
    { name: '-o onto a regular file --force', ...build(['-o', 'report.txt', '--force']), exits: ERROR },
    {
      name: '-o a symlink to a folder with user files',
      ...build(['-o', 'link']),
      setup: (box) => {
        userFiles(box);
        symlinkSync('userdir', box.at(`${WORK}/link`));
      },
      exits: ERROR,
    },
    { name: 'run -o onto a folder with user files', args: ['run', MODEL, ...QUICK, '--input', 'model/x.npy', '-o', 'userdir'], exits: ERROR },
    { name: 'test -o onto a folder with user files', args: ['test', MODEL, ...QUICK, '-o', 'userdir'], exits: ERROR },
    {
      name: '--target ../../../x.json writes under build/ only',
      args: ['build', MODEL, '--target', '../../../x.json', '--precision', 'float32', '--no-link'],
      setup: hostTargetAt('x.json'),
      exits: SUCCESS,
      mayWrite: [`${WORK}/build`],
    },
    {
      name: '--target ../../x.json writes under build/ only',
      args: ['build', MODEL, '--target', '../../x.json', '--precision', 'float32', '--no-link'],
      setup: hostTargetAt('home/x.json'),
      exits: SUCCESS,
      mayWrite: [`${WORK}/build`],
    },
    { name: 'build without -o writes build/<model>-<target>', ...build([]), exits: SUCCESS, mayWrite: [`${WORK}/build`] },
    { name: '-o a fresh nested folder', ...build(['-o', 'out/new']), exits: SUCCESS, mayWrite: [`${WORK}/out`] },
    {
      name: '-o an empty folder',
      ...build(['-o', 'empty']),
      exits: SUCCESS,
      mayWrite: [`${WORK}/empty`],
      setup: (box) => {
        userFiles(box);
        mkdirSync(box.at(`${WORK}/empty`));
      },
    },
    {
      name: '-o a folder holding only a hidden user file',
      ...build(['-o', 'dotted']),
      exits: ERROR,
      setup: (box) => {
        userFiles(box);
        box.write(`${WORK}/dotted/.config`, 'mine\n');
      },
    },
  ];
  return cases.map((c) => ({
    group,
    setup: (box: Box) => {
      userFiles(box);
      box.write(`${MODEL_DIR}/x.npy`, mlpSamples(1));
    },
    ...c,
  }));
}

// ---------------------------------------------------------------------------------------------------------------------

/** The mlp with its first weight (w1, 512 bytes) stored outside the model, as `entries` say. */
function externalCase(
  name: string,
  entries: (box: Box) => ExternalEntries,
  prepare?: (box: Box, data: Uint8Array) => void,
  exits: readonly number[] = ERROR,
): FuzzCase[] {
  return inspectAndBuild(
    `external data: ${name}`,
    'external data',
    (box) => {
      const { model, data } = withExternalData(mlp(), 'w1', entries(box));
      writeModel(box, model);
      prepare?.(box, data);
    },
    exits,
  );
}

const weightsFile = (box: Box, data: Uint8Array) => box.write(`${MODEL_DIR}/weights.bin`, data);

function externalData(): FuzzCase[] {
  const up = '../../../../'; // from MODEL_DIR to the sandbox
  return [
    ...externalCase("a relative file in the model's folder", () => ({ location: 'weights.bin' }), weightsFile, SUCCESS),
    ...externalCase("absolute location outside the model's folder", (box) => ({ location: box.at(SECRET) })),
    ...externalCase("../ escaping the model's folder", () => ({ location: `${up}${SECRET}` })),
    ...externalCase(
      "a symlink in the model's folder pointing outside",
      () => ({ location: 'weights.bin' }),
      (box) => symlinkSync(box.at(SECRET), box.at(`${MODEL_DIR}/weights.bin`)),
    ),
    ...externalCase(
      'through a symlinked folder pointing outside',
      () => ({ location: 'linked/secret.bin' }),
      (box) => symlinkSync(box.at('secret'), box.at(`${MODEL_DIR}/linked`)),
    ),
    ...externalCase(
      "a FIFO in the model's folder",
      () => ({ location: 'weights.bin' }),
      (box) => {
        spawnSync('mkfifo', [box.at(`${MODEL_DIR}/weights.bin`)]);
      },
    ),
    ...externalCase('/dev/zero', () => ({ location: '/dev/zero' })),
    ...externalCase(
      'a symlink to /dev/zero',
      () => ({ location: 'weights.bin' }),
      (box) => symlinkSync('/dev/zero', box.at(`${MODEL_DIR}/weights.bin`)),
    ),
    ...externalCase('/proc/self/environ', () => ({ location: '/proc/self/environ' })),
    ...externalCase('a folder', () => ({ location: '.' })),
    ...externalCase('a file that does not exist', () => ({ location: 'missing.bin' })),
    ...externalCase('offset -100', () => ({ location: 'weights.bin', offset: -100 }), weightsFile),
    ...externalCase('offset past the end of the file', () => ({ location: 'weights.bin', offset: 100000 }), weightsFile),
    ...externalCase('offset abc', () => ({ location: 'weights.bin', offset: 'abc' }), weightsFile),
    ...externalCase('offset 1.5', () => ({ location: 'weights.bin', offset: '1.5' }), weightsFile),
    ...externalCase('length 10^15', () => ({ location: 'weights.bin', length: 1e15 }), weightsFile),
    ...externalCase('length shorter than the tensor', () => ({ location: 'weights.bin', length: 4 }), weightsFile),
    ...externalCase('length -1', () => ({ location: 'weights.bin', length: -1 }), weightsFile),
    ...inspectAndBuild('external data: a 2^40-element initializer from /dev/zero', 'external data', (box) => {
      writeModel(
        box,
        editModel(mlp(), (m) => {
          const t = initializer(m, 'w1');
          t.dims = [2 ** 20, 2 ** 20];
          setExternal(t, { location: 'zero.bin' });
        }),
      );
      symlinkSync('/dev/zero', box.at(`${MODEL_DIR}/zero.bin`));
    }),
  ];
}

// ---------------------------------------------------------------------------------------------------------------------

/** A real build on host (make and gcc run) into out/, where shell text must never run. */
function injectionCase(name: string, setup: (box: Box) => void, args: (box: Box) => string[]): FuzzCase {
  return {
    name: `injection: ${name}`,
    group: 'injection',
    setup: (box) => {
      writeModel(box, mlp());
      setup(box);
    },
    args: (box) => ['build', MODEL, '--precision', 'float32', '-o', 'out', ...args(box)],
    mayWrite: [`${WORK}/out`],
  };
}

function evilTarget(name: string, edit: (t: Record<string, any>, box: Box) => void, file = 'evil'): FuzzCase {
  return injectionCase(
    `target file: ${name}`,
    (box) =>
      writeTarget(box, `${WORK}/targets/${file}.json`, (t) => {
        t.name = file;
        edit(t, box);
      }),
    () => ['--target', `targets/${file}.json`],
  );
}

/** A script that creates the canary, then runs what it was asked to (so a build through it would succeed). */
function canaryScript(box: Box, rel: string, then: string): void {
  box.write(rel, `#!/bin/sh\ntouch '${box.canary}'\nexec ${then} "$@"\n`);
  spawnSync('chmod', ['+x', box.at(rel)]);
}

function injection(): FuzzCase[] {
  const none = () => undefined;
  const touch = (box: Box) => `touch ${box.canary}`;
  const hostileNames = (box: Box) =>
    editModel(mlp(), (m) => {
      const evil = [`$(shell ${touch(box)})`, `*/ int pwned; /*`, `a\nb" $(${touch(box)}) \``, `'; ${touch(box)}; '`];
      const renames = new Map([
        ['x', evil[0]!],
        ['h', evil[1]!],
        ['hr', evil[2]!],
        ['y', evil[3]!],
      ]);
      const rename = (n: string) => renames.get(n) ?? n;
      for (const node of m.graph!.node!) {
        node.name = `${node.name}${evil[1]}`;
        node.input = node.input!.map(rename);
        node.output = node.output!.map(rename);
      }
      for (const v of [...m.graph!.input!, ...m.graph!.output!]) v.name = rename(v.name!);
      m.graph!.name = evil[0]!;
    });
  return [
    injectionCase('--opt with quotes and ;', none, (box) => ['--target', 'host', '--opt', `-O2'; ${touch(box)}; echo '`]),
    injectionCase('--opt with $(shell)', none, (box) => ['--target', 'host', '--opt', `-O2 $(shell ${touch(box)})`]),
    injectionCase('--opt with backquotes', none, (box) => ['--target', 'host', '--opt', `-O2 \`${touch(box)}\``]),
    injectionCase('--opt with a newline', none, (box) => ['--target', 'host', '--opt', `-O2\n\t${touch(box)}`]),
    evilTarget('description with a newline and $(shell)', (t, box) => {
      t.description = `host\n$(shell ${touch(box)})`;
    }),
    evilTarget('description with $(shell) and no newline', (t, box) => {
      t.description = `host $(shell ${touch(box)})`;
    }),
    evilTarget('compiler.flags with ; and a command', (t, box) => {
      t.compiler.flags = ['-O2;', touch(box)];
    }),
    evilTarget('compiler.flags with $(shell)', (t, box) => {
      t.compiler.flags = [`-DX=$(shell ${touch(box)})`];
    }),
    evilTarget('compiler.flags with backquotes', (t, box) => {
      t.compiler.flags = [`-DX=\`${touch(box)}\``];
    }),
    evilTarget('compiler.linkFlags with a newline', (t, box) => {
      t.compiler.linkFlags = [`-lm\n\t${touch(box)}`];
    }),
    evilTarget('compiler.cc with shell text', (t, box) => {
      t.compiler.cc = `${touch(box)}; gcc`;
    }),
    evilTarget('compiler.cc naming a script', (t, box) => {
      canaryScript(box, `${WORK}/targets/cc.sh`, 'gcc');
      t.compiler.cc = box.at(`${WORK}/targets/cc.sh`);
    }),
    evilTarget('compiler.size naming a script', (t, box) => {
      canaryScript(box, `${WORK}/targets/size.sh`, 'size');
      t.compiler.size = box.at(`${WORK}/targets/size.sh`);
    }),
    evilTarget('cpu with shell text', (t, box) => {
      t.cpu = `host $(shell ${touch(box)})`;
    }),
    injectionCase(
      'model with shell text and comment ends in its names',
      (box) => writeModel(box, hostileNames(box)),
      () => ['--target', 'host'],
    ),
    {
      ...injectionCase(
        'model file name with shell text',
        (box) => writeModel(box, mlp(), `m$(touch PWNED)';touch PWNED;'.onnx`),
        () => ['--target', 'host'],
      ),
      args: ['build', `model/m$(touch PWNED)';touch PWNED;'.onnx`, '--target', 'host', '--precision', 'float32', '-o', 'out'],
    },
    {
      ...injectionCase(
        'model file name with shell text, default output folder',
        (box) => writeModel(box, mlp(), `m$(touch PWNED)';touch PWNED;'.onnx`),
        () => [],
      ),
      args: ['build', `model/m$(touch PWNED)';touch PWNED;'.onnx`, '--target', 'host', '--precision', 'float32'],
      mayWrite: [`${WORK}/build`],
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------------

function hugeSizes(): FuzzCase[] {
  const group = 'huge sizes';
  const model = (bytes: () => Uint8Array) => (box: Box) => writeModel(box, bytes());
  const padModel = (pads: number[]) => rawModel({ inputDims: [1, 1, 4, 4], op: 'Pad', constants: [int64Constant('pads', pads)] });
  const hugeInitializer = (extra: Partial<TensorProto>) => () =>
    editModel(mlp(), (m) => {
      Object.assign(initializer(m, 'w1'), { dims: [2 ** 20, 2 ** 20], rawData: new Uint8Array(), ...extra });
    });
  const calibSetup = (bytes: () => Uint8Array) => (box: Box) => {
    writeModel(box, bytes());
    box.write(`${MODEL_DIR}/calib.npy`, encodeNpy([4, 1, 1, 4, 4], randomFloats(64, 3)));
  };
  return [
    ...inspectAndBuild(
      'a dimension of 3758096377',
      group,
      model(() => rawModel({ inputDims: [1, 3758096377], op: 'Relu' })),
    ),
    ...inspectAndBuild(
      'a dimension of 2^53',
      group,
      model(() => rawModel({ inputDims: [1, 2 ** 53], op: 'Relu' })),
    ),
    ...inspectAndBuild(
      'a negative dimension',
      group,
      model(() => rawModel({ inputDims: [1, -5], op: 'Relu' })),
    ),
    ...inspectAndBuild(
      'pads of 2^31',
      group,
      model(() => padModel([0, 0, 2 ** 31, 2 ** 31, 0, 0, 2 ** 31, 2 ** 31])),
    ),
    ...inspectAndBuild(
      'pads of -2^31',
      group,
      model(() => padModel([0, 0, -(2 ** 31), 0, 0, 0, 0, 0])),
    ),
    ...inspectAndBuild(
      'Expand to 2^35 elements',
      group,
      model(() => rawModel({ inputDims: [1, 1], op: 'Expand', constants: [int64Constant('shape', [32, 1024, 1024, 1024])] })),
    ),
    ...inspectAndBuild(
      'Tile by 2^31',
      group,
      model(() => rawModel({ inputDims: [1, 4], op: 'Tile', constants: [int64Constant('repeats', [1, 2 ** 31])] })),
    ),
    ...inspectAndBuild(
      'Reshape to [2^31, 2^31]',
      group,
      model(() => rawModel({ inputDims: [1, 4], op: 'Reshape', constants: [int64Constant('shape', [2 ** 31, 2 ** 31])] })),
    ),
    ...inspectAndBuild('a 2^40-element initializer without data', group, model(hugeInitializer({}))),
    ...inspectAndBuild('a 2^40-element initializer with 16 bytes of data', group, model(hugeInitializer({ rawData: new Uint8Array(16) }))),
    ...inspectAndBuild('a 2^40-element initializer with 3 float_data values', group, model(hugeInitializer({ floatData: [1, 2, 3] }))),
    ...inspectAndBuild(
      'Conv with strides of 0',
      group,
      model(() =>
        editModel(BASE_MODELS.cnn.bytes(), (m) => {
          m.graph!.node![0]!.attribute!.push({ name: 'strides', type: 7, ints: [0, 0] });
        }),
      ),
      [0, 1, 2],
    ),
    ...inspectAndBuild(
      'Conv with dilations of 2^31',
      group,
      model(() =>
        editModel(BASE_MODELS.cnn.bytes(), (m) => {
          m.graph!.node![0]!.attribute!.push({ name: 'dilations', type: 7, ints: [2 ** 31, 2 ** 31] });
        }),
      ),
    ),
    {
      name: 'int8 calibration through a 2^30-element Pad',
      group,
      setup: calibSetup(() => padModel([0, 0, 16382, 16382, 0, 0, 16382, 16382])),
      args: ['build', MODEL, '--target', 'host', '--calib', 'model/calib.npy', '--no-link', '-o', 'out'],
      exits: [0, 1, 2],
      mayWrite: [`${WORK}/out`],
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------------

function badNumbers(): FuzzCase[] {
  const group = 'bad numbers';
  const setup = (box: Box) => {
    writeModel(box, mlp());
    box.write(`${MODEL_DIR}/x.npy`, mlpSamples(2));
    box.write(`${MODEL_DIR}/calib.npy`, mlpSamples(8));
  };
  const test = (...opts: string[]) => ['test', MODEL, ...QUICK, ...opts];
  const run = (...opts: string[]) => ['run', MODEL, ...QUICK, '--input', 'model/x.npy', ...opts];
  const build = (...opts: string[]) => ['build', MODEL, '--target', 'host', '--no-link', '-o', 'out', ...opts];
  const calib = ['--calib', 'model/calib.npy'];
  const cases: [string, string[], readonly number[]][] = [
    ['test --rtol -1 --atol -1', test('--rtol', '-1', '--atol', '-1'), USAGE],
    ['test --rtol abc', test('--rtol', 'abc'), USAGE],
    ['test --atol NaN', test('--atol', 'NaN'), USAGE],
    ['test --rtol Infinity', test('--rtol', 'Infinity'), USAGE],
    ['test --count 2.9', test('--count', '2.9'), USAGE],
    ['run --timeout 3000000', run('--timeout', '3000000'), [0, 2]],
    ['run --timeout 0', run('--timeout', '0'), USAGE],
    ['run --timeout -5', run('--timeout', '-5'), USAGE],
    ['run --timeout 1e400', run('--timeout', '1e400'), USAGE],
    ['run --count 2.9', run('--count', '2.9'), USAGE],
    ['run --count 0', run('--count', '0'), USAGE],
    ['run --scale abc', run('--scale', 'abc'), USAGE],
    ['run --scale 1/0', run('--scale', '1/0'), USAGE],
    ['build --calib-count 2.9', build(...calib, '--calib-count', '2.9'), USAGE],
    ['build --calib-count -3', build(...calib, '--calib-count', '-3'), USAGE],
    ['build --calib-scale 1/0', build(...calib, '--calib-scale', '1/0'), USAGE],
    ['build --percentile 101', build(...calib, '--percentile', '101'), USAGE],
    ['build --percentile NaN', build(...calib, '--percentile', 'NaN'), USAGE],
    ['build --arena 99999999999999999999k', build('--precision', 'float32', '--arena', '99999999999999999999k'), USAGE],
    ['build --arena -1', build('--precision', 'float32', '--arena', '-1'), USAGE],
    ['build --input-shape x=0x16', build('--precision', 'float32', '--input-shape', 'x=0x16'), ERROR],
    ['build --input-shape x=1x99999999999999999999', build('--precision', 'float32', '--input-shape', 'x=1x99999999999999999999'), ERROR],
    ['build --input-shape x=1.5x16', build('--precision', 'float32', '--input-shape', 'x=1.5x16'), ERROR],
    ['build --precision int4', build('--precision', 'int4'), USAGE],
  ];
  return cases.map(([name, args, exits]) => ({
    name,
    group,
    setup,
    args,
    exits,
    mayWrite: args.includes('build') ? [`${WORK}/out`] : [],
  }));
}

// ---------------------------------------------------------------------------------------------------------------------

function malformedData(): FuzzCase[] {
  const group = 'malformed data';
  const floats = (n: number) => new Uint8Array(new Float32Array(n).buffer);
  const runWith = (name: string, data: () => Uint8Array, precision = 'float32', file = 'x.npy'): FuzzCase => ({
    name,
    group,
    setup: (box) => {
      writeModel(box, mlp());
      box.write(`${MODEL_DIR}/${file}`, data());
      box.write(`${MODEL_DIR}/calib.npy`, mlpSamples(8));
    },
    args: [
      'run',
      MODEL,
      '--target',
      'host',
      '--precision',
      precision,
      '--input',
      `model/${file}`,
      ...(precision === 'int8' ? ['--calib', 'model/calib.npy'] : []),
    ],
    exits: ERROR,
  });
  const calibWith = (name: string, data: () => Uint8Array): FuzzCase => ({
    name,
    group,
    setup: (box) => {
      writeModel(box, mlp());
      box.write(`${MODEL_DIR}/calib.npy`, data());
    },
    args: ['build', MODEL, '--target', 'host', '--calib', 'model/calib.npy', '--no-link', '-o', 'out'],
    exits: ERROR,
    mayWrite: [`${WORK}/out`],
  });
  return [
    runWith('.npy with shape (2.5, 1, 16)', () => rawNpy('(2.5, 1, 16)', floats(40))),
    {
      ...runWith('.npy with shape (2.5, 1, 8, 8) for a [1, 1, 8, 8] input', () => rawNpy('(2.5, 1, 8, 8)', floats(160))),
      setup: (box) => {
        writeModel(box, BASE_MODELS.cnn.bytes());
        box.write(`${MODEL_DIR}/x.npy`, rawNpy('(2.5, 1, 8, 8)', floats(160)));
      },
    },
    runWith('.npy with shape (-1, 16)', () => rawNpy('(-1, 16)', floats(16))),
    runWith('.npy with shape (10^12, 16) and 16 values', () => rawNpy('(1000000000000, 16)', floats(16))),
    runWith('.npy with shape (1e3, 16)', () => rawNpy('(1e3, 16)', floats(16000))),
    runWith('truncated .npy', () => rawNpy('(4, 1, 16)', floats(3))),
    runWith('.npy longer than its header says', () => rawNpy('(1, 1, 16)', floats(40))),
    runWith('.npy with a complex dtype', () => rawNpy('(1, 1, 16)', floats(32), '<c8'), 'float32'),
    runWith('.npy with a garbage header', () => new TextEncoder().encode('\x93NUMPY\x01\x00\x10\x00{{{{{{{{{{{{{{{\n')),
    runWith('an empty input file', () => new Uint8Array()),
    runWith('raw .bin not a whole number of samples', () => floats(20), 'float32', 'x.bin'),
    runWith('NaN inputs to an int8 run', () => mlpSamples(2, NaN), 'int8'),
    runWith('infinite inputs to an int8 run', () => mlpSamples(2, Infinity), 'int8'),
    calibWith('NaN calibration data', () => mlpSamples(8, NaN)),
    calibWith('calibration .npy with shape (2.5, 1, 16)', () => rawNpy('(2.5, 1, 16)', floats(40))),
  ];
}

// ---------------------------------------------------------------------------------------------------------------------

function duplicateNames(): FuzzCase[] {
  const group = 'duplicate names';
  const edited = (edit: Parameters<typeof editModel>[1]) => (box: Box) => writeModel(box, editModel(mlp(), edit));
  return [
    ...inspectAndBuild(
      'two initializers named w1',
      group,
      edited((m) => {
        m.graph!.initializer!.push({ name: 'w1', dims: [16, 8], dataType: OnnxDataType.FLOAT, rawData: new Uint8Array(512).fill(0x3f) });
      }),
    ),
    ...inspectAndBuild(
      'two initializers named w1 of different shapes',
      group,
      edited((m) => {
        m.graph!.initializer!.push({ name: 'w1', dims: [3], dataType: OnnxDataType.FLOAT, floatData: [1, 2, 3] });
      }),
    ),
    ...inspectAndBuild(
      'two inputs named x',
      group,
      edited((m) => {
        m.graph!.input!.push({ ...m.graph!.input![0]! });
      }),
    ),
    ...inspectAndBuild(
      'two nodes producing the same output',
      group,
      edited((m) => {
        m.graph!.node!.push({ name: 'again', opType: 'Relu', input: ['hb'], output: ['hr'] });
      }),
    ),
    ...inspectAndBuild(
      'a node overwriting the graph input',
      group,
      edited((m) => {
        m.graph!.node!.push({ name: 'clobber', opType: 'Relu', input: ['y'], output: ['x'] });
      }),
    ),
    ...inspectAndBuild(
      'a node overwriting an initializer',
      group,
      edited((m) => {
        m.graph!.node!.push({ name: 'clobber', opType: 'Relu', input: ['hb'], output: ['w2'] });
      }),
    ),
    ...inspectAndBuild(
      'an initializer that is also a graph input (its default value)',
      group,
      edited((m) => {
        m.graph!.input!.push({ name: 'b1', type: { tensorType: { elemType: OnnxDataType.FLOAT, shape: { dim: [{ dimValue: 8 }] } } } });
      }),
      SUCCESS,
    ),
  ];
}

// ---------------------------------------------------------------------------------------------------------------------

function brokenModels(): FuzzCase[] {
  const group = 'broken model files';
  const cnn = () => BASE_MODELS.cnn.bytes();
  const inspect = (name: string, setup: (box: Box) => void, exits: readonly number[] = ERROR): FuzzCase => ({
    name,
    group,
    setup,
    args: ['inspect', MODEL],
    exits,
  });
  const bytes = (make: () => Uint8Array) => (box: Box) => writeModel(box, make());
  const flipped = (seed: number) => () => {
    const b = cnn();
    let s = seed;
    for (let i = 0; i < 8; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      b[s % b.length]! ^= 1 << (s >>> 29);
    }
    return b;
  };
  return [
    inspect(
      'an empty model file',
      bytes(() => new Uint8Array()),
    ),
    inspect(
      'a model cut to 10 bytes',
      bytes(() => cnn().subarray(0, 10)),
    ),
    inspect(
      'a model cut in half',
      bytes(() => {
        const b = cnn();
        return b.subarray(0, b.length >> 1);
      }),
    ),
    inspect(
      'a model missing its last byte',
      bytes(() => {
        const b = cnn();
        return b.subarray(0, b.length - 1);
      }),
    ),
    inspect('a model path that is a folder', (box) => box.write(`${MODEL_DIR}/model.onnx/inside.txt`, 'x')),
    inspect('a model path that is a FIFO', (box) => {
      spawnSync('mkfifo', [box.at(`${MODEL_DIR}/model.onnx`)]);
    }),
    inspect('a model path that is a symlink to /dev/zero', (box) => symlinkSync('/dev/zero', box.at(`${MODEL_DIR}/model.onnx`))),
    inspect('a model that does not exist', () => undefined),
    ...(
      [
        ['GRAPH', 5],
        ['TENSOR', 4],
        ['SPARSE_TENSOR', 11],
        ['TYPE_PROTO', 13],
      ] as const
    ).map(([name, type]) =>
      inspect(
        `an attribute of type ${name} that holds no value`,
        bytes(() =>
          editModel(cnn(), (m) => {
            m.graph!.node![1]!.attribute = [{ name: 'body', type }];
          }),
        ),
      ),
    ),
    inspect(
      'a text file named .onnx',
      bytes(() => new TextEncoder().encode('ir_version: 8\ngraph { }\n')),
    ),
    ...[1, 2, 3, 4, 5, 6].map((seed) => inspect(`a model with 8 bits flipped (seed ${seed})`, bytes(flipped(seed)), [0, 1, 2])),
    {
      name: 'a model with 8 bits flipped, built on host',
      group,
      setup: bytes(flipped(7)),
      args: ['build', MODEL, '--target', 'host', '--precision', 'float32', '-o', 'out'],
      mayWrite: [`${WORK}/out`],
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------------

/** Data and target files that are devices or pipes: the command must neither hang nor read without end. */
function specialFiles(): FuzzCase[] {
  const group = 'special files';
  const setup = (box: Box) => {
    writeModel(box, mlp());
    spawnSync('mkfifo', [box.at(`${MODEL_DIR}/fifo.npy`), box.at(`${MODEL_DIR}/fifo.json`)]);
    symlinkSync('/dev/zero', box.at(`${MODEL_DIR}/zero.npy`));
    symlinkSync('/dev/zero', box.at(`${MODEL_DIR}/zero.json`));
  };
  const c = (name: string, args: string[]): FuzzCase => ({ name, group, setup, args, exits: ERROR, mayWrite: [`${WORK}/out`] });
  const build = ['build', MODEL, '--target', 'host', '--no-link', '-o', 'out'];
  return [
    c('--input a FIFO', ['run', MODEL, ...QUICK, '--input', 'model/fifo.npy']),
    c('--input /dev/zero', ['run', MODEL, ...QUICK, '--input', 'model/zero.npy']),
    c('--calib a FIFO', [...build, '--calib', 'model/fifo.npy']),
    c('--calib /dev/zero', [...build, '--calib', 'model/zero.npy']),
    c('--target a FIFO', ['build', MODEL, '--target', 'model/fifo.json', '--precision', 'float32', '--no-link', '-o', 'out']),
    c('--target /dev/zero', ['build', MODEL, '--target', 'model/zero.json', '--precision', 'float32', '--no-link', '-o', 'out']),
  ];
}

/** Commands that must work and leave nothing behind: the controls that keep the refusals above honest. */
function cleanRuns(): FuzzCase[] {
  const group = 'leftovers';
  const setup = (box: Box) => {
    writeModel(box, mlp());
    box.write(`${MODEL_DIR}/x.npy`, mlpSamples(2));
    box.write(`${MODEL_DIR}/calib.npy`, mlpSamples(8));
    box.write(`${MODEL_DIR}/x8.npy`, encodeNpy([1, 8], new Float32Array(8)));
  };
  const c = (name: string, args: string[], exits: readonly number[] = SUCCESS, mayWrite: string[] = []): FuzzCase => ({
    name,
    group,
    setup,
    args,
    exits,
    mayWrite,
  });
  return [
    c('run without -o leaves nothing in TMPDIR', ['run', MODEL, ...QUICK, '--input', 'model/x.npy']),
    c('test without -o leaves nothing in TMPDIR', ['test', MODEL, ...QUICK]),
    c('int8 test with calibration leaves nothing in TMPDIR', ['test', MODEL, '--target', 'host', '--calib', 'model/calib.npy']),
    c('run --json', ['run', MODEL, ...QUICK, '--input', 'model/x.npy', '--json']),
    c('a failing run (input of the wrong size) leaves nothing', ['run', MODEL, ...QUICK, '--input', 'model/x8.npy'], ERROR),
    c('a failing run --json prints one error document', ['run', MODEL, ...QUICK, '--input', 'model/missing.npy', '--json'], ERROR),
    c('a linked build on host', ['build', MODEL, ...QUICK, '-o', 'out'], SUCCESS, [`${WORK}/out`]),
    c('a firmware build that fails in gcc', ['build', MODEL, '--target', 'targets/bad.json', '--precision', 'float32', '-o', 'out'], ERROR, [
      `${WORK}/out`,
    ]),
  ].map((fc) =>
    fc.name.includes('fails in gcc')
      ? {
          ...fc,
          setup: (box: Box) => {
            setup(box);
            writeTarget(box, `${WORK}/targets/bad.json`, (t) => {
              t.name = 'bad';
              t.compiler.flags = ['-fno-such-flag-anywhere'];
            });
          },
        }
      : fc,
  );
}

/** Every case of the fixed corpus. */
export function corpus(): FuzzCase[] {
  return [
    ...dataLoss(),
    ...externalData(),
    ...injection(),
    ...hugeSizes(),
    ...badNumbers(),
    ...malformedData(),
    ...duplicateNames(),
    ...brokenModels(),
    ...specialFiles(),
    ...cleanRuns(),
  ];
}
