// bench/train-gpu runs on a software adapter (lavapipe) at tiny sizes: its gradient check passes,
// and it reports training, inference, classify-from-files and walkthrough figures (beside PyTorch
// when this machine's python3 has torch).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { lavapipeEnv } from '../helpers/webgpu.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const hasTorch = ['python3', '/usr/bin/python3'].some((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);

t.test('bench:train-gpu reports every case on lavapipe', async (t) => {
  const json = path.join(t.testdir(), 'bench.json');
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/train-gpu/run.ts', '--check', '--cases', 'lenet64,classify,walkthrough', '--json', json], {
    cwd: ROOT, encoding: 'utf8', timeout: 600_000, env: { ...process.env, ...lavapipeEnv() },
  });
  t.equal(run.status, 0, run.stderr.slice(-3000));
  t.match(run.stdout, /gradient check lenet: largest difference from the cpu backend \d\.\d+e-\d+/);
  t.notMatch(run.stdout, /TOO LARGE/);
  const report = JSON.parse(await fs.readFile(json, 'utf8')) as { engine: { name: string; adapter: { software: boolean } }; tiny: boolean; rows: { case: string; ours: number; unit: string }[]; anchors: Record<string, { img_s?: number; wall_s?: number }> };
  t.match(report, { engine: { name: 'webgpu', adapter: { software: true } }, tiny: true });
  t.same(report.rows.map((r) => r.case), ['lenet64-train', 'lenet-infer', 'classify-files', 'walkthrough']);
  for (const row of report.rows) t.ok(Number.isFinite(row.ours) && row.ours > 0, `${row.case}: ${row.ours} ${row.unit}`);
  t.match(run.stdout, /\| lenet64-train \| \d+ \|/, 'the table beside the anchor');
  if (hasTorch) {
    for (const c of ['lenet64-train', 'lenet-infer', 'classify-files']) t.ok((report.anchors[c]?.img_s ?? 0) > 0, `PyTorch ${c}: ${report.anchors[c]?.img_s} img/s`);
    t.ok((report.anchors.walkthrough?.wall_s ?? 0) > 0, 'PyTorch walkthrough wall time');
  } else {
    t.match(run.stdout, /PyTorch anchor skipped: no python3 with torch/, 'without torch it says so');
  }
});
