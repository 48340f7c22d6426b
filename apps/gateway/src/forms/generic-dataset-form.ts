/**
 * The forms of the data-extension datasets (contract §7.1–7.3, §7.5, §7.6): the generic `dsopts_*`
 * fields every extension dataset has, each extension's own dataset and inference fields, and the
 * parser that turns them into a generic build's options. Declarative only: nothing here runs user code.
 */
import { MAX_GENERATED_INFER_ENTRIES, MAX_SPLIT_SEED, type DataExtensionId, type GenericDatasetOptions, type ImageProcessingOptions } from '@digits-ts/contracts';
import type { ServerPath } from './dataset-form.ts';
import { addFormError, parseForm, REQUIRED, type FormErrors, type FormFields, type FormSpec } from './form.ts';

/** The generic fields every extension dataset has (§7.2). */
export const GENERIC_DATASET_FORM: FormSpec = {
  dataset_name: { kind: 'string', required: true },
  group_name: { kind: 'string' },
  dsopts_feature_encoding: { kind: 'select', choices: ['none', 'png', 'jpg'], default: 'png' },
  dsopts_label_encoding: { kind: 'select', choices: ['none', 'png', 'jpg'], default: 'none' },
  dsopts_batch_size: { kind: 'int', default: 32, required: true, min: 1 },
  dsopts_num_threads: { kind: 'int', default: 4, required: true, min: 1 },
  dsopts_backend: { kind: 'select', choices: ['lmdb'], default: 'lmdb' },
  dsopts_force_same_shape: { kind: 'select', choices: ['1', '0'], default: '1' },
};

/** What an extension's `options` sees besides the parsed values. */
export interface ExtensionParse {
  errors: FormErrors;
  /** Server paths the form names, for the gateway to confine to DATA_ROOTS. */
  paths: ServerPath[];
  /** Uniform in [0, 1), for values drawn at creation (image-processing's split seed). */
  random: () => number;
}

export interface DataExtension {
  id: DataExtensionId;
  title: string;
  category: string;
  /** The extension's own dataset form fields (§7.3 for image-gradients, §7.5 for image-processing). */
  form: FormSpec;
  /** Cross-field rules (into `parse.errors`) and the extension's build options. */
  options(values: Record<string, unknown>, parse: ExtensionParse): GenericDatasetOptions['extensionOptions'];
  /** The form of `/models/images/generic/infer_extension` (§7.3); null when the extension has none (§7.5). */
  inferenceForm: FormSpec | null;
}

/** §7.5's message for a folder field whose directory is missing. */
const MISSING_FOLDER = 'Folder does not exist or is not reachable';
/** §7.6's message for a file field whose file is missing. */
const MISSING_FILE = 'File does not exist or is not reachable';

/**
 * The server path in `field` (trimmed), its check against DATA_ROOTS queued in `paths`; blank is
 * null, with the required error when `required` (unless the field already has one).
 */
function pathField(v: Record<string, unknown>, { errors, paths }: Pick<ExtensionParse, 'errors' | 'paths'>, field: string, kind: 'dir' | 'file', required: boolean): string | null {
  const path = String(v[field] ?? '').trim();
  if (path === '') {
    if (required && !errors[field]) addFormError(errors, field, REQUIRED);
    return null;
  }
  paths.push({ field, path, kind, missing: kind === 'dir' ? MISSING_FOLDER : MISSING_FILE });
  return path;
}

/** image-processing's options (§7.5): required folders, validation folders iff has_val_folder, a fresh seed. */
function imageProcessingOptions(v: Record<string, unknown>, parse: ExtensionParse): GenericDatasetOptions['extensionOptions'] {
  const { errors, random } = parse;
  const folder = (field: string) => pathField(v, parse, field, 'dir', true);
  // WTForms' NumberRange also fails on the None a bad integer leaves behind
  if (errors.folder_pct_val?.[0] === 'Not a valid integer value') addFormError(errors, 'folder_pct_val', 'Number must be between 0 and 100.');
  const hasVal = v.has_val_folder === true;
  return {
    featureFolder: folder('feature_folder') ?? '',
    labelFolder: folder('label_folder') ?? '',
    pctVal: (v.folder_pct_val as number | null) ?? 10,
    // not checked at all without has_val_folder (§7.5)
    valFeatureFolder: hasVal ? folder('validation_feature_folder') : null,
    valLabelFolder: hasVal ? folder('validation_label_folder') : null,
    channelConversion: v.channel_conversion as 'RGB' | 'L' | 'none',
    seed: Math.floor(random() * (MAX_SPLIT_SEED + 1)),
  };
}

/**
 * image-segmentation's options (§7.6): image-processing's folders and seed, an optional class
 * labels file, and the colour map file iff `colormap_method=textfile`.
 */
function imageSegmentationOptions(v: Record<string, unknown>, parse: ExtensionParse): GenericDatasetOptions['extensionOptions'] {
  const base = imageProcessingOptions(v, parse) as ImageProcessingOptions;
  const file = (field: string, required: boolean) => pathField(v, parse, field, 'file', required);
  const colormapMethod = v.colormap_method as 'label' | 'textfile';
  return {
    ...base,
    classLabelsFile: file('class_labels_file', false),
    colormapMethod,
    // not checked at all with the `label` method
    colormapTextFile: colormapMethod === 'textfile' ? file('colormap_text_file', true) : null,
  };
}

/** image-processing's own fields, which segmentation shares (§7.6). */
const PAIRED_FOLDER_FORM: FormSpec = {
  feature_folder: { kind: 'string', required: true },
  label_folder: { kind: 'string', required: true },
  folder_pct_val: { kind: 'int', default: 10, min: 0, max: 100 },
  has_val_folder: { kind: 'bool' },
  validation_feature_folder: { kind: 'string' },
  validation_label_folder: { kind: 'string' },
  channel_conversion: { kind: 'select', choices: ['RGB', 'L', 'none'], default: 'none' },
};

/** DIGITS' `validate_required_iff` message. */
const requiredIf = (other: string) => `This field is required if ${other} is set.`;

/**
 * image-object-detection's options (§7.7): required train folders, validation folders and the
 * padding and resize sizes each required when their partner is set, val_min_box_size input-required.
 */
function objectDetectionOptions(v: Record<string, unknown>, parse: ExtensionParse): GenericDatasetOptions['extensionOptions'] {
  const { errors } = parse;
  const folder = (field: string, required: boolean) => pathField(v, parse, field, 'dir', required);
  const pairOf = (a: string, b: string): { width: number; height: number } | null => {
    const [x, y] = [v[a] as number | null, v[b] as number | null];
    if (x === null && y !== null && !errors[a]) addFormError(errors, a, requiredIf(b));
    if (y === null && x !== null && !errors[b]) addFormError(errors, b, requiredIf(a));
    return x !== null && y !== null ? { width: x, height: y } : null;
  };
  const valImages = String(v.val_image_folder ?? '').trim();
  const valLabels = String(v.val_label_folder ?? '').trim();
  // InputRequired: absent or blank is the one message, whatever the coercion said
  if (v.val_min_box_size === null) errors.val_min_box_size = [REQUIRED];
  const custom = String(v.custom_classes ?? '');
  return {
    trainImageFolder: folder('train_image_folder', true) ?? '',
    trainLabelFolder: folder('train_label_folder', true) ?? '',
    valImageFolder: folder('val_image_folder', false) ?? (valLabels !== '' ? (addFormError(errors, 'val_image_folder', requiredIf('val_label_folder')), null) : null),
    valLabelFolder: folder('val_label_folder', false) ?? (valImages !== '' ? (addFormError(errors, 'val_label_folder', requiredIf('val_image_folder')), null) : null),
    padding: pairOf('padding_image_width', 'padding_image_height'),
    resize: pairOf('resize_image_width', 'resize_image_height'),
    channelConversion: v.channel_conversion as 'RGB' | 'L' | 'none',
    valMinBoxSize: (v.val_min_box_size as number | null) ?? 0,
    customClasses: custom.trim() === '' ? [] : custom.split(',').map((c) => c.trim().toLowerCase()),
  };
}

/** The data extensions this build knows, by id. */
export const DATA_EXTENSIONS: Readonly<Record<string, DataExtension>> = {
  'image-gradients': {
    id: 'image-gradients',
    title: 'Gradients',
    category: 'Images',
    form: {
      train_image_count: { kind: 'int', default: 1000, required: true, min: 1 },
      val_image_count: { kind: 'int', default: 250, optional: true, min: 0 },
      test_image_count: { kind: 'int', default: 0, optional: true, min: 0 },
      image_width: { kind: 'int', default: 32, required: true, min: 1 },
      image_height: { kind: 'int', default: 32, required: true, min: 1 },
    },
    options: (v): GenericDatasetOptions['extensionOptions'] => ({
      trainCount: v.train_image_count as number,
      valCount: (v.val_image_count as number | null) ?? 0,
      testCount: (v.test_image_count as number | null) ?? 0,
      width: v.image_width as number,
      height: v.image_height as number,
    }),
    inferenceForm: {
      gradient_x: { kind: 'float', default: 0, min: -0.5, max: 0.5 },
      gradient_y: { kind: 'float', default: 0, min: -0.5, max: 0.5 },
      test_image_count: { kind: 'int', optional: true, min: 1, max: MAX_GENERATED_INFER_ENTRIES },
    },
  },
  'image-processing': {
    id: 'image-processing',
    title: 'Processing',
    category: 'Images',
    form: PAIRED_FOLDER_FORM,
    options: imageProcessingOptions,
    inferenceForm: null,
  },
  'image-segmentation': {
    id: 'image-segmentation',
    title: 'Segmentation',
    category: 'Images',
    form: {
      ...PAIRED_FOLDER_FORM,
      class_labels_file: { kind: 'string' },
      colormap_method: { kind: 'select', choices: ['label', 'textfile'], default: 'label' },
      colormap_text_file: { kind: 'string' },
    },
    options: imageSegmentationOptions,
    inferenceForm: null,
  },
  'image-object-detection': {
    id: 'image-object-detection',
    title: 'Object Detection',
    category: 'Images',
    form: {
      train_image_folder: { kind: 'string', required: true },
      train_label_folder: { kind: 'string', required: true },
      val_image_folder: { kind: 'string' },
      val_label_folder: { kind: 'string' },
      padding_image_width: { kind: 'int', default: 1248, optional: true, min: 1 },
      padding_image_height: { kind: 'int', default: 384, optional: true, min: 1 },
      resize_image_width: { kind: 'int', optional: true, min: 1 },
      resize_image_height: { kind: 'int', optional: true, min: 1 },
      channel_conversion: { kind: 'select', choices: ['RGB', 'L', 'none'], default: 'RGB' },
      val_min_box_size: { kind: 'int', optional: true, min: 0 },
      custom_classes: { kind: 'string' },
    },
    options: objectDetectionOptions,
    inferenceForm: null,
  },
};

export interface ParsedGenericDatasetForm { name: string; group: string; options: GenericDatasetOptions; serverPaths: ServerPath[]; saved: Record<string, unknown> }

/**
 * Parses the generic fields and the extension's fields together; their errors come back merged
 * in one WTForms-shaped map (§7.2). `null` for an unknown extension id.
 */
export function parseGenericDatasetForm(extensionId: string, fields: FormFields, random: () => number = Math.random): { errors: FormErrors } | { form: ParsedGenericDatasetForm } | null {
  const extension = Object.hasOwn(DATA_EXTENSIONS, extensionId) ? DATA_EXTENSIONS[extensionId]! : null;
  if (!extension) return null;
  const { values, errors } = parseForm({ ...GENERIC_DATASET_FORM, ...extension.form }, fields);
  const serverPaths: ServerPath[] = [];
  const extensionOptions = extension.options(values, { errors, paths: serverPaths, random });
  if (Object.keys(errors).length > 0) return { errors };
  // the id and its options come from the same registry entry
  const options = {
    extension: extension.id,
    featureEncoding: values.dsopts_feature_encoding as GenericDatasetOptions['featureEncoding'],
    labelEncoding: values.dsopts_label_encoding as GenericDatasetOptions['labelEncoding'],
    batchSize: values.dsopts_batch_size as number,
    threads: values.dsopts_num_threads as number,
    forceSameShape: values.dsopts_force_same_shape === '1',
    extensionOptions,
  } as GenericDatasetOptions;
  const saved = Object.fromEntries(Object.entries(values).map(([k, v]) => [`form.${k}.data`, v]));
  return { form: { name: String(values.dataset_name).trim(), group: String(values.group_name).trim(), options, serverPaths, saved } };
}
