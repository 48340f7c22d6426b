/**
 * Writes apps/gateway/standard-networks/tensorflow/<name>.json: each standard network's deploy
 * graph as TF.js layers JSON, for `POST /models/customize`. test/ml/standard-texts.test.ts checks
 * the files still match the builders. Run: npx tsx scripts/standard-networks.ts
 */
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { standardNetworkFile } from '../apps/gateway/src/standard-networks.ts';
import { initBackend, STANDARD_NETWORKS, standardNetworkJson } from '@digits-ts/ml';

await initBackend('cpu');
for (const name of STANDARD_NETWORKS) {
  const file = fileURLToPath(standardNetworkFile(name, 'tensorflow'));
  await fs.mkdir(new URL('.', standardNetworkFile(name, 'tensorflow')), { recursive: true });
  await fs.writeFile(file, standardNetworkJson(name));
  console.log(`wrote ${file}`);
}
