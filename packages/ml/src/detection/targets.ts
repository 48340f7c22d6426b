/**
 * DetectNetTransformation's ground truth, on NHWC grids: an object-detection label (§7.7: a
 * (M+1)×16 float array, row 0 = [n, 16, …], rows 1..n = `[left, top, width, height, alpha, class,
 * …]`) → a coverage map (1 where a cell belongs to an object) and a box map (the object's corners
 * relative to the cell's top-left corner, in pixels) at the network's output stride.
 */
import { tf } from '../tf.ts';

/** Values per label row (§7.7). */
export const LABEL_ROW = 16;

/** How a label becomes grids (detectnet_groundtruth_param). */
export interface TargetParams {
  /** Input pixels per output cell. */
  stride: number;
  /** The covered region is the box shrunk about its centre to this fraction of each side. */
  scaleCvg: number;
}

/** Which grid a loss compares its prediction with. */
export interface DetectionTarget extends TargetParams { part: 'coverage' | 'bbox' }

/**
 * Coverage (n×gh×gw×1) and boxes (n×gh×gw×4) for a batch of flat labels (n × rows·16). A cell is
 * covered by an object of class > 0 when its centre lies in the shrunk box, and the cell holding
 * the box centre always is (so small objects get a cell). Where objects overlap, the later row
 * wins: rows are sorted by z descending, so that is the nearer object.
 */
export function detectionTargets(labels: tf.Tensor2D, gridH: number, gridW: number, p: TargetParams): { coverage: tf.Tensor4D; boxes: tf.Tensor4D } {
  return tf.tidy(() => {
    const n = labels.shape[0];
    const rows = labels.shape[1] / LABEL_ROW;
    if (!Number.isInteger(rows) || rows < 1) throw new Error(`Expected labels of (M+1)×${LABEL_ROW} values but received ${labels.shape[1]} per image`);
    const m = rows - 1;
    const table = tf.reshape(labels, [n, rows, LABEL_ROW]);
    if (m === 0) return { coverage: tf.zeros([n, gridH, gridW, 1]) as tf.Tensor4D, boxes: tf.zeros([n, gridH, gridW, 4]) as tf.Tensor4D };
    const count = tf.reshape(tf.slice(table, [0, 0, 0], [n, 1, 1]), [n, 1]);
    const objects = tf.slice(table, [0, 1, 0], [n, m, LABEL_ROW]);
    const column = (c: number): tf.Tensor2D => tf.reshape(tf.slice(objects, [0, 0, c], [n, m, 1]), [n, m]);
    const [left, top, width, height, cls] = [column(0), column(1), column(2), column(3), column(5)];
    const valid = tf.logicalAnd(tf.less(tf.reshape(tf.range(0, m), [1, m]), count), tf.logicalAnd(tf.greater(cls, 0), tf.logicalAnd(tf.greater(width, 0), tf.greater(height, 0))));
    const covered = (start: tf.Tensor, size: tf.Tensor, cells: number) => {
      const centre = tf.reshape(tf.add(start, tf.mul(size, 0.5)), [n, m, 1]);
      const half = tf.reshape(tf.mul(size, p.scaleCvg / 2), [n, m, 1]);
      const middles = tf.reshape(tf.mul(tf.add(tf.range(0, cells), 0.5), p.stride), [1, 1, cells]);
      const inRegion = tf.lessEqual(tf.abs(tf.sub(middles, centre)), half);
      const holdsCentre = tf.equal(tf.floor(tf.div(centre, p.stride)), tf.reshape(tf.range(0, cells), [1, 1, cells]));
      return tf.logicalOr(inRegion, holdsCentre);
    };
    const inY = tf.reshape(covered(top, height, gridH), [n, m, gridH, 1]);
    const inX = tf.reshape(covered(left, width, gridW), [n, m, 1, gridW]);
    const inside = tf.cast(tf.logicalAnd(tf.logicalAnd(inY, inX), tf.reshape(valid, [n, m, 1, 1])), 'float32');
    // the highest covering row per cell (a mask over the m rows, all zero where none covers)
    const ranked = tf.mul(inside, tf.reshape(tf.range(1, m + 1), [1, m, 1, 1]));
    const winner = tf.mul(inside, tf.cast(tf.equal(ranked, tf.max(ranked, 1, true)), 'float32'));
    const pick = (v: tf.Tensor) => tf.sum(tf.mul(winner, tf.reshape(v, [n, m, 1, 1])), 1);
    const cellX = tf.reshape(tf.mul(tf.range(0, gridW), p.stride), [1, 1, gridW]);
    const cellY = tf.reshape(tf.mul(tf.range(0, gridH), p.stride), [1, gridH, 1]);
    const coverage = tf.max(inside, 1);
    const offsets = [
      tf.sub(pick(left), cellX), tf.sub(pick(top), cellY),
      tf.sub(pick(tf.add(left, width)), cellX), tf.sub(pick(tf.add(top, height)), cellY),
    ].map((o) => tf.mul(o, coverage));
    return { coverage: tf.expandDims(coverage, -1) as tf.Tensor4D, boxes: tf.stack(offsets, -1) as tf.Tensor4D };
  });
}

/** One image's labelled objects of class > 0 as `[left, top, right, bottom]` (the truth detections are scored against). */
export function truthBoxes(label: ArrayLike<number>): number[][] {
  const count = Math.min(label[0]!, label.length / LABEL_ROW - 1);
  const out: number[][] = [];
  for (let i = 1; i <= count; i++) {
    const row = i * LABEL_ROW;
    const [left, top, width, height, cls] = [label[row]!, label[row + 1]!, label[row + 2]!, label[row + 3]!, label[row + 5]!];
    if (cls > 0) out.push([left, top, left + width, top + height]);
  }
  return out;
}
