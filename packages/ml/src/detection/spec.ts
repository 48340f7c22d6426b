/**
 * What a DetectNet-style network declares beyond its graph: the ClusterDetections step that turns
 * two deploy outputs into a box list, and the ScoreDetections metrics of the validation pass.
 */
import type { SampleOutput } from '../infer/classify.ts';
import { clusterDetections, type ClusterParams } from './boxes.ts';

/** A ClusterDetections layer: deploy outputs `coverage` (h×w×1) and `boxes` (h×w×4) → the box list `top`. */
export interface ClusterStep { coverage: string; boxes: string; top: string; params: ClusterParams }

export interface DetectionSpec {
  cluster: ClusterStep;
  /** ScoreDetections: which training outputs hold coverage and boxes, the IoU a match needs, the series names (val only). */
  score: { coverageHead: number; boxesHead: number; iouThreshold: number; names: { mAP: string; precision: string; recall: string } } | null;
}

/**
 * One sample's deploy outputs with the clustering applied: `coverage` and `boxes` replaced by
 * `top`, a list of `[left, top, right, bottom, confidence]` rows (shape boxes×5).
 */
export function clusterOutputs(outputs: readonly SampleOutput[], step: ClusterStep): SampleOutput[] {
  const coverage = outputs.find((o) => o.name === step.coverage);
  const boxes = outputs.find((o) => o.name === step.boxes);
  if (!coverage || !boxes) return [...outputs];
  const [gh, gw] = coverage.shape as [number, number];
  const found = clusterDetections(coverage.values, boxes.values, gh, gw, step.params);
  const list: SampleOutput = { name: step.top, shape: [found.length, 5], values: Float32Array.from(found.flat()) };
  return [...outputs.filter((o) => o !== coverage && o !== boxes), list];
}
