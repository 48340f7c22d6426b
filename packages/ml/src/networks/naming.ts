/**
 * Caffe layer names ↔ TF.js layer names. TF.js builds weight names as `<layer>/<weight>` and
 * splits them on '/', so Caffe's '/' separator becomes '_' in layer names.
 */

/** TF.js layer name for a Caffe layer name: `inception_3a/1x1` → `inception_3a_1x1`. */
export function tfLayerName(caffeName: string): string {
  return caffeName.replaceAll('/', '_');
}

/**
 * Caffe's '/' only ever follows the scope prefix of the standard networks (conv1/, pool2/,
 * inception_4a/, loss1/ …), so putting it back after such a prefix inverts `tfLayerName`.
 */
const SCOPED = /^(conv\d|pool\d|loss\d|inception_\d[a-z])_(.+)$/;

/** Caffe layer name for a TF.js layer name built by `tfLayerName` (`loss1_fc` → `loss1/fc`). */
export function caffeLayerName(tfName: string): string {
  return tfName.replace(SCOPED, '$1/$2');
}
