// The rooms inside the ml package: inference and training both stand on the shared batch
// preparation (src/batches) and neither reaches into the other, so a classify server never loads
// the training loop. Reads each file's imports with TypeScript's own pre-parser.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import ts from 'typescript';

const src = path.resolve(import.meta.dirname, '../../packages/ml/src');

/** The files of `room` (under src) each with the rooms, relative to src, that its relative imports reach. */
function importsOf(room: string): Map<string, string[]> {
  const dir = path.join(src, room);
  const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.m?ts$/.test(f));
  return new Map(files.map((file) => {
    const full = path.join(dir, file);
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(full, 'utf8'), true, true);
    const targets = importedFiles.map((i) => i.fileName).filter((name) => name.startsWith('.'))
      .map((name) => path.relative(src, path.resolve(path.dirname(full), name)));
    return [path.join(room, file), targets];
  }));
}

const reaches = (imports: Map<string, string[]>, room: string): string[] =>
  [...imports].flatMap(([file, targets]) => targets.filter((to) => to.startsWith(`${room}/`)).map((to) => `${file} → ${to}`));

t.test('infer imports nothing from train', async (t) => {
  const infer = importsOf('infer');
  t.ok(infer.get('infer/classify.ts')?.includes('batches/feed.ts'), 'the scan sees classify using the shared batch feed');
  t.same(reaches(infer, 'train'), []);
});

t.test('the shared batch preparation imports neither train nor infer', async (t) => {
  const batches = importsOf('batches');
  t.ok(batches.size >= 3, 'the scan sees the batches room');
  t.same([...reaches(batches, 'train'), ...reaches(batches, 'infer')], []);
});
