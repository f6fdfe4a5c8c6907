// EennError as a person and a program see it: always a hint (its own, else its code's), and the --json document.

import { describe, expect, it } from 'vitest';
import { EennError, FALLBACK_HINTS, nodeError, type ErrorCode } from '../../src/ir/diagnostics.js';

describe('EennError', () => {
  it("without a hint of its own (or an empty one), takes its code's; its own wins", () => {
    for (const code of Object.keys(FALLBACK_HINTS) as ErrorCode[]) {
      const e = new EennError({ code, message: 'something went wrong' });
      expect(e.hint).toBe(FALLBACK_HINTS[code]);
      expect(e.hint.length).toBeGreaterThan(20);
      expect(e.format().split('\n').at(-1)).toBe(`hint: ${FALLBACK_HINTS[code]}`);
    }
    expect(new EennError({ code: 'E_DATA', message: 'm', hint: '' }).hint).toBe(FALLBACK_HINTS.E_DATA);
    expect(new EennError({ code: 'E_DATA', message: 'm', hint: 'give more samples' }).hint).toBe('give more samples');
    expect(nodeError('E_SHAPE', { name: 'conv1', op: 'Conv' }, 'bad pads').hint).toBe(FALLBACK_HINTS.E_SHAPE);
    expect(new EennError({ code: 'E_FILE', message: 'm', hint: 'check it' }).withFile('model.onnx').hint).toBe('check it');
  });

  it('its --json document: code, message, file, node and hint always, null where unknown, details when there are some', () => {
    const plain = new EennError({ code: 'E_FILE', message: 'cannot read the model' });
    expect(plain.toDocument()).toEqual({
      error: { code: 'E_FILE', message: 'cannot read the model', file: null, node: null, hint: FALLBACK_HINTS.E_FILE },
    });
    const full = new EennError({
      code: 'E_UNSUPPORTED',
      message: '2 operators have no kernel',
      file: 'm.onnx',
      node: { name: 'n1', op: 'Foo' },
      hint: 'replace them',
      details: ['Foo (n1)', 'Bar (n2)'],
    });
    expect(full.toDocument()).toEqual({
      error: {
        code: 'E_UNSUPPORTED',
        message: '2 operators have no kernel',
        file: 'm.onnx',
        node: { name: 'n1', op: 'Foo' },
        hint: 'replace them',
        details: ['Foo (n1)', 'Bar (n2)'],
      },
    });
  });
});
