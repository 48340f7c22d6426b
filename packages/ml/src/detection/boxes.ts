/**
 * DetectNet's post-processing and scoring, in JavaScript (DIGITS ran them as Python layers):
 * grid outputs → boxes (`ClusterDetections`: thresholded coverage, OpenCV's groupRectangles
 * vote), boxes against the truth (`ScoreDetections`) and DIGITS' mAP / precision / recall.
 */

/** `[left, top, right, bottom, confidence]` in input-image pixels. */
export type Box = [number, number, number, number, number];

/** ClusterDetections' parameters (DIGITS' param_str, minus the image size the grid gives). */
export interface ClusterParams {
  /** Input pixels per grid cell. */
  stride: number;
  /** Cells whose coverage is at least this propose a box. */
  coverageThreshold: number;
  /** groupRectangles' groupThreshold: a cluster needs more proposals than this. */
  rectThreshold: number;
  /** groupRectangles' eps. */
  rectEps: number;
  /** Boxes shorter than this (pixels) are dropped. */
  minHeight: number;
  /** At most this many boxes per image. */
  maxBoxes: number;
}

/** Intersection over union of two `[l, t, r, b, …]` boxes (mean_ap.py's `iou`). */
export function iou(a: readonly number[], b: readonly number[]): number {
  const xOverlap = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const yOverlap = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const overlap = xOverlap * yOverlap;
  if (overlap === 0) return 0;
  const areaA = (a[2]! - a[0]!) * (a[3]! - a[1]!);
  const areaB = (b[2]! - b[0]!) * (b[3]! - b[1]!);
  return overlap / (areaA + areaB - overlap);
}

/** C++ `saturate_cast<int>` of a double: round half to even. */
function roundInt(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * OpenCV `groupRectangles(rects, groupThreshold, eps)` on integer `[x, y, w, h]` rectangles:
 * clusters of similar rectangles (transitively) averaged; clusters of at most `groupThreshold`
 * members dropped, as are those inside a stronger one. Returns the rectangles and their member
 * counts. With `groupThreshold` ≤ 0 the input comes back unchanged (count 1 each), as OpenCV does.
 */
export function groupRectangles(rects: readonly (readonly number[])[], groupThreshold: number, eps: number): { rects: number[][]; weights: number[] } {
  if (groupThreshold <= 0 || rects.length === 0) return { rects: rects.map((r) => [...r]), weights: rects.map(() => 1) };
  const n = rects.length;
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const similar = (a: readonly number[], b: readonly number[]) => {
    const delta = eps * (Math.min(a[2]!, b[2]!) + Math.min(a[3]!, b[3]!)) * 0.5;
    return Math.abs(a[0]! - b[0]!) <= delta && Math.abs(a[1]! - b[1]!) <= delta
      && Math.abs(a[0]! + a[2]! - b[0]! - b[2]!) <= delta && Math.abs(a[1]! + a[3]! - b[1]! - b[3]!) <= delta;
  };
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (similar(rects[i]!, rects[j]!)) parent[find(i)] = find(j);
  // classes numbered in order of first member, as cv::partition numbers them
  const classOf = new Map<number, number>();
  const labels = rects.map((_, i) => {
    const root = find(i);
    if (!classOf.has(root)) classOf.set(root, classOf.size);
    return classOf.get(root)!;
  });
  const k = classOf.size;
  const sums = Array.from({ length: k }, () => [0, 0, 0, 0]);
  const counts = new Array<number>(k).fill(0);
  labels.forEach((c, i) => {
    for (let d = 0; d < 4; d++) sums[c]![d]! += rects[i]![d]!;
    counts[c]!++;
  });
  const averaged = sums.map((s, c) => s.map((v) => roundInt(v * (1 / counts[c]!))));
  const out: number[][] = [];
  const weights: number[] = [];
  for (let i = 0; i < k; i++) {
    const r1 = averaged[i]!;
    const n1 = counts[i]!;
    if (n1 <= groupThreshold) continue;
    const dx = roundInt(r1[2]! * eps);
    const dy = roundInt(r1[3]! * eps);
    let inside = false;
    for (let j = 0; j < k && !inside; j++) {
      const n2 = counts[j]!;
      if (j === i || n2 <= groupThreshold) continue;
      const r2 = averaged[j]!;
      inside = r1[0]! >= r2[0]! - dx && r1[1]! >= r2[1]! - dy && r1[0]! + r1[2]! <= r2[0]! + r2[2]! + dx && r1[1]! + r1[3]! <= r2[1]! + r2[3]! + dy
        && (n2 > Math.max(3, n1) || n1 < 3);
    }
    if (!inside) {
      out.push(r1);
      weights.push(n1);
    }
  }
  return { rects: out, weights };
}

/**
 * One image's boxes from its coverage map (gh×gw) and box map (gh×gw×4: offsets of left, top,
 * right, bottom from the cell's top-left corner, in pixels), as DIGITS' ClusterDetections: every
 * cell at or above the threshold proposes its box; groupRectangles votes. DIGITS hands OpenCV the
 * corners `[l, t, r, b]` where it expects `[x, y, w, h]` and reads the result back as corners;
 * that is kept, since it decides which proposals group. Confidence = ln(cluster size).
 */
export function clusterDetections(coverage: ArrayLike<number>, boxes: ArrayLike<number>, gridH: number, gridW: number, p: ClusterParams): Box[] {
  const proposals: number[][] = [];
  for (let y = 0; y < gridH; y++) {
    for (let x = 0; x < gridW; x++) {
      const cell = y * gridW + x;
      if (!(coverage[cell]! >= p.coverageThreshold)) continue;
      const mx = x * p.stride;
      const my = y * p.stride;
      // OpenCV takes integer rectangles: Python's list of floats is truncated on the way in
      proposals.push([0, 1, 2, 3].map((d) => Math.trunc(boxes[cell * 4 + d]! + (d % 2 === 0 ? mx : my))));
    }
  }
  const { rects, weights } = groupRectangles(proposals, p.rectThreshold, p.rectEps);
  const out: Box[] = [];
  rects.forEach((r, i) => {
    if (r[3]! - r[1]! >= p.minHeight) out.push([r[0]!, r[1]!, r[2]!, r[3]!, Math.log(weights[i]!)]);
  });
  return out.slice(0, p.maxBoxes);
}

/** True positives, false positives and missed truths of one image (mean_ap.py's `score_det`). */
export interface DetectionCounts { truePositives: number; falsePositives: number; missed: number }

/**
 * Matches each truth box, in order, to the first unmatched detection with IoU ≥ `threshold`.
 * All-zero boxes (DIGITS' padding) are ignored on both sides.
 */
export function scoreDetections(truth: readonly (readonly number[])[], detections: readonly (readonly number[])[], threshold: number): DetectionCounts {
  const nonZero = (b: readonly number[]) => b.slice(0, 4).some((v) => v !== 0);
  const gt = truth.filter(nonZero);
  const det = detections.filter(nonZero);
  const detMatched = new Array<boolean>(det.length).fill(false);
  let matched = 0;
  for (const g of gt) {
    const j = det.findIndex((d, k) => !detMatched[k] && iou(d, g) >= threshold);
    if (j >= 0) {
      detMatched[j] = true;
      matched++;
    }
  }
  return { truePositives: matched, falsePositives: det.length - matched, missed: gt.length - matched };
}

/** DIGITS' detection metrics from summed counts: precision and recall in percent, mAP = precision·recall/100. */
export function detectionMetrics(c: DetectionCounts): { mAP: number; precision: number; recall: number } {
  const ratio = (a: number, b: number) => (b !== 0 ? a / b : 0);
  const precision = ratio(c.truePositives, c.truePositives + c.falsePositives) * 100;
  const recall = ratio(c.truePositives, c.truePositives + c.missed) * 100;
  return { mAP: (precision * recall) / 100, precision, recall };
}
