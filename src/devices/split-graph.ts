// The two graphs of a cut: the node's (the model inputs to the cut tensor, with the early exits decided before the
// cut) and the gateway's (the cut tensor to the remaining outputs), each a whole model that plans and emits as any.

import type { Graph, Node, Tensor } from '../ir/graph.js';
import type { GraphExits } from '../ir/exits.js';
import type { Step } from '../schedule/schedule.js';
import type { Cut, SplitGraphs } from './types.js';

/** The name suffix of each side's graph. */
const NODE_SUFFIX = '_node';
const GATEWAY_SUFFIX = '_gateway';

/**
 * The node's and the gateway's graphs of `cut` (one of enumerateCuts(graph, steps)). Position 0: no node graph (the
 * node sends the input as read); position steps.length: the node's graph is `graph` itself, no gateway.
 */
export function splitGraph(graph: Graph, steps: readonly Step[], cut: Cut): SplitGraphs {
  const n = steps.length;
  if (cut.position === n) return { cut, node: graph };
  const tensor = cut.tensor;
  if (tensor === undefined) throw new Error(`internal: the cut at ${cut.position} of ${n} sends no tensor`);
  const onNode = new Set<Node>(steps.slice(0, cut.position).flatMap((step) => step.nodes));
  const nodeNodes = graph.nodes.filter((node) => onNode.has(node));
  const gatewayNodes = graph.nodes.filter((node) => !onNode.has(node));
  const exits = graph.exits;
  const j = cut.nodeExits.length;
  const nodeExitOutputs = exits ? exits.outputs.slice(0, j) : [];
  const gateway = sideGraph(
    graph,
    `${graph.name}${GATEWAY_SUFFIX}`,
    gatewayNodes,
    [tensor],
    gatewayOutputs(graph, nodeExitOutputs),
    gatewayExits(exits, j),
  );
  if (cut.position === 0) return { cut, gateway };
  const nodeInputs = graph.inputs.filter((name) => nodeNodes.some((node) => node.inputs.includes(name)));
  const nodeExits: GraphExits | undefined =
    exits && j > 0
      ? {
          outputs: [...nodeExitOutputs, tensor],
          policy: exits.policy,
          thresholds: exits.thresholds.slice(0, j),
          decisions: exits.decisions.slice(0, j),
          continues: true,
        }
      : undefined;
  const node = sideGraph(graph, `${graph.name}${NODE_SUFFIX}`, nodeNodes, nodeInputs, [...nodeExitOutputs, tensor], nodeExits);
  return { cut, node, gateway };
}

/** The whole graph's outputs that the node does not answer with, in the whole graph's order. */
function gatewayOutputs(graph: Graph, nodeExitOutputs: readonly string[]): string[] {
  return graph.outputs.filter((name) => !nodeExitOutputs.includes(name));
}

/** The exits left to the gateway when the node decides the first `j`: none when only the final one is left. */
function gatewayExits(exits: GraphExits | undefined, j: number): GraphExits | undefined {
  if (!exits || exits.outputs.length - j <= 1) return undefined;
  return {
    outputs: exits.outputs.slice(j),
    policy: exits.policy,
    thresholds: exits.thresholds.slice(j),
    decisions: exits.decisions.slice(j),
  };
}

/** A graph of `nodes` (in the whole graph's order) with only the tensors they, its inputs and outputs use. */
function sideGraph(whole: Graph, name: string, nodes: Node[], inputs: string[], outputs: string[], exits: GraphExits | undefined): Graph {
  const used = new Set<string>([...inputs, ...outputs]);
  for (const node of nodes) for (const t of [...node.inputs, ...node.outputs]) if (t !== '') used.add(t);
  for (const decision of exits?.decisions ?? []) used.add(decision.tensor);
  const tensors = new Map<string, Tensor>();
  for (const [tensorName, tensor] of whole.tensors) if (used.has(tensorName)) tensors.set(tensorName, tensor);
  return { name, opset: whole.opset, tensors, nodes, inputs, outputs, ...(exits ? { exits } : {}) };
}
