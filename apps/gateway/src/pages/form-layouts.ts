/** How each create form is laid out on its page: DIGITS' sections, over the parsers' FormSpecs. */
import { FRAMEWORKS, STANDARD_NETWORK_NAMES } from '@digits-ts/contracts';
import { DATA_EXTENSIONS, DATASET_FORM, DATASET_UPLOAD_FIELDS, GENERIC_DATASET_FORM, MODEL_FORM, PREBUILT_DATASET_FORM, PRETRAINED_FORM, PRETRAINED_UPLOADS } from '../forms/index.ts';
import type { Choice, FormLayout } from './form-view.ts';

export const DATASET_LAYOUT: FormLayout = {
  spec: DATASET_FORM,
  uploads: Object.keys(DATASET_UPLOAD_FIELDS),
  sections: [
    { legend: 'Image type and size', fields: ['resize_channels', 'resize_width', 'resize_height', 'resize_mode'] },
    { legend: 'DB backend', fields: ['backend', 'encoding', 'compression'] },
    { legend: 'Images', fields: ['method'] },
    { legend: 'Use image folder', fields: ['folder_train', 'folder_pct_val', 'folder_pct_test', 'folder_train_min_per_class', 'folder_train_max_per_class', 'has_val_folder', 'folder_val', 'folder_val_min_per_class', 'folder_val_max_per_class', 'has_test_folder', 'folder_test', 'folder_test_min_per_class', 'folder_test_max_per_class'] },
    { legend: 'Use text files', fields: ['textfile_use_local_files', 'textfile_train_images', 'textfile_local_train_images', 'textfile_train_folder', 'textfile_use_val', 'textfile_val_images', 'textfile_local_val_images', 'textfile_val_folder', 'textfile_use_test', 'textfile_test_images', 'textfile_local_test_images', 'textfile_test_folder', 'textfile_shuffle', 'textfile_labels_file', 'textfile_local_labels_file'] },
    { legend: 'Name', fields: ['group_name', 'dataset_name'] },
  ],
  overrides: {
    resize_channels: { choices: [{ value: '1', label: 'Grayscale' }, { value: '3', label: 'Color' }] },
    method: { control: 'radio', choices: [{ value: 'folder', label: 'Folder' }, { value: 'textfile', label: 'Text files' }, { value: 's3', label: 'S3 (not supported here)' }] },
    textfile_shuffle: { choices: [{ value: '1', label: 'Yes' }, { value: '0', label: 'No' }] },
  },
  // DIGITS' page ticks this one although an omitted box reads false (§1.4)
  checkedByDefault: ['textfile_use_val'],
};

export const PREBUILT_DATASET_LAYOUT: FormLayout = {
  spec: PREBUILT_DATASET_FORM,
  sections: [
    { legend: 'Databases', fields: ['prebuilt_train_images', 'prebuilt_train_labels', 'prebuilt_val_images', 'prebuilt_val_labels', 'prebuilt_mean_file', 'force_same_shape'] },
    { legend: 'Name', fields: ['group_name', 'dataset_name'] },
  ],
  overrides: { method: { control: 'select', choices: [{ value: 'prebuilt', label: 'Prebuilt LMDB' }] } },
};

/** The new-pretrained-model form (§4.4): Caffe files, the images they take, a name. */
export const PRETRAINED_LAYOUT: FormLayout = {
  spec: PRETRAINED_FORM,
  uploads: [...PRETRAINED_UPLOADS],
  sections: [
    { legend: 'Model files', fields: ['framework', 'model_def_file', 'weights_file', 'labels_file'] },
    { legend: 'Images', fields: ['image_type', 'resize_mode', 'width', 'height'] },
    { legend: 'Name', fields: ['job_name'] },
  ],
  overrides: {
    framework: { control: 'select', choices: [{ value: 'caffe', label: 'Caffe' }] },
    image_type: { choices: [{ value: '3', label: 'Color' }, { value: '1', label: 'Grayscale' }] },
  },
};

/** A data extension's dataset form (§7.2), e.g. image-gradients; null for an unknown id. */
export function extensionDatasetLayout(extensionId: string): FormLayout | null {
  const extension = Object.hasOwn(DATA_EXTENSIONS, extensionId) ? DATA_EXTENSIONS[extensionId]! : null;
  if (!extension) return null;
  return {
    spec: { ...GENERIC_DATASET_FORM, ...extension.form },
    sections: [
      { legend: extension.title, fields: Object.keys(extension.form) },
      { legend: 'Name', fields: ['group_name', 'dataset_name'] },
    ],
  };
}

export interface ModelLayoutChoices {
  datasets: Choice[];
  previousModels: Choice[];
  /** Imported pretrained-model jobs (Done). */
  pretrainedModels?: Choice[];
  /** Classification models offer the standard networks; generic ones only custom networks. */
  standard: boolean;
}

export function modelLayout(choices: ModelLayoutChoices): FormLayout {
  const networks = choices.standard ? STANDARD_NETWORK_NAMES.map((n) => ({ value: n, label: { lenet: 'LeNet', alexnet: 'AlexNet', googlenet: 'GoogLeNet' }[n] ?? n })) : [];
  const methods = [
    ...(choices.standard ? [{ value: 'standard', label: 'Standard network' }] : []),
    { value: 'previous', label: 'Previous network (fine-tune)' },
    { value: 'custom', label: 'Custom network' },
    { value: 'pretrained', label: 'Pretrained network' },
  ];
  return {
    spec: MODEL_FORM,
    uploads: ['python_layer_client_file'],
    sections: [
      { legend: 'Data', fields: ['dataset'] },
      { legend: 'Network', fields: ['framework', 'method', 'standard_networks', 'previous_networks', 'pretrained_networks', 'custom_network', 'custom_network_snapshot'] },
      { legend: 'Solver options', fields: ['train_epochs', 'snapshot_interval', 'val_interval', 'traces_interval', 'random_seed', 'batch_size', 'batch_accumulation', 'solver_type', 'rms_decay', 'learning_rate', 'shuffle'] },
      { legend: 'Learning rate policy', fields: ['lr_policy', 'lr_step_size', 'lr_step_gamma', 'lr_multistep_values', 'lr_multistep_gamma', 'lr_exp_gamma', 'lr_inv_gamma', 'lr_inv_power', 'lr_poly_power', 'lr_sigmoid_step', 'lr_sigmoid_gamma'] },
      { legend: 'Data transformations', fields: ['use_mean', 'crop_size', 'aug_flip', 'aug_quad_rot', 'aug_rot', 'aug_scale', 'aug_noise', 'aug_contrast', 'aug_whitening', 'aug_hsv_use', 'aug_hsv_h', 'aug_hsv_s', 'aug_hsv_v'] },
      { legend: 'Hardware', fields: ['select_gpu', 'select_gpus_list', 'select_gpu_count'] },
      { legend: 'Python layers (refused: no code runs here)', fields: ['python_layer_from_client', 'python_layer_client_file', 'python_layer_server_file'] },
      { legend: 'Name', fields: ['group_name', 'model_name'] },
    ],
    overrides: {
      dataset: { control: 'select', choices: [{ value: '', label: 'Choose a dataset' }, ...choices.datasets] },
      framework: { control: 'select', choices: FRAMEWORKS.map((f) => ({ value: f, label: f === 'tensorflow' ? 'TensorFlow (TensorFlow.js)' : f === 'caffe' ? 'Caffe (prototxt networks, run on TensorFlow.js)' : 'Torch (layers JSON networks, run on TensorFlow.js)' })) },
      method: { control: 'radio', choices: methods },
      standard_networks: { control: 'radio', choices: networks },
      previous_networks: { control: 'select', choices: [{ value: '', label: 'None' }, ...choices.previousModels] },
      pretrained_networks: { control: 'select', choices: [{ value: '', label: (choices.pretrainedModels ?? []).length > 0 ? 'None' : 'None available' }, ...(choices.pretrainedModels ?? [])] },
      custom_network: { control: 'textarea' },
    },
    checkedByDefault: ['shuffle'],
  };
}

/** Initial values DIGITS' model page sets that the API's defaults do not (framework is a hidden field there). */
export function modelInitialValues(standard: boolean): Record<string, string> {
  return { framework: 'tensorflow', method: standard ? 'standard' : 'custom', ...(standard ? { standard_networks: 'lenet' } : {}) };
}
