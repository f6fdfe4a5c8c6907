// Test harness for int8 models: the library's runInt8Model (src/run-graph.ts), under the name the tests import.

export { runInt8Model, type Int8Run } from '../../src/run-graph.js';
