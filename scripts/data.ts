/** `npm run data -- mnist <dir> [--per-class N]`: writes MNIST as PNG folders for DIGITS datasets. */
import path from 'node:path';
import { writeMnistPngs } from './mnist.ts';

const [command, dir, ...rest] = process.argv.slice(2);
if (command !== 'mnist' || !dir) {
  process.stderr.write('usage: npm run data -- mnist <dir> [--per-class N]\n');
  process.exit(2);
}
const perClassAt = rest.indexOf('--per-class');
const perClass = perClassAt >= 0 ? Number(rest[perClassAt + 1]) : undefined;
if (perClass !== undefined && !(Number.isInteger(perClass) && perClass > 0)) {
  process.stderr.write('--per-class needs a positive integer\n');
  process.exit(2);
}
const target = path.resolve(dir);
const started = Date.now();
const counts = await writeMnistPngs(target, perClass === undefined ? {} : { perClass });
process.stdout.write(`MNIST written to ${target}: ${counts.train} train and ${counts.test} test PNGs in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
process.stdout.write(`Create a dataset from ${path.join(target, 'train')} (set DATA_ROOTS=${target}).\n`);
