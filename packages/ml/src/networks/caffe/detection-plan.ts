/**
 * DetectNet's layers in a Caffe net, as our own declarative types (DIGITS ran them as Python
 * layers): `DetectNetTransformation` (label → coverage and box grids, for the loss layers),
 * `ClusterDetections` (coverage + boxes → `[l, t, r, b, confidence]` list, applied to the deploy
 * outputs) and `ScoreDetections` (that list against the labels → mAP, precision, recall on val).
 */
import { FIELDS, layerError, type CaffeLayer } from '@digits-ts/caffe';
import type { DetectionSpec } from '../../detection/spec.ts';
import type { DetectionTarget } from '../../detection/targets.ts';
import type { HeadPlan, StagePlan, Step } from './plan.ts';

/** The label blob, or a grid a DetectNetTransformation made of it (`label:<layer index>#<top>`). */
export const isLabelSource = (source: string) => source === 'label' || source.startsWith('label:');

/** The grid a loss layer reading `source` compares with; undefined for the raw label. */
export function targetOf(loss: CaffeLayer, source: string, steps: readonly Step[]): DetectionTarget | undefined {
  const match = /^label:(\d+)#(\d+)$/.exec(source);
  if (!match) return undefined;
  const transform = steps.find((s) => s.layer.index === Number(match[1]))!.layer;
  if (transform.bottom.length !== 1 || transform.top.length !== 2) throw layerError(transform, 'needs one bottom (the label) and two tops (coverage, boxes)');
  const p = transform.param('detectnet_groundtruth_param', FIELDS.detectnetGroundtruth);
  const stride = p.int('stride', undefined, 1);
  if (stride === undefined) throw layerError(transform, 'needs detectnet_groundtruth_param.stride (input pixels per output cell)');
  const scaleCvg = p.number('scale_cvg', 0.4);
  if (!(scaleCvg > 0 && scaleCvg <= 1)) throw layerError(transform, `needs scale_cvg in (0, 1] but has ${scaleCvg}`);
  if (loss.type === 'SoftmaxWithLoss') throw layerError(loss, 'cannot read a DetectNetTransformation grid; use EuclideanLoss or L1Loss');
  return { stride, scaleCvg, part: match[2] === '0' ? 'coverage' : 'bbox' };
}

function clusterParams(layer: CaffeLayer): DetectionSpec['cluster']['params'] {
  const p = layer.param('cluster_detections_param', FIELDS.clusterDetections);
  const stride = p.int('stride', undefined, 1);
  if (stride === undefined) throw layerError(layer, 'needs cluster_detections_param.stride (input pixels per output cell)');
  return {
    stride,
    coverageThreshold: p.number('gridbox_cvg_threshold', 0.6),
    rectThreshold: p.int('gridbox_rect_thresh', 2, 0),
    rectEps: p.number('gridbox_rect_eps', 0.02),
    minHeight: p.number('min_height', 22),
    maxBoxes: p.int('max_boxes', 50, 1),
  };
}

/** The net's ClusterDetections (deploy stage, else val) and val ScoreDetections, checked; null without clustering. */
export function detectionOf(deploy: StagePlan, val: StagePlan, heads: readonly HeadPlan[]): DetectionSpec | null {
  const find = (plan: StagePlan, type: string) => plan.steps.find((s) => s.layer.type === type)?.layer ?? null;
  const clusterLayer = find(deploy, 'ClusterDetections') ?? find(val, 'ClusterDetections');
  const scoreLayer = find(val, 'ScoreDetections');
  if (!clusterLayer) {
    if (scoreLayer) throw layerError(scoreLayer, 'scores a box list, which only a ClusterDetections layer makes');
    return null;
  }
  if (clusterLayer.bottom.length !== 2 || clusterLayer.top.length !== 1) throw layerError(clusterLayer, 'needs two bottoms (coverage, boxes) and one top (the box list)');
  const [coverage, boxes] = clusterLayer.bottom as [string, string];
  const cluster = { coverage, boxes, top: clusterLayer.top[0]!, params: clusterParams(clusterLayer) };
  if (!scoreLayer) return { cluster, score: null };
  if (scoreLayer.bottom.length !== 2 || scoreLayer.bottom[0] !== cluster.top || scoreLayer.top.length !== 3) {
    throw layerError(scoreLayer, `needs bottoms ${JSON.stringify(cluster.top)} (the ClusterDetections list) and the label, and three tops (mAP, precision, recall)`);
  }
  const coverageHead = heads.findIndex((h) => h.blob === coverage);
  const boxesHead = heads.findIndex((h) => h.blob === boxes);
  if (coverageHead < 0 || boxesHead < 0) throw layerError(scoreLayer, `needs the blobs ClusterDetections reads (${coverage}, ${boxes}) to be loss layer inputs, since validation scores the training outputs`);
  const iouThreshold = scoreLayer.param('score_detections_param', FIELDS.scoreDetections).number('iou_threshold', 0.7);
  const [mAP, precision, recall] = scoreLayer.top as [string, string, string];
  return { cluster, score: { coverageHead, boxesHead, iouThreshold, names: { mAP, precision, recall } } };
}
