// docker-compose.yml, Dockerfile and the README's Docker section: schema-valid and consistent with
// packages/config. No Docker engine runs on our build machines, so these checks are all they get.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  buildProblems, commandProblems, composeValidator, configProblems, durationSeconds, gpuProblems, healthProblems,
  imageAssigned, parseCompose, readmeProblems, redisProblems, schemaProblems, shutdownProblems, stagesOf, volumeProblems,
  type Compose,
} from './compose-checks.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), 'utf8');

// The Compose Specification's schema, vendored unchanged from compose-spec/compose-spec,
// schema/compose-spec.json at commit b2835e8acc1e42e7aecbc27a9bc4a1fc66ef21ba (SOURCES.md).
const SPEC_TEXT = fs.readFileSync(path.join(HERE, 'compose-spec.json'), 'utf8');
const SPEC_SHA256 = '91ae91d24640d45634c9d4b5f4e3a5ce1b6b6da38bc06b27e2a04891f81f32da';
const validator = composeValidator(JSON.parse(SPEC_TEXT));

const compose = parseCompose(read('docker-compose.yml'));
const readme = read('README.md');
const imageTexts = [read('Dockerfile'), ...fs.readdirSync(path.join(ROOT, 'docker')).map((f) => read(`docker/${f}`))];
const assigned = imageAssigned(imageTexts);
const copy = (): Compose => structuredClone(compose);

t.test('the vendored schema is the upstream file, unedited', async (t) => {
  t.equal(crypto.createHash('sha256').update(SPEC_TEXT).digest('hex'), SPEC_SHA256, 'sha256 of compose-spec.json');
  t.equal(JSON.parse(SPEC_TEXT).title, 'Compose Specification');
});

t.test('docker-compose.yml', async (t) => {
  t.same(Object.keys(compose.services).sort(), ['gateway', 'redis', 'worker', 'worker-cpu'], 'services');
  t.same(schemaProblems(compose, validator), [], 'valid against the Compose Specification schema');
  t.same(configProblems(compose), [], 'sets only variables packages/config reads, with values it accepts');
  t.same(buildProblems(compose, ROOT), [], 'Dockerfiles, targets and copied files exist');
  t.same(gpuProblems(compose), [], 'the GPU worker reserves nvidia GPUs and can be scaled');
  t.same(redisProblems(compose), [], 'Redis: AOF on a named volume, noeviction');
  t.same(healthProblems(compose), [], 'health checks on every service but the workers');
  t.same(volumeProblems(compose), [], 'one jobs volume and one data source shared by gateway and workers');
  t.same(shutdownProblems(compose), [], 'Docker waits longer than SHUTDOWN_TIMEOUT_MS');
  t.same(readmeProblems(compose, readme, assigned), [], "the README's Docker section matches");
});

t.test('targets and images: Node 22 from npm and Debian only, webgpu for the GPU worker', async (t) => {
  const dockerfile = read('Dockerfile');
  const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
  t.equal(engines, '>=22', 'package.json asks for Node 22');
  t.match(dockerfile, /^ARG NODE_IMAGE=node:22-bookworm-slim$/m, 'every image on Node 22 (Debian bookworm)');
  t.same([...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]).filter((from) => !/^\$\{NODE_IMAGE\}$|^(node-base|manifests|deps)$/.test(from!)), [], 'no base image but Node\'s');
  t.notMatch(dockerfile, /^# syntax=/m, 'no BuildKit frontend image to pull');
  t.notMatch(dockerfile, /tfjs-node|nvidia\/cuda|storage\.googleapis/, 'no download outside npm and Debian');
  t.notMatch(dockerfile, /COPY --chmod/, 'the classic builder builds it');
  t.match(dockerfile, /npm ci --omit=dev --ignore-scripts/, 'dependencies without install scripts');
  const gpu = dockerfile.slice(dockerfile.indexOf('FROM node-base AS worker-gpu'));
  t.match(gpu, /apt-get install -y --no-install-recommends libvulkan1 mesa-vulkan-drivers/, 'the Vulkan loader and the device-select layer');
  t.match(gpu, /rm -rf [^\n]*\/usr\/share\/vulkan\/icd\.d\/\*/, 'no software Vulkan driver for webgpu to fall back on');
  t.match(gpu, /NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics/, 'the graphics capability brings NVIDIA\'s Vulkan driver');
  t.match(gpu, /^ENTRYPOINT \["gpu-entrypoint", "\/app\/docker\/worker-entrypoint\.sh"\]$/m, 'claims a GPU, then sizes the threadpool');
  t.match(dockerfile, /^ENTRYPOINT \["\/app\/docker\/worker-entrypoint\.sh"\]$/m, 'worker-cpu sizes the threadpool');
  for (const target of ['gateway', 'worker-cpu', 'worker-gpu']) t.ok(stagesOf(dockerfile).includes(target), `target ${target}`);
  for (const target of ['worker-cpu', 'worker-gpu']) {
    const stage = dockerfile.slice(dockerfile.indexOf(`FROM node-base AS ${target}`)).split(/^FROM /m)[1]!;
    t.match(stage, /^ARG ENGINE=wasm$/m, `${target}: the native engine only when asked for (ENGINE=tensorflow)`);
    t.match(stage, target === 'worker-gpu' ? /^RUN docker\/install-engine\.sh "\$ENGINE" --gpu$/m : /^RUN docker\/install-engine\.sh "\$ENGINE"$/m, `${target}: docker/install-engine.sh`);
  }
  const installEngine = read('docker/install-engine.sh');
  t.match(installEngine, /^\s*wasm\) exit 0 ;;$/m, 'ENGINE=wasm installs nothing');
  t.match(installEngine, /npm run engine -- tensorflow/, 'ENGINE=tensorflow runs the engine command');
  for (const script of ['gpu-entrypoint.sh', 'worker-entrypoint.sh', 'install-engine.sh']) t.ok(fs.statSync(path.join(ROOT, 'docker', script)).mode & 0o111, `docker/${script} is executable (COPY keeps the mode)`);
});

t.test('the checks catch broken files', async (t) => {
  let c = copy();
  const gatewayEnv = c.services.gateway!.environment as Record<string, string>;
  gatewayEnv.REDIS_URI = gatewayEnv.REDIS_URL!;
  delete gatewayEnv.REDIS_URL;
  t.match(configProblems(c), [/gateway sets REDIS_URI, which packages\/config does not read/], 'a misspelt variable');

  c = copy();
  (c.services.gateway!.environment as Record<string, string>).WORKER_QUEUES = 'train';
  t.match(configProblems(c), [/gateway sets WORKER_QUEUES/], 'a worker variable on the gateway');

  c = copy();
  (c.services.worker!.environment as Record<string, string>).WORKER_QUEUES = 'ingest,trian';
  t.match(configProblems(c), [/worker: WORKER_QUEUES must be a comma list/], 'a value the loader refuses');

  c = copy();
  (c.services.redis as Record<string, unknown>).restart_policy = 'always';
  t.not(schemaProblems(c, validator).length, 0, 'a key the schema does not know');
  c = copy();
  delete c.services.gateway!.build;
  t.match(schemaProblems(c, validator), [/services\.gateway must have required property 'build'/], 'a service with neither build nor image');

  c = copy();
  c.services.worker!.build = { context: '.', dockerfile: 'Dockerfile', target: 'worker-gpux' };
  t.match(buildProblems(c, ROOT), [/worker builds target worker-gpux/], 'a missing target');
  c = copy();
  c.services.gateway!.build = { context: '.', dockerfile: 'docker/gateway.Dockerfile', target: 'gateway' };
  t.match(buildProblems(c, ROOT), [/does not exist/], 'a missing Dockerfile');

  c = copy();
  delete c.services.worker!.deploy;
  t.match(gpuProblems(c), [/worker reserves no nvidia device/], 'no GPU reservation');

  c = copy();
  c.services.redis!.command = ['redis-server', '--appendonly', 'yes'];
  t.match(redisProblems(c), [/noeviction/], 'Redis allowed to evict');
  c = copy();
  c.services.redis!.command = ['redis-server', '--maxmemory-policy', 'noeviction'];
  t.match(redisProblems(c), [/appendonly/], 'Redis without AOF');

  c = copy();
  delete c.services.gateway!.healthcheck;
  t.match(healthProblems(c), [/gateway has no health check/], 'gateway without health check');

  c = copy();
  c.services['worker-cpu']!.volumes = ['other-jobs:/jobs', './data:/data:ro'];
  c.volumes = { ...c.volumes, 'other-jobs': null };
  t.match(volumeProblems(c), [/JOBS_DIR comes from different volumes/], 'workers on another jobs volume');

  c = copy();
  c.services.worker!.stop_grace_period = '5s';
  t.match(shutdownProblems(c), [/worker: stop_grace_period 5s/], 'Docker kills before the worker times out');

  const extraRow = readme.replace('| `redis` |', '| `scheduler` | x | y |\n| `redis` |');
  t.match(readmeProblems(compose, extraRow, assigned), [/README names service scheduler/], 'README names a service the file lacks');
  const extraVar = readme.replace('(`JOBS_DIR=/jobs`)', '(`JOBS_DIR=/jobs`, `JOB_DIR=/jobs`)');
  t.match(readmeProblems(compose, extraVar, assigned), [/README names JOB_DIR/, /README says JOB_DIR=\/jobs/], 'README names a variable the file does not set');
  const wrongValue = readme.replace('`DATA_ROOTS=/data`', '`DATA_ROOTS=/images`');
  t.match(readmeProblems(compose, wrongValue, assigned), [/README says DATA_ROOTS=\/images/], 'README states another value');
  t.match(commandProblems(compose, 'docker compose up --scale worker-cpu=2'), [/scales worker-cpu, which none of its profiles enables/]);
  t.match(commandProblems(compose, 'docker compose --profile gpu up --scale workers=2'), [/no service has profile gpu/, /no service workers/]);
});

t.test('helpers', async (t) => {
  t.equal(durationSeconds('40s'), 40);
  t.equal(durationSeconds('1m30s'), 90);
  t.equal(durationSeconds('1500ms'), 1.5);
  t.throws(() => durationSeconds('forty'), /not a Compose duration/);
  t.same(stagesOf('FROM a AS one\nFROM --platform=x b as two\nFROM c\n'), ['one', 'two']);
  t.same(Object.fromEntries(imageAssigned(['ENV A=1 B=two\n', '  export C=3\nD="$x"\n'])), { A: '1', B: 'two', C: '3', D: '"$x"' });
});
