/**
 * The forms of the data-extension datasets (contract §7.1–7.3): the generic `dsopts_*` fields
 * every extension dataset has, each extension's own dataset and inference fields, and the parser
 * that turns them into a generic build's options. Declarative only: nothing here runs user code.
 */
import { MAX_GENERATED_INFER_ENTRIES, type GenericDatasetOptions, type ImageGradientsOptions } from '@digits-ts/contracts';
import { parseForm, type FormErrors, type FormFields, type FormSpec } from './form.ts';

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

export interface DataExtension {
  id: string;
  title: string;
  category: string;
  /** The extension's own dataset form fields (§7.3 for image-gradients). */
  form: FormSpec;
  options(values: Record<string, unknown>): ImageGradientsOptions;
  /** The form of `/models/images/generic/infer_extension` (§7.3). */
  inferenceForm: FormSpec;
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
    options: (v) => ({
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
};

export interface ParsedGenericDatasetForm { name: string; group: string; options: GenericDatasetOptions; saved: Record<string, unknown> }

/**
 * Parses the generic fields and the extension's fields together; their errors come back merged
 * in one WTForms-shaped map (§7.2). `null` for an unknown extension id.
 */
export function parseGenericDatasetForm(extensionId: string, fields: FormFields): { errors: FormErrors } | { form: ParsedGenericDatasetForm } | null {
  const extension = Object.hasOwn(DATA_EXTENSIONS, extensionId) ? DATA_EXTENSIONS[extensionId]! : null;
  if (!extension) return null;
  const { values, errors } = parseForm({ ...GENERIC_DATASET_FORM, ...extension.form }, fields);
  if (Object.keys(errors).length > 0) return { errors };
  const options: GenericDatasetOptions = {
    extension: 'image-gradients',
    featureEncoding: values.dsopts_feature_encoding as GenericDatasetOptions['featureEncoding'],
    labelEncoding: values.dsopts_label_encoding as GenericDatasetOptions['labelEncoding'],
    batchSize: values.dsopts_batch_size as number,
    threads: values.dsopts_num_threads as number,
    forceSameShape: values.dsopts_force_same_shape === '1',
    extensionOptions: extension.options(values),
  };
  const saved = Object.fromEntries(Object.entries(values).map(([k, v]) => [`form.${k}.data`, v]));
  return { form: { name: String(values.dataset_name).trim(), group: String(values.group_name).trim(), options, saved } };
}
