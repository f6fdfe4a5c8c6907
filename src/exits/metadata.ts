// The exits a model states in its metadata_props (as `eennc augment` writes them): the keys, their writer and
// their reader, which names the key of a malformed value.

import { EennError } from '../ir/diagnostics.js';
import { EXIT_POLICIES, type ExitPolicy } from '../ir/exits.js';

/** Output names in exit order, comma-separated; the last is the final classifier. */
export const EXITS_KEY = 'eennc.exits';
/** The policy: max-softmax, margin or entropy. */
export const EXIT_POLICY_KEY = 'eennc.exit_policy';
/** The thresholds, comma-separated, one per early exit. */
export const EXIT_THRESHOLDS_KEY = 'eennc.exit_thresholds';

/** What a model's metadata states about its exits. */
export interface ExitMetadata {
  outputs: string[];
  policy?: ExitPolicy;
  thresholds?: number[];
}

/** The metadata_props entries stating `exits` (merged over the model's other entries by the writer). */
export function exitMetadata(exits: { outputs: readonly string[]; policy: ExitPolicy; thresholds: readonly number[] }): Record<string, string> {
  return {
    [EXITS_KEY]: exits.outputs.join(','),
    [EXIT_POLICY_KEY]: exits.policy,
    [EXIT_THRESHOLDS_KEY]: exits.thresholds.map((t) => String(t)).join(','),
  };
}

function malformed(key: string, value: string, what: string): EennError {
  return new EennError({
    code: 'E_MODEL',
    message: `the model's metadata_props entry ${key} = "${value}" is not ${what}`,
    hint: `write it again with \`eennc augment\`, or override it with --exits, --exit-policy and --exit-threshold`,
  });
}

/** The exits stated by `metadata` (undefined when it states none); a malformed entry is an E_MODEL naming its key. */
export function readExitMetadata(metadata: Record<string, string> | undefined): ExitMetadata | undefined {
  const names = metadata?.[EXITS_KEY];
  if (metadata === undefined || names === undefined) return undefined;
  const outputs = names.split(',').map((s) => s.trim());
  if (outputs.some((s) => s === '')) throw malformed(EXITS_KEY, names, 'a comma-separated list of output names');
  const result: ExitMetadata = { outputs };
  const policy = metadata[EXIT_POLICY_KEY];
  if (policy !== undefined) {
    if (!(EXIT_POLICIES as readonly string[]).includes(policy.trim())) throw malformed(EXIT_POLICY_KEY, policy, `one of ${EXIT_POLICIES.join(', ')}`);
    result.policy = policy.trim() as ExitPolicy;
  }
  const thresholds = metadata[EXIT_THRESHOLDS_KEY];
  if (thresholds !== undefined) {
    const values = thresholds.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
    if (values.some((v) => !Number.isFinite(v))) throw malformed(EXIT_THRESHOLDS_KEY, thresholds, 'a comma-separated list of numbers');
    result.thresholds = values;
  }
  return result;
}
