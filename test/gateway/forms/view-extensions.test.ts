// View extension selection (apps/gateway/src/forms/view-extensions.ts, contract §10.6): ids and
// the alias, config defaults for absent fields, and the refusals with their codes.
import t from 'tap';
import { parseViewForm, viewExtension, VIEW_EXTENSIONS } from '../../../apps/gateway/src/forms/view-extensions.ts';

t.test('choosing a view and reading its config', async (t) => {
  t.same(Object.keys(VIEW_EXTENSIONS).sort(), ['all-raw-data', 'image-bounding-boxes', 'image-gradients', 'image-image-output', 'image-segmentation']);
  t.same(parseViewForm({ view_extension_id: 'image-segmentation' }), { id: 'image-segmentation', title: 'Image Segmentation', config: { colormap: 'dataset' } }, 'colormap defaults to the dataset\'s palette');
  t.same(parseViewForm({ view_extension_id: 'image-segmentation', colormap: 'paired' }), { id: 'image-segmentation', title: 'Image Segmentation', config: { colormap: 'paired' } });
  t.same(parseViewForm({}), { id: 'all-raw-data', title: 'Raw Data' }, 'absent: Raw Data, the default');
  t.same(parseViewForm({ view_extension_id: '' }), { id: 'all-raw-data', title: 'Raw Data' });
  t.same(parseViewForm({ view_extension_id: 'image-image-output' }), { id: 'image-image-output', title: 'Image output', config: { channelOrder: 'rgb', pixelConversion: 'normalize' } }, 'absent config fields take their defaults');
  t.same(parseViewForm({ view_extension_id: 'image-output', channel_order: 'bgr', pixel_conversion: 'clip' }), { id: 'image-image-output', title: 'Image output', config: { channelOrder: 'bgr', pixelConversion: 'clip' } }, 'image-output is an alias');
  t.same(parseViewForm({ view_extension_id: 'image-gradients' }), { id: 'image-gradients', title: 'Gradients', config: { arrowColor: 'red', arrowSize: 80 } });
  t.same(parseViewForm({ view_extension_id: 'image-gradients', arrow_color: 'blue', arrow_size: '25' }).id, 'image-gradients');
  t.equal(viewExtension('image-output').id, 'image-image-output');
});

t.test('refusals', async (t) => {
  t.throws(() => parseViewForm({ view_extension_id: 'no-such-view' }), { code: 'VALIDATION_FAILED', statusCode: 400, message: "Unknown extension 'no-such-view'" }, 'a view we do not have');
  t.throws(() => parseViewForm({ view_extension_id: 'image-segmentation', colormap: 'jet' }), { code: 'VALIDATION_FAILED', message: /^Extension form validation failed with .*colormap.*Not a valid choice/ }, 'an unknown colormap');
  t.throws(() => viewExtension('nope'), { code: 'NOT_FOUND', statusCode: 404, message: "Unknown extension 'nope'" });
  t.throws(() => parseViewForm({ view_extension_id: 'image-gradients', arrow_size: '0' }), { code: 'VALIDATION_FAILED', message: /^Extension form validation failed with .*arrow_size.*This field is required/ }, 'DataRequired reads 0 as missing');
  t.throws(() => parseViewForm({ view_extension_id: 'image-gradients', arrow_size: '-3' }), { code: 'VALIDATION_FAILED', message: /Number must be at least 1/ });
  t.throws(() => parseViewForm({ view_extension_id: 'image-gradients', arrow_color: 'pink' }), { code: 'VALIDATION_FAILED', details: { errors: { arrow_color: ['Not a valid choice'] } } });
  t.throws(() => parseViewForm({ view_extension_id: 'image-image-output', channel_order: 'gbr' }), { code: 'VALIDATION_FAILED', details: { errors: { channel_order: ['Not a valid choice'] } } });
});
