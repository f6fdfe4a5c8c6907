// Early exits as the IR carries them: which model outputs are exits, in order, and how each decides to stop.
// The exits stage (src/exits/) fills this in; the schedule, codegen and the references read it.

/** How an exit decides that its answer is good enough (DESIGN.md, "Early exits"). */
export type ExitPolicy = 'max-softmax' | 'margin' | 'entropy';

export const EXIT_POLICIES: readonly ExitPolicy[] = ['max-softmax', 'margin', 'entropy'];

/**
 * The integer form of one exit's decision on an int8 tensor: identical in the C (templates/c/kernels/eenn_exit_s8.c)
 * and in the reference (src/exits/decide.ts). The exits stage computes it from the tensor's scale, the policy and
 * the threshold; what the fields mean is written there, once (src/exits/rule.ts).
 */
export interface Int8ExitRule {
  /** logits: the exponential table E[d]; probabilities with entropy: the -p ln p table by q + 128; else empty. */
  table: number[];
  /** The integer bound the statistic is compared with. */
  bound: number;
  /** logits with entropy: the weight of sum E[d] d (the scale in Q24 bits); 0 otherwise. */
  weight: number;
}

/** One exit: an output of the model, where the generated code may stop. */
export interface ExitDecision {
  /** The model output this exit answers with. */
  output: string;
  /**
   * The tensor the decision reads: the output itself, or the int8 tensor a DequantizeLinear turns into the output
   * (an int8 build with float32 outputs decides on the integers).
   */
  tensor: string;
  /** 'logits': the decision applies softmax; 'probabilities': the tensor is already a softmax output. */
  kind: 'logits' | 'probabilities';
  /** Set on the int8 exits (the decision tensor is int8); float32 exits decide in float. */
  int8?: Int8ExitRule;
}

/** A multi-exit model: every exit in order, the last being the final classifier (which always answers). */
export interface GraphExits {
  /** Model output names in exit order; the last is the final classifier. */
  outputs: string[];
  policy: ExitPolicy;
  /** One threshold per early exit (outputs.length - 1 of them). */
  thresholds: number[];
  /** One decision per early exit, in order (the final exit needs none). */
  decisions: ExitDecision[];
  /**
   * Set on the node's part of a multi-device build (src/devices/): the last output is not a classifier but the
   * tensor the node sends to the next device, so an eenn_run() that returns the last index has not answered.
   */
  continues?: boolean;
}
