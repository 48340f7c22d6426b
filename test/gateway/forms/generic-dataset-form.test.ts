// The generic dataset form (§7.2) merged with the image-gradients extension's form (§7.3).
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
  t.same(Object.keys(DATA_EXTENSIONS), ['image-gradients']);
});
