// A separate, unbalanced val folder through the real stack (§6.2–6.3, §5.3): a category under
// folder_val_min_per_class is dropped from val_db and from that parse task's label_count, as in
// DIGITS (4 train labels, one dropped → 3), while the rest keep their train label indices.
import path from 'node:path';
import t from 'tap';
import { createDataset, hash, readDb, writeColourClasses } from '../helpers/datasets.ts';
import { login, startStack, waitForStatus } from '../helpers/stack.ts';

t.test('an unbalanced val folder: label_count without the dropped category, images split right', async (t) => {
  const stack = await startStack(t);
  const size = { width: 8, height: 6 };
  const trainDir = path.join(stack.dataDir, 'train');
  const valDir = path.join(stack.dataDir, 'val');
  await writeColourClasses(trainDir, ['ant', 'bee', 'cat', 'dog'], 3, size);
  const val = await writeColourClasses(valDir, ['ant', 'bee', 'dog'], 3, size);
  await writeColourClasses(valDir, ['cat'], 1, size); // under the val minimum of 2
  const cookie = await login(stack.app, 'alice');
  const res = await createDataset(stack.app, cookie, {
    dataset_name: 'unbalanced-val', folder_train: trainDir, has_val_folder: 'y', folder_val: valDir, folder_val_min_per_class: '2',
    resize_width: '8', resize_height: '6', encoding: 'none',
  });
  t.equal(res.statusCode, 200, res.body);
  const { id } = res.json() as { id: string };
  t.equal(await waitForStatus(stack.app, id), 'Done');

  const json = (await stack.app.inject(`/datasets/${id}.json`)).json();
  t.same(json.ParseFolderTasks, [
    { name: 'Parse Folder (train)', label_count: 4, train_count: 12, val_count: 0, test_count: 0 },
    { name: 'Parse Folder (val)', label_count: 3, train_count: 0, val_count: 9, test_count: 0 },
  ]);
  t.match(json.CreateDbTasks, [{ name: 'Create DB (train)', entries: 12 }, { name: 'Create DB (val)', entries: 9 }]);

  // val_db: the three kept categories under their train indices (ant 0, bee 1, dog 3), no cat
  const entries = await readDb(path.join(stack.jobsDir, id, 'val_db'));
  const byLabel = new Map<number, string[]>();
  for (const e of entries) byLabel.set(e.label, [...(byLabel.get(e.label) ?? []), hash(e.pixels)]);
  t.same([...byLabel.keys()].sort(), [0, 1, 3]);
  for (const [label, name] of [[0, 'ant'], [1, 'bee'], [3, 'dog']] as const) {
    t.same([...byLabel.get(label)!].sort(), [...val.get(name)!].sort(), `${name}'s val images under label ${label}`);
  }
});
