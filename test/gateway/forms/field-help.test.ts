// FIELD_HELP / fieldHelp: a label and help text for every field of every form the pages show.
import t from 'tap';
import { CLASSIFY_MANY_FORM, CLASSIFY_ONE_FORM, IMAGE_LIST_UPLOADS, INFER_DB_FORM, INFER_EXTENSION_FORM, INFER_MANY_FORM, INFER_ONE_FORM, ONE_IMAGE_UPLOADS, TOP_N_FORM } from '../../../apps/gateway/src/forms/inference-form.ts';
import { DATA_EXTENSIONS, DATASET_FORM, DATASET_UPLOAD_FIELDS, FIELD_HELP, fieldHelp, GENERIC_DATASET_FORM, MODEL_FORM, PREBUILT_DATASET_FORM, PRETRAINED_FORM, PRETRAINED_UPLOADS } from '../../../apps/gateway/src/forms/index.ts';

/** Fields the model parser reads outside MODEL_FORM: the repeated `select_gpus` and the `python_layer_client_file` upload. */
const MODEL_EXTRA_FIELDS = ['select_gpus', 'python_layer_client_file'];

const INFERENCE_FORMS = { CLASSIFY_ONE_FORM, CLASSIFY_MANY_FORM, TOP_N_FORM, INFER_ONE_FORM, INFER_MANY_FORM, INFER_DB_FORM, INFER_EXTENSION_FORM };

/** The inference routes' fields: their FormSpecs (contract §10) and uploads; the extensions' inference forms add theirs. */
const INFERENCE_FIELDS = [...new Set([...Object.values(INFERENCE_FORMS).flatMap((spec) => Object.keys(spec)), ...ONE_IMAGE_UPLOADS, ...IMAGE_LIST_UPLOADS])];

/** Every form the pages show, by a name for the messages, with its field names. */
const FORMS: Record<string, readonly string[]> = {
  DATASET_FORM: Object.keys(DATASET_FORM),
  DATASET_UPLOAD_FIELDS: Object.keys(DATASET_UPLOAD_FIELDS),
  MODEL_FORM: Object.keys(MODEL_FORM),
  'MODEL_FORM extras': MODEL_EXTRA_FIELDS,
  PREBUILT_DATASET_FORM: Object.keys(PREBUILT_DATASET_FORM),
  GENERIC_DATASET_FORM: Object.keys(GENERIC_DATASET_FORM),
  PRETRAINED_FORM: [...Object.keys(PRETRAINED_FORM), ...PRETRAINED_UPLOADS, 'archive'],
  ...Object.fromEntries(Object.entries(DATA_EXTENSIONS).flatMap(([id, ext]) => [
    [`DATA_EXTENSIONS['${id}'].form`, Object.keys(ext.form)],
    // image-processing has no inference form (§7.5)
    ...(ext.inferenceForm ? [[`DATA_EXTENSIONS['${id}'].inferenceForm`, Object.keys(ext.inferenceForm)]] : []),
  ])),
  'inference routes': INFERENCE_FIELDS,
};

const ALL_FIELDS = new Set(Object.values(FORMS).flat());

t.test('every field of every form has a label and a help text', (t) => {
  for (const [form, fields] of Object.entries(FORMS)) {
    t.ok(fields.length > 0, `${form} has fields`);
    for (const name of fields) {
      const entry = Object.hasOwn(FIELD_HELP, name) ? FIELD_HELP[name] : undefined;
      if (!entry) {
        t.fail(`${form}.${name} has no FIELD_HELP entry`);
        continue;
      }
      t.ok(entry.label.trim().length > 0, `${form}.${name}: label`);
      t.ok(entry.help.trim().length > 0, `${form}.${name}: help`);
    }
  }
  t.end();
});

t.test('labels are short and help texts are whole sentences', (t) => {
  for (const [name, { label, help }] of Object.entries(FIELD_HELP)) {
    t.ok(label.length <= 40 && !label.includes('\n'), `${name}: label "${label}" is short`);
    t.ok(/[.)]$/.test(help) && help === help.trim(), `${name}: help ends a sentence`);
    t.ok(help.length <= 400, `${name}: help is at most a few sentences (${help.length} chars)`);
    t.notOk(help.includes('`'), `${name}: help is plain text`);
  }
  t.end();
});

t.test('no FIELD_HELP entry is unknown to every form (stale entries)', (t) => {
  const stale = Object.keys(FIELD_HELP).filter((name) => !ALL_FIELDS.has(name));
  t.same(stale, [], 'every entry names a field of some form');
  t.end();
});

t.test('server-path fields say they must lie inside DATA_ROOTS', (t) => {
  for (const name of ['folder_train', 'folder_val', 'folder_test', 'textfile_local_train_images', 'textfile_train_folder', 'textfile_local_labels_file', 'prebuilt_train_images', 'prebuilt_mean_file', 'image_path', 'image_folder', 'db_path']) {
    t.match(fieldHelp(name).help, /DATA_ROOTS/, name);
  }
  t.match(fieldHelp('custom_network').help, /JSON/);
  t.match(fieldHelp('custom_network').help, /prototxt/);
  t.match(fieldHelp('framework').help, /TensorFlow\.js/);
  t.end();
});

t.test('fieldHelp returns the entry, or a fallback derived from the name', (t) => {
  t.equal(fieldHelp('resize_width'), FIELD_HELP.resize_width);
  const fallback = fieldHelp('no_such_field');
  t.equal(fallback.label, 'No Such Field');
  t.match(fallback.help, /no_such_field/);
  t.same(fieldHelp('job-1234-snapshot').label, 'Job 1234 Snapshot');
  t.ok(fieldHelp('').label.length > 0, 'an empty name still gets a label');
  // inherited Object properties are not entries
  t.equal(fieldHelp('toString').label, 'ToString');
  t.equal(fieldHelp('__proto__').label, 'Proto');
  t.end();
});
