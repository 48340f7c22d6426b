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

/**
 * The TF.js name the Caffe builder gives a prototxt layer (before telling duplicates apart with
 * `_1`, `_2`): `tfLayerName`, other characters TF.js refuses as '_', and a leading letter.
 */
export function builtLayerName(caffeName: string, suffix = ''): string {
  const base = `${tfLayerName(caffeName)}${suffix}`.replace(/[^-A-Za-z0-9._]/g, '_');
  return /^[A-Za-z0-9]/.test(base) ? base : `layer${base}`;
}
