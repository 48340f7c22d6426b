// DetectNet's ground truth grids, clustering and scoring (our declarative replacements of
// DIGITS' Python layers), against hand-worked examples.
import t from 'tap';
import { clusterDetections, detectionMetrics, detectionTargets, groupRectangles, initBackend, iou, LABEL_ROW, scoreDetections, tf, truthBoxes } from '@digits-ts/ml';

await initBackend('wasm');

/** A §7.7 label: row 0 = [n, 16], then [left, top, w, h, alpha, class] per row (rows beyond `n` kept as given). */
function label(n: number, rows: number[][]): Float32Array {
  const out = new Float32Array((rows.length + 1) * LABEL_ROW);
  out.set([n, LABEL_ROW]);
  rows.forEach((r, i) => out.set(r, (i + 1) * LABEL_ROW));
  return out;
}

t.test('detectionTargets: coverage and corner offsets on a 4×4 grid at stride 4', async (t) => {
  // a 16×16 box covering everything, then a small one (later row: nearer, wins), a class-0 one, and a row past n
  const rows = [[0, 0, 16, 16, 0, 1], [2, 5, 8, 6, 0, 1], [12, 12, 4, 4, 0, 0], [12, 0, 4, 4, 0, 1]];
  const labels = tf.tensor2d(label(3, rows), [1, 5 * LABEL_ROW]);
  const { coverage, boxes } = detectionTargets(labels, 4, 4, { stride: 4, scaleCvg: 0.5 });
  // big box: centre (8, 8), half sides 4 → cell middles 6 and 10 → rows and columns 1..2
  // small box: centre (6, 8), half sides 2 × 1.5 → column 1 by its middle, row 2 as the centre's cell
  t.same(Array.from(await coverage.data()), [
    0, 0, 0, 0,
    0, 1, 1, 0,
    0, 1, 1, 0,
    0, 0, 0, 0,
  ]);
  const grid = (await boxes.array())[0]!;
  t.same(grid[2]![1], [2 - 4, 5 - 8, 10 - 4, 11 - 8], 'the small box wins its cell: corners less the cell corner (4, 8)');
  t.same(grid[1]![2], [0 - 8, 0 - 4, 16 - 8, 16 - 4], 'the big box elsewhere');
  t.same(grid[0]![0], [0, 0, 0, 0], 'uncovered cells are zero');
  tf.dispose([labels, coverage, boxes]);
});

t.test('detectionTargets: an image without objects, and M = 0', async (t) => {
  const empty = tf.tensor2d(label(0, [[1, 1, 5, 5, 0, 1]]), [1, 2 * LABEL_ROW]);
  const none = tf.tensor2d(label(0, []), [1, LABEL_ROW]);
  for (const labels of [empty, none]) {
    const { coverage, boxes } = detectionTargets(labels, 2, 2, { stride: 4, scaleCvg: 0.4 });
    t.same(Array.from(await coverage.data()), [0, 0, 0, 0]);
    t.same(boxes.shape, [1, 2, 2, 4]);
    tf.dispose([labels, coverage, boxes]);
  }
});

t.test('iou as mean_ap.py computes it', async (t) => {
  t.equal(iou([0, 0, 10, 10], [1, 1, 10, 10]), 81 / 100);
  t.equal(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
  t.equal(iou([0, 0, 10, 10], [10, 0, 20, 10]), 0, 'touching boxes do not overlap');
});

t.test('groupRectangles: clusters averaged, lone and enclosed clusters dropped', async (t) => {
  // three similar rectangles (delta = 0.2·(20+20)/2 = 4) and a lone one
  t.same(groupRectangles([[10, 10, 20, 20], [11, 10, 20, 21], [10, 11, 19, 20], [50, 50, 10, 10]], 1, 0.2), { rects: [[10, 10, 20, 20]], weights: [3] });
  // a cluster of 2 inside one of 5 goes (5 > max(3, 2))
  const big = Array.from({ length: 5 }, () => [0, 0, 40, 40]);
  t.same(groupRectangles([...big, [10, 10, 10, 10], [10, 10, 10, 10]], 1, 0.2), { rects: [[0, 0, 40, 40]], weights: [5] });
  t.same(groupRectangles([[1, 2, 3, 4]], 0, 0.2), { rects: [[1, 2, 3, 4]], weights: [1] }, 'threshold 0 leaves the input as it is');
});

t.test('clusterDetections: thresholded cells propose boxes, groups of 2+ survive with ln(size)', async (t) => {
  const coverage = [0.9, 0.8, 0.1, 0.7];
  // cells 0 and 1 propose [1, 1, 6, 7]; cell 2 is under threshold; cell 3 (corner 4, 4) proposes [20, 20, 30, 30] alone
  const boxes = [1, 1, 6, 7, -3, 1, 2, 7, 0, 0, 5, 5, 16, 16, 26, 26];
  const params = { stride: 4, coverageThreshold: 0.5, rectThreshold: 1, rectEps: 0.2, minHeight: 4, maxBoxes: 50 };
  t.same(clusterDetections(coverage, boxes, 2, 2, params), [[1, 1, 6, 7, Math.log(2)]]);
  t.same(clusterDetections(coverage, boxes, 2, 2, { ...params, minHeight: 7 }), [], 'boxes shorter than min_height go');
});

t.test('scoreDetections and the metrics: precision, recall in percent, mAP = their product / 100', async (t) => {
  const counts = scoreDetections([[0, 0, 10, 10], [20, 20, 30, 30]], [[1, 1, 10, 10, 1], [50, 50, 60, 60, 1], [0, 0, 0, 0, 0]], 0.7);
  t.same(counts, { truePositives: 1, falsePositives: 1, missed: 1 });
  t.same(detectionMetrics(counts), { mAP: 25, precision: 50, recall: 50 });
  t.same(detectionMetrics({ truePositives: 0, falsePositives: 0, missed: 0 }), { mAP: 0, precision: 0, recall: 0 });
  t.same(scoreDetections([[0, 0, 10, 10]], [[1, 1, 10, 10, 1]], 0.9), { truePositives: 0, falsePositives: 1, missed: 1 }, 'IoU 0.81 is no match at 0.9');
});

t.test('truthBoxes: the first n rows of class > 0 as corners', async (t) => {
  t.same(truthBoxes(label(2, [[1, 2, 3, 4, 0, 1], [5, 5, 2, 2, 0, 0], [9, 9, 1, 1, 0, 1]])), [[1, 2, 4, 6]]);
});

t.test('the detection layers in a prototxt: what they declare, and what is refused', async (t) => {
  const { buildCaffeNetwork } = await import('@digits-ts/ml');
  const trunk = `layer { name: "d" type: "Data" top: "data" top: "label" }
layer { name: "cvg" type: "Convolution" bottom: "data" top: "coverage" convolution_param { num_output: 1 kernel_size: 1 } }
layer { name: "bb" type: "Convolution" bottom: "data" top: "bboxes" convolution_param { num_output: 4 kernel_size: 1 } }
layer { name: "tr" type: "DetectNetTransformation" bottom: "label" top: "coverage-label" top: "bbox-label" detectnet_groundtruth_param { stride: 1 } }\n`;
  const losses = `layer { name: "lc" type: "EuclideanLoss" bottom: "coverage" bottom: "coverage-label" top: "loss_coverage" }
layer { name: "lb" type: "L1Loss" bottom: "bboxes" bottom: "bbox-label" top: "loss_bbox" loss_weight: 0.5 }\n`;
  const cluster = 'layer { name: "cl" type: "ClusterDetections" bottom: "coverage" bottom: "bboxes" top: "bbox-list" cluster_detections_param { stride: 1 } }\n';
  const score = 'layer { name: "sc" type: "ScoreDetections" bottom: "bbox-list" bottom: "label" top: "mAP" top: "precision" top: "recall" include { phase: TEST } }\n';
  const net = buildCaffeNetwork(trunk + losses + cluster + score, { inputShape: [8, 8, 3], classes: null });
  try {
    t.same(net.heads, [
      { loss: 'loss_coverage', weight: 1, kind: 'euclidean', target: { stride: 1, scaleCvg: 0.4, part: 'coverage' } },
      { loss: 'loss_bbox', weight: 0.5, kind: 'l1', target: { stride: 1, scaleCvg: 0.4, part: 'bbox' } },
    ]);
    t.same(net.detection, {
      cluster: { coverage: 'coverage', boxes: 'bboxes', top: 'bbox-list', params: { stride: 1, coverageThreshold: 0.6, rectThreshold: 2, rectEps: 0.02, minHeight: 22, maxBoxes: 50 } },
      score: { coverageHead: 0, boxesHead: 1, iouThreshold: 0.7, names: { mAP: 'mAP', precision: 'precision', recall: 'recall' } },
    }, 'DIGITS\' defaults (detectnet_network.prototxt, mean_ap.py)');
    t.same(net.outputs, ['coverage', 'bboxes']);
  } finally {
    net.model.dispose();
  }
  const bad = (text: string, message: RegExp) => t.throws(() => buildCaffeNetwork(text, { inputShape: [8, 8, 3], classes: null }), { code: 'NETWORK_INVALID', message });
  bad(`${trunk}layer { name: "r" type: "ReLU" bottom: "coverage-label" top: "x" }\n${losses}`, /reads the label blob "coverage-label"/);
  bad(trunk + losses + score, /reads blob "bbox-list", which no earlier layer produces/);
  bad(trunk + losses + score.replace('bottom: "bbox-list"', 'bottom: "coverage"'), /scores a box list, which only a ClusterDetections layer makes/);
  bad(trunk + losses + cluster + score.replace('bottom: "bbox-list"', 'bottom: "coverage"'), /needs bottoms "bbox-list" \(the ClusterDetections list\)/);
  bad(trunk.replace('num_output: 1 kernel_size', 'num_output: 2 kernel_size') + losses, /compares a coverage grid, so "coverage" must be H×W×1 but is 8×8×2/);
  bad(trunk.replace(' detectnet_groundtruth_param { stride: 1 }', '') + losses, /needs detectnet_groundtruth_param.stride/);
  bad(trunk + losses + cluster.replace('stride: 1', 'stride: 1 min_hight: 3'), /has no field "min_hight"/);
});
