// The walkthrough's regression dataset: POST /datasets/generic/create/image-gradients.json builds
// 1000/250 gradient images with float [xslope, yslope] labels (§7.2–7.3, §5.3's JSON).
import path from 'node:path';
import t from 'tap';
import { decodeDatum, openDbReader } from '@digits-ts/dataset';
import { decodeImage } from '@digits-ts/imaging';
import { login, multipart, startStack, waitForStatus } from '../helpers/stack.ts';

t.test('image-gradients dataset through the REST API', async (t) => {
  const stack = await startStack(t);
  const cookie = await login(stack.app, 'alice');
  const post = (url: string, fields: Record<string, string>) => {
    const body = multipart(fields);
    return stack.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie } });
  };
  const res = await post('/datasets/generic/create/image-gradients.json', { dataset_name: 'gradients', train_image_count: '1000', val_image_count: '250', test_image_count: '0', image_width: '32', image_height: '32' });
  t.equal(res.statusCode, 200, res.body);
  const id = (res.json() as { id: string }).id;
  t.match(res.json(), { name: 'gradients', status: 'Initialized' });
  t.equal(await waitForStatus(stack.app, id), 'Done');
  t.match((await stack.app.inject(`/datasets/${id}/status`)).json(), { type: 'Generic Dataset', status: 'Done' });
  const json = (await stack.app.inject(`/datasets/${id}.json`)).json();
  t.same(json, {
    id, name: 'gradients', status: 'Done', directory: path.join(stack.jobsDir, id),
    create_db_tasks: [
      { name: 'Create train_db DB', stage: 'train_db', entry_count: 1000, feature_db_path: 'train_db/features', label_db_path: 'train_db/labels' },
      { name: 'Create val_db DB', stage: 'val_db', entry_count: 250, feature_db_path: 'val_db/features', label_db_path: 'val_db/labels' },
      { name: 'Create test_db DB', stage: 'test_db', entry_count: 0, feature_db_path: null, label_db_path: null },
    ],
    feature_dims: [32, 32, 1],
  });

  // every feature is the gradient its label describes (within the uint8 truncation)
  const features = openDbReader(path.join(stack.jobsDir, id, 'val_db/features'));
  const labels = openDbReader(path.join(stack.jobsDir, id, 'val_db/labels'));
  try {
    t.equal(features.count(), 250);
    const f = [...features.entries({ limit: 20 })];
    const l = [...labels.entries({ limit: 20 })];
    for (let i = 0; i < 20; i++) {
      const [xs, ys] = decodeDatum(l[i]!.value).floatData;
      const pixels = (await decodeImage(Buffer.from(decodeDatum(f[i]!.value).data), { maxPixels: 1e6 })).data;
      const expect = (x: number, y: number) => Math.trunc(((xs! * 255) / 32) * (x - 16) + ((ys! * 255) / 32) * (y - 16) + 127.5);
      t.ok(Math.abs(pixels[0]! - expect(0, 0)) <= 1 && Math.abs(pixels[32 * 32 - 1]! - expect(31, 31)) <= 1, `entry ${i} matches slopes ${xs}, ${ys}`);
    }
  } finally {
    features.close();
    labels.close();
  }

  const bad = await post('/datasets/generic/create/image-gradients.json', { dataset_name: '', train_image_count: '0' });
  t.equal(bad.statusCode, 400);
  t.same(bad.json(), { errors: { dataset_name: ['This field is required.'], train_image_count: ['This field is required.'] }, code: 'VALIDATION_FAILED' });
  const unknown = await post('/datasets/generic/create/no-such.json', { dataset_name: 'x' });
  t.equal(unknown.statusCode, 404);
});
