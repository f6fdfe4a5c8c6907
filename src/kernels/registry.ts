// Every kernel contract, and the contract of a C kernel by its function name.

import { ACTIVATION_F32 } from './activation-f32.js';
import type { KernelContract } from './contract.js';
import { CONV_1X1_F32, CONV_1X1_IN_PLACE_F32, CONV_F32, CONV_PAIR_F32, CONV_POOL_F32, DEPTHWISE_F32, DEPTHWISE_IN_PLACE_F32 } from './conv-f32.js';
import { CONV_1X1_IN_PLACE_S8, CONV_1X1_S8, CONV_S8 } from './conv-s8.js';
import { DEPTHWISE_S8 } from './depthwise-s8.js';
import { ELEMENTWISE_F32 } from './elementwise-f32.js';
import { ELEMENTWISE_S8 } from './elementwise-s8.js';
import { FC_F32 } from './fc-f32.js';
import { FC_S8 } from './fc-s8.js';
import { CONV_S16, FC_S16, GLOBAL_MAX_POOL_S16, MAX_POOL_S16, REQUANTIZE_S16 } from './int16.js';
import { POOL_F32 } from './pool-f32.js';
import { AVG_POOL_S8, MAX_POOL_S8 } from './pool-s8.js';
import { RECURRENT_F32 } from './recurrent-f32.js';

/** The contracts, int8 first in the order eenn_config.h lists their switches, then int16 and float32. */
export const KERNEL_CONTRACTS: readonly KernelContract[] = [
  CONV_S8,
  CONV_1X1_S8,
  CONV_1X1_IN_PLACE_S8,
  FC_S8,
  DEPTHWISE_S8,
  MAX_POOL_S8,
  AVG_POOL_S8,
  ELEMENTWISE_S8,
  CONV_S16,
  FC_S16,
  REQUANTIZE_S16,
  MAX_POOL_S16,
  GLOBAL_MAX_POOL_S16,
  CONV_F32,
  CONV_1X1_F32,
  DEPTHWISE_F32,
  DEPTHWISE_IN_PLACE_F32,
  CONV_1X1_IN_PLACE_F32,
  CONV_POOL_F32,
  CONV_PAIR_F32,
  FC_F32,
  POOL_F32,
  ELEMENTWISE_F32,
  ACTIVATION_F32,
  RECURRENT_F32,
];

const BY_KERNEL = new Map(KERNEL_CONTRACTS.flatMap((c) => c.kernels.map((fn) => [fn, c] as const)));

/** The contract of the C kernel `fn`, if it has one. */
export function contractOf(fn: string): KernelContract | undefined {
  return BY_KERNEL.get(fn);
}
