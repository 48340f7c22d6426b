// The generic dataset form (§7.2) merged with the image-gradients (§7.3) and image-processing (§7.5) extensions' forms.
import t from 'tap';
import { GenericDatasetOptions, compileChecker } from '@digits-ts/contracts';
import { DATA_EXTENSIONS, parseGenericDatasetForm } from '../../../apps/gateway/src/forms/index.ts';

const check = compileChecker(GenericDatasetOptions);

t.test('defaults of §7.2 and §7.3', async (t) => {
  const parsed = parseGenericDatasetForm('image-gradients', { dataset_name: 'gradients' });
  t.ok(parsed && 'form' in parsed);
  if (!parsed || !('form' in parsed)) return;
  t.same(parsed.form.options, {
    extension: 'image-gradients', featureEncoding: 'png', labelEncoding: 'none', batchSize: 32, threads: 4, forceSameShape: true,
    extensionOptions: { trainCount: 1000, valCount: 250, testCount: 0, width: 32, height: 32 },
  });
  t.same(parsed.form.serverPaths, [], 'nothing on the server to check');
  t.ok(check.check(parsed.form.options), 'options satisfy the payload schema');
  t.equal(parsed.form.saved['form.train_image_count.data'], 1000);
});

t.test('errors of both forms come back merged', async (t) => {
  const parsed = parseGenericDatasetForm('image-gradients', { dsopts_batch_size: '0', train_image_count: 'many', dsopts_feature_encoding: 'gif', image_width: '' });
  t.same(parsed, { errors: {
    dataset_name: ['This field is required.'],
    dsopts_batch_size: ['This field is required.'],
    dsopts_feature_encoding: ['Not a valid choice'],
    train_image_count: ['Not a valid integer value'],
    image_width: ['This field is required.'],
  } });
});

t.test('optional counts may be blank; unknown extensions are null', async (t) => {
  const parsed = parseGenericDatasetForm('image-gradients', { dataset_name: 'g', val_image_count: '', test_image_count: '5', dsopts_force_same_shape: '0' });
  t.match(parsed, { form: { options: { forceSameShape: false, extensionOptions: { valCount: 0, testCount: 5 } } } });
  t.equal(parseGenericDatasetForm('no-such-extension', { dataset_name: 'g' }), null);
  t.equal(parseGenericDatasetForm('__proto__', { dataset_name: 'g' }), null);
  t.same(Object.keys(DATA_EXTENSIONS), ['image-gradients', 'image-processing', 'image-segmentation', 'image-object-detection']);
});

t.test('image-processing defaults (§7.5): the folders as server paths, a seed drawn in 0..1000', async (t) => {
  const parsed = parseGenericDatasetForm('image-processing', { dataset_name: 'denoise', feature_folder: '/data/in', label_folder: ' /data/out ' }, () => 0.9999);
  t.ok(parsed && 'form' in parsed);
  if (!parsed || !('form' in parsed)) return;
  t.same(parsed.form.options, {
    extension: 'image-processing', featureEncoding: 'png', labelEncoding: 'none', batchSize: 32, threads: 4, forceSameShape: true,
    extensionOptions: { featureFolder: '/data/in', labelFolder: '/data/out', pctVal: 10, valFeatureFolder: null, valLabelFolder: null, channelConversion: 'none', seed: 1000 },
  });
  t.ok(check.check(parsed.form.options), 'options satisfy the payload schema');
  const missing = 'Folder does not exist or is not reachable';
  t.same(parsed.form.serverPaths, [
    { field: 'feature_folder', path: '/data/in', kind: 'dir', missing },
    { field: 'label_folder', path: '/data/out', kind: 'dir', missing },
  ]);
  t.notOk(Object.keys(parsed.form.saved).some((k) => k.includes('seed')), 'the seed is no form value: a clone draws its own');
  const low = parseGenericDatasetForm('image-processing', { dataset_name: 'd', feature_folder: '/a', label_folder: '/b' }, () => 0);
  t.match(low, { form: { options: { extensionOptions: { seed: 0 } } } });
});

t.test('image-processing validation messages (§7.5)', async (t) => {
  t.same(parseGenericDatasetForm('image-processing', { dataset_name: 'd' }), { errors: { feature_folder: ['This field is required.'], label_folder: ['This field is required.'] } });
  t.same(parseGenericDatasetForm('image-processing', { dataset_name: 'd', feature_folder: '/a', label_folder: '/b', folder_pct_val: '', channel_conversion: 'CMYK' }), {
    errors: { folder_pct_val: ['Not a valid integer value', 'Number must be between 0 and 100.'], channel_conversion: ['Not a valid choice'] },
  });
  t.same(parseGenericDatasetForm('image-processing', { dataset_name: 'd', feature_folder: '/a', label_folder: '/b', folder_pct_val: '101' }), { errors: { folder_pct_val: ['Number must be between 0 and 100.'] } });
  // validation folders: required iff has_val_folder, not looked at otherwise
  t.same(parseGenericDatasetForm('image-processing', { dataset_name: 'd', feature_folder: '/a', label_folder: '/b', has_val_folder: 'y' }), {
    errors: { validation_feature_folder: ['This field is required.'], validation_label_folder: ['This field is required.'] },
  });
  const without = parseGenericDatasetForm('image-processing', { dataset_name: 'd', feature_folder: '/a', label_folder: '/b', validation_feature_folder: '/nowhere', folder_pct_val: '0', channel_conversion: 'L' });
  t.match(without, { form: { options: { extensionOptions: { valFeatureFolder: null, valLabelFolder: null, pctVal: 0, channelConversion: 'L' } } } });
  t.equal(without && 'form' in without ? without.form.serverPaths.length : -1, 2, 'the unused validation folder is not checked');
  const withVal = parseGenericDatasetForm('image-processing', { dataset_name: 'd', feature_folder: '/a', label_folder: '/b', has_val_folder: '1', validation_feature_folder: '/c', validation_label_folder: '/d' });
  t.match(withVal, { form: { options: { extensionOptions: { valFeatureFolder: '/c', valLabelFolder: '/d' } } } });
  t.same(withVal && 'form' in withVal ? withVal.form.serverPaths.map((p) => p.field) : [], ['feature_folder', 'label_folder', 'validation_feature_folder', 'validation_label_folder']);
});

t.test('image-object-detection defaults (§7.7): padding 1248×384, RGB, no resize; val_min_box_size must be sent', async (t) => {
  const base = { dataset_name: 'boxes', train_image_folder: '/data/img', train_label_folder: '/data/lbl' };
  t.same(parseGenericDatasetForm('image-object-detection', base), { errors: { val_min_box_size: ['This field is required.'] } }, 'absent');
  t.same(parseGenericDatasetForm('image-object-detection', { ...base, val_min_box_size: '' }), { errors: { val_min_box_size: ['This field is required.'] } }, 'blank');
  const parsed = parseGenericDatasetForm('image-object-detection', { ...base, val_min_box_size: '0' });
  t.ok(parsed && 'form' in parsed);
  if (!parsed || !('form' in parsed)) return;
  t.same(parsed.form.options.extensionOptions, {
    trainImageFolder: '/data/img', trainLabelFolder: '/data/lbl', valImageFolder: null, valLabelFolder: null,
    padding: { width: 1248, height: 384 }, resize: null, channelConversion: 'RGB', valMinBoxSize: 0, customClasses: [],
  });
  t.ok(check.check(parsed.form.options), 'options satisfy the payload schema');
  t.same(parsed.form.serverPaths.map((p) => p.field), ['train_image_folder', 'train_label_folder']);
  const full = parseGenericDatasetForm('image-object-detection', {
    ...base, val_min_box_size: '25', val_image_folder: '/v/img', val_label_folder: '/v/lbl', padding_image_width: '', padding_image_height: '',
    resize_image_width: '64', resize_image_height: '48', custom_classes: 'DontCare, Car ,truck',
  });
  t.match(full, { form: { options: { extensionOptions: { valImageFolder: '/v/img', valLabelFolder: '/v/lbl', padding: null, resize: { width: 64, height: 48 }, valMinBoxSize: 25, customClasses: ['dontcare', 'car', 'truck'] } } } });
});

t.test('image-object-detection validation messages (§7.7)', async (t) => {
  t.same(parseGenericDatasetForm('image-object-detection', {
    dataset_name: 'd', val_min_box_size: '-1', val_label_folder: '/v', padding_image_width: '', resize_image_height: '10', channel_conversion: 'CMYK',
  }), { errors: {
    train_image_folder: ['This field is required.'],
    train_label_folder: ['This field is required.'],
    val_min_box_size: ['Number must be at least 0.'],
    channel_conversion: ['Not a valid choice'],
    val_image_folder: ['This field is required if val_label_folder is set.'],
    padding_image_width: ['This field is required if padding_image_height is set.'],
    resize_image_width: ['This field is required if resize_image_height is set.'],
  } });
  t.same(parseGenericDatasetForm('image-object-detection', { dataset_name: 'd', train_image_folder: '/a', train_label_folder: '/b', val_min_box_size: '5', padding_image_height: '0' }), {
    errors: { padding_image_height: ['Number must be at least 1.'] },
  });
});
