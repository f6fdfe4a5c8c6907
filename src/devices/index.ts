// The devices stage of a multi-device build (--devices): the options, the cuts of the schedule, the two graphs of
// a cut, each side's memory, the cost model that chooses the cut, the link frame's constants and the report's table.

export type * from './types.js';
export { resolveDeviceOptions, parseLink, uartNanojoulesPerByte, UART_BITS_PER_BYTE, type RawDeviceOptions } from './options.js';
export { enumerateCuts, resolveCut, cutLabel } from './cuts.js';
export { splitGraph } from './split-graph.js';
export { sideMemory, fitOf, smallestFittingPair, LINK_CODE_BYTES, type Footprint, type ProjectSizer, type TargetPair } from './memory.js';
export { evaluateCuts, chooseCut, objectiveValue, lineSeconds } from './cost-model.js';
export {
  FRAME_MAGIC,
  FRAME_HEADER_BYTES,
  FRAME_CRC_BYTES,
  FRAME_OVERHEAD_BYTES,
  FRAME_OFFSETS,
  FRAME_TYPES,
  DEFAULT_LINK_TIMEOUT_MS,
  LINK_STATUS,
  LINK_COSTS,
  linkStatusName,
  frameBytes,
  crc32,
  encodeFrame,
  modelHash,
} from './frame.js';
export { devicesReport } from './report.js';
