/**
 * View extensions (contract §10.6): how a generic model's outputs are shown on the HTML result
 * pages, chosen by the form-body field `view_extension_id`, each with its own config form.
 */
import { Errors, type OutputImageOptions, type SegmentationViewOptions } from '@digits-ts/contracts';
import { parseForm, type FormFields, type FormSpec } from './form.ts';
import type { FieldHelp } from './field-help.ts';

export interface ViewExtension {
  id: string;
  title: string;
  /** The one-line description the config snippet opens with. */
  description: string;
  form: FormSpec;
  /** Labels and help of the config fields (they belong to no create form). */
  help: Record<string, FieldHelp>;
}

/** The view a request without `view_extension_id` gets. */
export const DEFAULT_VIEW = 'all-raw-data';

/** The built-in views and the repository's gradients plug-in, by DIGITS' ids. */
export const VIEW_EXTENSIONS: Readonly<Record<string, ViewExtension>> = {
  'all-raw-data': {
    id: 'all-raw-data', title: 'Raw Data', form: {}, help: {},
    description: 'This visualization has no configuration options',
  },
  'image-bounding-boxes': {
    id: 'image-bounding-boxes', title: 'Bounding boxes', form: {}, help: {},
    description: 'Draws the boxes of each output, rows of [left, top, right, bottom, confidence], over the input image',
  },
  'image-gradients': {
    id: 'image-gradients', title: 'Gradients',
    description: 'Draws the predicted gradient as an arrow across the centre of the input image',
    form: {
      arrow_color: { kind: 'select', choices: ['red', 'green', 'blue'], default: 'red' },
      arrow_size: { kind: 'int', default: 80, required: true, min: 1 },
    },
    help: {
      arrow_color: { label: 'Arrow color', help: 'Colour of the arrow: red (default), green or blue.' },
      arrow_size: { label: 'Arrow size (%)', help: 'Length of the arrow for a gradient of 1, in percent of the image size. At least 1, default 80.' },
    },
  },
  'image-image-output': {
    id: 'image-image-output', title: 'Image output',
    description: 'Shows the first output of the network as an image',
    form: {
      channel_order: { kind: 'select', choices: ['rgb', 'bgr'], default: 'rgb' },
      pixel_conversion: { kind: 'select', choices: ['normalize', 'clip'], default: 'normalize' },
    },
    help: {
      channel_order: { label: 'Channel order', help: 'Order of the three channels of a colour output: rgb (default) or bgr. Ignored for grey outputs.' },
      pixel_conversion: { label: 'Pixel conversion', help: 'normalize (default) stretches the values to 0..255; clip keeps them and clamps them to 0..255.' },
    },
  },
  'image-segmentation': {
    id: 'image-segmentation', title: 'Image Segmentation',
    description: 'Shows the class of every pixel (the arg-max of the first output) over the input image, with a legend',
    form: {
      colormap: { kind: 'select', choices: ['dataset', 'paired', 'none'], default: 'dataset' },
    },
    help: {
      colormap: { label: 'Color map', help: 'dataset (default): the palette of the dataset\'s label images; paired: matplotlib\'s "Paired" colours; none: grey level = class index.' },
    },
  },
};

/** Other spellings of a view id: the issue's `image-output` is DIGITS' `image-image-output`. */
const ALIASES: Readonly<Record<string, string>> = { 'image-output': 'image-image-output' };

/** Every field a view may read, for the inference routes' docs. */
export const VIEW_FORM: FormSpec = Object.values(VIEW_EXTENSIONS).reduce<FormSpec>((all, v) => ({ ...all, ...v.form }), { view_extension_id: { kind: 'string' } });

/** The view named `id` (aliases included); unknown → 404, DIGITS' 500 `Unknown extension` made a client error. */
export function viewExtension(id: string): ViewExtension {
  const resolved = Object.hasOwn(ALIASES, id) ? ALIASES[id]! : id;
  if (!Object.hasOwn(VIEW_EXTENSIONS, resolved)) throw Errors.NOT_FOUND(`Unknown extension '${id}'`, { details: { views: Object.keys(VIEW_EXTENSIONS) } });
  return VIEW_EXTENSIONS[resolved]!;
}

/** The view a request asked for, with its config values. */
export type ChosenView =
  | { id: 'all-raw-data'; title: string }
  | { id: 'image-bounding-boxes'; title: string }
  | { id: 'image-image-output'; title: string; config: OutputImageOptions }
  | { id: 'image-gradients'; title: string; config: { arrowColor: 'red' | 'green' | 'blue'; arrowSize: number } }
  | { id: 'image-segmentation'; title: string; config: SegmentationViewOptions };

/**
 * The view `fields` (the form body only: a query-string value is ignored, §10.6) choose, its
 * config read from the same body with absent fields at their defaults. An unknown id is a 400
 * here (the id is a field value, not a path), a config that fails validation too, each with
 * DIGITS' wording in the error envelope.
 */
export function parseViewForm(fields: FormFields): ChosenView {
  const id = fields.view_extension_id?.trim() || DEFAULT_VIEW;
  let view: ViewExtension;
  try {
    view = viewExtension(id);
  } catch {
    throw Errors.VALIDATION_FAILED(`Unknown extension '${id}'`, { details: { field: 'view_extension_id', views: Object.keys(VIEW_EXTENSIONS) } });
  }
  const { values, errors } = parseForm(view.form, fields);
  if (Object.keys(errors).length > 0) throw Errors.VALIDATION_FAILED(`Extension form validation failed with ${JSON.stringify(errors)}`, { details: { errors } });
  if (view.id === 'image-image-output') {
    return { id: view.id, title: view.title, config: { channelOrder: values.channel_order as 'rgb' | 'bgr', pixelConversion: values.pixel_conversion as 'normalize' | 'clip' } };
  }
  if (view.id === 'image-gradients') {
    return { id: view.id, title: view.title, config: { arrowColor: values.arrow_color as 'red' | 'green' | 'blue', arrowSize: values.arrow_size as number } };
  }
  if (view.id === 'image-segmentation') return { id: view.id, title: view.title, config: { colormap: values.colormap as SegmentationViewOptions['colormap'] } };
  if (view.id === 'image-bounding-boxes') return { id: view.id, title: view.title };
  return { id: 'all-raw-data', title: view.title };
}
