/**
 * The statistics of DIGITS' classify_many page for labelled lists (§10.3), computed from a
 * worker's classify result: they are part of the JSON answer as well as the page.
 */
import type { ClassifyImagesResult } from '@digits-ts/contracts';

const pct2 = (hits: number, total: number) => Number(((100 * hits) / total).toFixed(2));

/**
 * What DIGITS' classify_many page showed for labelled lists (§10.3): top-1 / top-5 accuracy (%),
 * per-class accuracy and the confusion matrix (rows = truth, columns = top-1). Null without labels.
 */
export function classificationStats(result: ClassifyImagesResult) {
  const n = result.labels.length;
  const scored = result.images.filter((i) => i.ranked && i.label !== null && i.label < n);
  if (scored.length === 0) return null;
  const confusion = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let top1 = 0;
  let top5 = 0;
  for (const image of scored) {
    const truth = image.label!;
    const ranked = image.ranked!;
    confusion[truth]![ranked[0]!]!++;
    if (ranked[0] === truth) top1++;
    if (ranked.slice(0, 5).includes(truth)) top5++;
  }
  const perClass = Object.fromEntries(result.labels.map((label, c) => {
    const total = confusion[c]!.reduce((a, b) => a + b, 0);
    return [label, total === 0 ? null : pct2(confusion[c]![c]!, total)];
  }));
  return { images: scored.length, 'top-1 accuracy': pct2(top1, scored.length), 'top-5 accuracy': pct2(top5, scored.length), 'per-class accuracy': perClass, labels: result.labels, 'confusion matrix': confusion };
}
