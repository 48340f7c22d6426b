// loadGatewayConfig / loadWorkerConfig: pure loaders over literal env objects (STYLE §6).
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ALL_VARS, COMMON_VARS, ConfigError, GATEWAY_VARS, loadGatewayConfig, loadWorkerConfig, WORKER_VARS, type Env } from '@digits-ts/config';

/** Runs `load` and returns its ConfigError's problems ([] when it loads). */
function problemsOf(load: (env: Env) => unknown, env: Env): string[] {
  try {
    load(env);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems;
  }
}

/** The variable names a problem list mentions (each problem starts with its name). */
const named = (problems: string[]) => problems.map((p) => p.split(' ')[0]).sort();

t.test('gateway defaults', async (t) => {
  const config = loadGatewayConfig({});
  t.same(config, {
    http: { host: '127.0.0.1', port: 5000 },
    redis: { url: 'redis://127.0.0.1:6379', prefix: 'digits' },
    jobsDir: path.resolve('.data/jobs'),
    dataRoots: [],
    sessionKey: '',
    authMode: 'username',
    uploads: { maxBytes: 64 * 1024 * 1024, maxFiles: 8 },
    serverName: '',
    inferTimeoutMs: 30_000,
    rateLimits: { inferPerMinute: 600, loginPerMinute: 30 },
    pressure: { maxEventLoopDelayMs: 1000, maxHeapBytes: 0 },
    logLevel: 'info',
    shutdownTimeoutMs: 10_000,
  });
});

t.test('worker defaults', async (t) => {
  const config = loadWorkerConfig({});
  t.same(config, {
    redis: { url: 'redis://127.0.0.1:6379', prefix: 'digits' },
    jobsDir: path.resolve('.data/jobs'),
    dataRoots: [],
    queues: ['ingest', 'train', 'infer'],
    ingestConcurrency: 1,
    datasetThreads: Math.max(1, os.availableParallelism()),
    imageMaxPixels: 8192 * 8192,
    tfBackend: 'auto',
    trainThreads: Math.max(1, os.availableParallelism()),
    trainInMemoryMaxBytes: 2 * 1024 ** 3,
    inferCacheModels: 4,
    heartbeatTtlMs: 15000,
    queueLockMs: 30000,
    stalledCheckMs: 15000,
    checkpointEveryMs: 300000,
    visibleGpus: '',
    metrics: { port: null, host: '127.0.0.1' },
    logLevel: 'info',
    shutdownTimeoutMs: 10_000,
  });
  t.throws(() => loadWorkerConfig({ TF_BACKEND: 'gpu' }), /TF_BACKEND/);
});

t.test('values are read and typed', async (t) => {
  const gateway = loadGatewayConfig({
    HTTP_HOST: '0.0.0.0', HTTP_PORT: '8080', REDIS_URL: 'redis://r:1', QUEUE_PREFIX: 'p', JOBS_DIR: '/var/jobs',
    DATA_ROOTS: '/data:/srv/images', SESSION_KEY: 'k', AUTH_MODE: 'token', UPLOAD_MAX_BYTES: '1024', UPLOAD_MAX_FILES: '2', SERVER_NAME: 'box',
    LOG_LEVEL: 'debug', SHUTDOWN_TIMEOUT_MS: '500', RATE_LIMIT_INFER_PER_MIN: '0', RATE_LIMIT_LOGIN_PER_MIN: '5',
    PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '250', PRESSURE_MAX_HEAP_BYTES: '1073741824',
  });
  t.same(gateway, {
    http: { host: '0.0.0.0', port: 8080 },
    redis: { url: 'redis://r:1', prefix: 'p' },
    jobsDir: '/var/jobs',
    dataRoots: ['/data', '/srv/images'],
    sessionKey: 'k',
    authMode: 'token',
    uploads: { maxBytes: 1024, maxFiles: 2 },
    serverName: 'box',
    inferTimeoutMs: 30_000,
    rateLimits: { inferPerMinute: 0, loginPerMinute: 5 },
    pressure: { maxEventLoopDelayMs: 250, maxHeapBytes: 1073741824 },
    logLevel: 'debug',
    shutdownTimeoutMs: 500,
  });
  const worker = loadWorkerConfig({ WORKER_QUEUES: ' train , ingest ', INGEST_CONCURRENCY: '3', DATASET_THREADS: '2', IMAGE_MAX_PIXELS: '100' });
  t.same(worker.queues, ['train', 'ingest']);
  t.equal(worker.ingestConcurrency, 3);
  t.equal(worker.datasetThreads, 2);
  t.equal(worker.imageMaxPixels, 100);
  t.equal(loadWorkerConfig({ DATASET_THREADS: '' }).datasetThreads, Math.max(1, os.availableParallelism()), 'empty DATASET_THREADS: one per CPU');
  t.equal(loadWorkerConfig({ DATASET_THREADS: ' ' }).datasetThreads, Math.max(1, os.availableParallelism()));
  t.same(loadWorkerConfig({ WORKER_QUEUES: 'infer' }).queues, ['infer']);
});

t.test('DATA_ROOTS: colon list, blanks dropped, each resolved to an absolute path', async (t) => {
  const table: Array<[string, string[]]> = [
    ['', []],
    [':', []],
    ['/data', ['/data']],
    ['/data/', ['/data']],
    ['/a:/b', ['/a', '/b']],
    [' /a : /b ', ['/a', '/b']],
    ['/a::/b:', ['/a', '/b']],
    ['/a/../b/./c', ['/b/c']],
    ['rel/dir', [path.resolve('rel/dir')]],
    ['.', [process.cwd()]],
  ];
  for (const [raw, expected] of table) {
    const roots = loadGatewayConfig({ DATA_ROOTS: raw }).dataRoots;
    t.same(roots, expected, JSON.stringify(raw));
    t.ok(roots.every((r) => path.isAbsolute(r)), `${JSON.stringify(raw)}: all absolute`);
  }
  t.equal(loadGatewayConfig({ JOBS_DIR: 'jobs' }).jobsDir, path.resolve('jobs'), 'JOBS_DIR resolved too');
});

interface BadCase { name: string; value: string }

// One bad value per row; each must be refused with a problem naming the variable.
const BAD_GATEWAY: BadCase[] = [
  { name: 'HTTP_PORT', value: '70000' },
  { name: 'HTTP_PORT', value: '65536' },
  { name: 'HTTP_PORT', value: '0' },
  { name: 'HTTP_PORT', value: '-1' },
  { name: 'HTTP_PORT', value: '80.5' },
  { name: 'HTTP_PORT', value: 'http' },
  { name: 'HTTP_PORT', value: '' },
  { name: 'UPLOAD_MAX_BYTES', value: '0' },
  { name: 'UPLOAD_MAX_BYTES', value: '1e6' },
  { name: 'UPLOAD_MAX_BYTES', value: '64MB' },
  { name: 'UPLOAD_MAX_FILES', value: 'many' },
  { name: 'SHUTDOWN_TIMEOUT_MS', value: '-5' },
  { name: 'LOG_LEVEL', value: 'verbose' },
  { name: 'LOG_LEVEL', value: 'INFO' },
  { name: 'LOG_LEVEL', value: '' },
  { name: 'AUTH_MODE', value: 'password' },
  { name: 'AUTH_MODE', value: 'Token' },
];
const BAD_WORKER: BadCase[] = [
  { name: 'WORKER_QUEUES', value: 'ingest,bogus' },
  { name: 'WORKER_QUEUES', value: 'bogus' },
  { name: 'WORKER_QUEUES', value: '' },
  { name: 'WORKER_QUEUES', value: ' , ' },
  { name: 'WORKER_QUEUES', value: 'Ingest' },
  { name: 'INGEST_CONCURRENCY', value: '0' },
  { name: 'DATASET_THREADS', value: '0' },
  { name: 'DATASET_THREADS', value: 'auto' },
  { name: 'IMAGE_MAX_PIXELS', value: '-1' },
  { name: 'SHUTDOWN_TIMEOUT_MS', value: '1.5' },
];

t.test('single bad values are refused, naming the variable', async (t) => {
  for (const [load, cases] of [[loadGatewayConfig, BAD_GATEWAY], [loadWorkerConfig, BAD_WORKER]] as const) {
    for (const { name, value } of cases) {
      const problems = problemsOf(load, { [name]: value });
      t.equal(problems.length, 1, `${name}=${JSON.stringify(value)}: one problem`);
      t.match(problems[0], new RegExp(`^${name} `), `${name}=${JSON.stringify(value)}: names the variable`);
    }
  }
  t.match(problemsOf(loadGatewayConfig, { HTTP_PORT: '70000' })[0], /70000/, 'the message quotes the bad value');
  t.match(problemsOf(loadWorkerConfig, { WORKER_QUEUES: 'ingest,bogus' })[0], /ingest, train, infer/, 'and lists the choices');
});

t.test('every problem is reported together', async (t) => {
  const gateway = problemsOf(loadGatewayConfig, { HTTP_PORT: '70000', UPLOAD_MAX_BYTES: 'x', LOG_LEVEL: 'loud', SHUTDOWN_TIMEOUT_MS: '0', HTTP_HOST: 'fine' });
  t.same(named(gateway), ['HTTP_PORT', 'LOG_LEVEL', 'SHUTDOWN_TIMEOUT_MS', 'UPLOAD_MAX_BYTES']);
  const worker = problemsOf(loadWorkerConfig, { WORKER_QUEUES: 'ingest,bogus', INGEST_CONCURRENCY: '-2', DATASET_THREADS: 'x', IMAGE_MAX_PIXELS: '0', HTTP_PORT: '70000' });
  t.same(named(worker), ['DATASET_THREADS', 'IMAGE_MAX_PIXELS', 'INGEST_CONCURRENCY', 'WORKER_QUEUES'], 'the worker ignores gateway-only variables');
  try {
    loadGatewayConfig({ HTTP_PORT: '70000', UPLOAD_MAX_FILES: '0' });
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof ConfigError);
    t.equal((err as ConfigError).name, 'ConfigError');
    t.match((err as Error).message, /^invalid configuration:\n {2}HTTP_PORT .*\n {2}UPLOAD_MAX_FILES /);
  }
});

t.test('unrelated variables are ignored', async (t) => {
  t.doesNotThrow(() => loadGatewayConfig({ NODE_ENV: 'production', PATH: '/bin', WORKER_QUEUES: 'bogus' }));
  t.doesNotThrow(() => loadWorkerConfig({ HTTP_PORT: 'nope', UPLOAD_MAX_BYTES: 'x' }));
});

t.test('the returned config is frozen', async (t) => {
  const gateway = loadGatewayConfig({});
  t.ok(Object.isFrozen(gateway), 'gateway');
  for (const key of ['http', 'redis', 'uploads'] as const) t.ok(Object.isFrozen(gateway[key]), `gateway.${key}`);
  t.throws(() => { (gateway as { jobsDir: string }).jobsDir = '/x'; }, TypeError, 'assignment throws in strict mode');
  t.throws(() => { (gateway.http as { port: number }).port = 1; }, TypeError);
  const worker = loadWorkerConfig({});
  t.ok(Object.isFrozen(worker), 'worker');
  t.ok(Object.isFrozen(worker.redis), 'worker.redis');
  t.not(loadGatewayConfig({}), gateway, 'each call builds a new object');
});

// STYLE §6: loaders "return a frozen, nested, typed object"; index.ts freezes objects but not the
// arrays (dataRoots, queues), so `config.dataRoots.push('/')` widens the path confinement.
t.test('list values in the config are frozen too', async (t) => {
  t.ok(Object.isFrozen(loadGatewayConfig({ DATA_ROOTS: '/data' }).dataRoots), 'gateway.dataRoots');
  t.ok(Object.isFrozen(loadWorkerConfig({}).dataRoots), 'worker.dataRoots');
  t.ok(Object.isFrozen(loadWorkerConfig({}).queues), 'worker.queues');
});

t.test('variable schemas', async (t) => {
  t.same(Object.keys(ALL_VARS).sort(), [...new Set([...Object.keys(GATEWAY_VARS), ...Object.keys(WORKER_VARS)])].sort(), 'ALL_VARS is the union');
  for (const name of Object.keys(COMMON_VARS)) t.ok(name in GATEWAY_VARS && name in WORKER_VARS, `${name} read by both apps`);
  for (const [name, def] of Object.entries(ALL_VARS)) {
    t.match(name, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/, `${name} is UPPER_SNAKE`);
    t.ok(def.doc.trim().length > 0 && !def.doc.includes('\n') && !def.doc.includes('|'), `${name} has a one-line doc fit for a table`);
    t.doesNotThrow(() => def.parse(def.defaultText), `${name}: its default parses`);
  }
  t.match(ALL_VARS.SHUTDOWN_TIMEOUT_MS.doc, /\(milliseconds\)/, 'units stated');
  t.match(ALL_VARS.UPLOAD_MAX_BYTES.doc, /\(bytes\)/, 'units stated');
  t.match(ALL_VARS.IMAGE_MAX_PIXELS.doc, /\(pixels\)/, 'units stated');
});
