/** `draw-network`: a picture of a network definition for `POST /models/visualize-network` (§11.6). */
import type { Job } from 'bullmq';
import { Errors, payloadChecker, type ResultOf } from '@digits-ts/contracts';
import { detectNetworkFormat, readLayersTopology } from '@digits-ts/caffe';
import { rasteriseSvg } from '@digits-ts/imaging';
import { caffeNetworkGraph, layersTopologyGraph, networkSvg, pngSizedSvg, type NetworkGraph } from '@digits-ts/ml';

export const name = 'draw-network';
/** GraphViz lays out synchronously: beyond this a picture takes many seconds and is unreadable anyway. */
const MAX_LAYERS = 1000;

/** The graph of a prototxt or a layers JSON, as detected from the text; user mistakes are 400s. */
function graphOf(text: string): NetworkGraph {
  const detected = detectNetworkFormat(text);
  if ('refused' in detected) throw Errors.NETWORK_INVALID(detected.refused);
  if (detected.format === 'prototxt') return caffeNetworkGraph(text);
  const read = readLayersTopology(text);
  if ('problem' in read) throw Errors.NETWORK_INVALID(`Bad network: ${read.problem}`);
  try {
    return layersTopologyGraph(read.topology);
  } catch (err) {
    throw Errors.NETWORK_INVALID(`Bad network: ${(err as Error).message}`);
  }
}

export function createDrawNetworkProcessor() {
  return async function process(job: Job): Promise<ResultOf<'draw-network'>> {
    const payload = payloadChecker('draw-network').parse(job.data, 'draw-network payload');
    const graph = graphOf(payload.network);
    if (graph.layers.length > MAX_LAYERS) throw Errors.NETWORK_INVALID(`the network has ${graph.layers.length} layers; pictures are drawn for up to ${MAX_LAYERS}`);
    const svg = await networkSvg(graph);
    if (payload.format === 'svg') return { format: 'svg', data: svg };
    return { format: 'png', data: (await rasteriseSvg(pngSizedSvg(svg))).toString('base64') };
  };
}
