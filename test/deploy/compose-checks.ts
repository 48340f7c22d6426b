/**
 * Checks of docker-compose.yml against the Compose Specification schema, packages/config, the
 * Dockerfile and the README's "## Docker" section. Each returns a list of problems (empty: fine),
 * so compose.test.ts can run them on the real files and on broken copies.
 *
 * compose-spec.json is the Compose Specification's JSON schema, copied unchanged from
 * https://github.com/compose-spec/compose-spec, file schema/compose-spec.json at commit
 * b2835e8acc1e42e7aecbc27a9bc4a1fc66ef21ba (see SOURCES.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2019, type ValidateFunction } from 'ajv/dist/2019.js';
import { parseDocument } from 'yaml';
import { ConfigError, GATEWAY_VARS, WORKER_VARS, loadGatewayConfig, loadWorkerConfig, type Env } from '@digits-ts/config';

type Mount = string | { type: string; source?: string; target?: string };
type Build = string | { context?: string; dockerfile?: string; target?: string };
interface Device { driver?: string; count?: string | number; capabilities?: string[] }

/** The parts of a Compose service these checks read. */
export interface Service {
  image?: string;
  build?: Build;
  command?: string | string[] | null;
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition: string }>;
  volumes?: Mount[];
  ports?: unknown[];
  container_name?: string;
  profiles?: string[];
  stop_grace_period?: string;
  deploy?: { resources?: { reservations?: { devices?: Device[] } } };
}

export interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** docker-compose.yml as Compose reads it: YAML with `<<` merge keys resolved. */
export function parseCompose(text: string): Compose {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) throw new Error(`docker-compose.yml is not valid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS() as Compose;
}

/** A validator for the vendored schema plus its per-service rule (build or image). */
export function composeValidator(spec: { definitions: { constraints: { service: object } } }) {
  const ajv = new Ajv2019({ allErrors: true, strictTypes: false });
  // the schema's draft-04 style `id`s: Ajv rejects the keyword, here they are plain annotations
  ajv.removeKeyword('id');
  ajv.addKeyword('id');
  ajv.addFormat('expose', /^\d+(-\d+)?(\/[a-z]+)?$/i); // as compose-go checks `expose` entries
  return { file: ajv.compile(spec), service: ajv.compile(spec.definitions.constraints.service) };
}

const errorsOf = (validate: ValidateFunction, where: string) =>
  (validate.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message ?? 'is invalid'}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);

export function schemaProblems(compose: Compose, validator: ReturnType<typeof composeValidator>): string[] {
  const problems = validator.file(compose) ? [] : errorsOf(validator.file, 'docker-compose.yml');
  for (const [name, service] of Object.entries(compose.services ?? {})) {
    if (!validator.service(service)) problems.push(...errorsOf(validator.service, `services.${name}`));
  }
  return problems;
}

/** A service's environment as NAME -> value strings (map or `NAME=value` list syntax). */
export function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((item) => [item.split('=')[0]!, item.slice(item.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** Which of our apps a service runs, from its command; null for anything else (Redis). */
export function appOf(service: Service): 'gateway' | 'worker' | null {
  const command = Array.isArray(service.command) ? service.command.join(' ') : service.command ?? '';
  if (command.includes('apps/gateway/')) return 'gateway';
  if (command.includes('apps/worker/')) return 'worker';
  return null;
}

/** Every variable a service sets is one its app's config schema declares, with a value the loader accepts. */
export function configProblems(compose: Compose): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    const env = envOf(service);
    const app = appOf(service);
    if (app === null) {
      if (Object.keys(env).length > 0) problems.push(`${name} runs neither the gateway nor the worker but sets ${Object.keys(env).join(', ')}`);
      continue;
    }
    const declared: Record<string, unknown> = app === 'gateway' ? GATEWAY_VARS : WORKER_VARS;
    for (const key of Object.keys(env)) {
      if (!(key in declared)) problems.push(`${name} sets ${key}, which packages/config does not read for the ${app}`);
    }
    try {
      (app === 'gateway' ? loadGatewayConfig : loadWorkerConfig)(env as Env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems.map((p) => `${name}: ${p}`));
    }
  }
  return problems;
}

const buildOf = (build: Build) => (typeof build === 'string' ? { context: build } : build);

/** Stage names (`FROM … AS name`) of a Dockerfile. */
export const stagesOf = (dockerfile: string) => [...dockerfile.matchAll(/^FROM\s+(?:--\S+\s+)*\S+\s+AS\s+(\S+)\s*$/gim)].map((m) => m[1]!);

/** The Dockerfiles referenced exist, have the targets named, and COPY only files the context has. */
export function buildProblems(compose: Compose, root: string): string[] {
  const problems: string[] = [];
  const ignored = new Set(readIfExists(path.join(root, '.dockerignore')).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
  for (const [name, service] of Object.entries(compose.services)) {
    if (!service.build) continue;
    const build = buildOf(service.build);
    const context = path.resolve(root, build.context ?? '.');
    const file = path.resolve(context, build.dockerfile ?? 'Dockerfile');
    if (!fs.existsSync(file)) {
      problems.push(`${name} builds from ${path.relative(root, file)}, which does not exist`);
      continue;
    }
    const text = fs.readFileSync(file, 'utf8');
    if (build.target && !stagesOf(text).includes(build.target)) problems.push(`${name} builds target ${build.target}, which ${path.relative(root, file)} lacks`);
    for (const [, args] of text.matchAll(/^COPY\s+(.+)$/gm)) {
      if (/--from=/.test(args!)) continue;
      const sources = args!.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1).filter((s) => s !== '.');
      for (const source of sources) {
        if (!fs.existsSync(path.join(context, source))) problems.push(`${path.relative(root, file)} copies ${source}, which the build context lacks`);
        else if (ignored.has(source.split('/')[0]!)) problems.push(`${path.relative(root, file)} copies ${source}, which .dockerignore leaves out`);
      }
    }
  }
  return problems;
}

function readIfExists(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

/** The GPU worker (service `worker`) reserves NVIDIA GPUs; scaled workers publish no ports and have no fixed name. */
export function gpuProblems(compose: Compose): string[] {
  const problems: string[] = [];
  const worker = compose.services.worker;
  if (!worker) return ['docker-compose.yml has no worker service'];
  const devices = worker.deploy?.resources?.reservations?.devices ?? [];
  if (!devices.some((d) => d.driver === 'nvidia' && (d.capabilities ?? []).includes('gpu'))) problems.push('worker reserves no nvidia device with capability gpu');
  if (worker.profiles?.length) problems.push('worker is in a profile, so `docker compose up` would start no GPU worker');
  for (const [name, service] of Object.entries(compose.services)) {
    if (appOf(service) !== 'worker') continue;
    if (service.container_name) problems.push(`${name} sets container_name, so it cannot be scaled`);
    if (service.ports?.length) problems.push(`${name} publishes ports, so a second replica would clash`);
  }
  return problems;
}

const mountsOf = (service: Service) =>
  (service.volumes ?? []).map((m) => {
    if (typeof m !== 'string') return { source: m.source ?? '', target: m.target ?? '', named: m.type === 'volume' };
    const [source = '', target = ''] = m.split(':');
    return { source, target, named: !/^[./~]/.test(source) };
  });

/** Redis keeps an append-only file on a named volume and never evicts keys. */
export function redisProblems(compose: Compose): string[] {
  const redis = compose.services.redis;
  if (!redis) return ['docker-compose.yml has no redis service'];
  const command = Array.isArray(redis.command) ? redis.command.join(' ') : redis.command ?? '';
  const problems: string[] = [];
  if (!/--appendonly yes\b/.test(command)) problems.push('redis does not run with --appendonly yes');
  if (!/--maxmemory-policy noeviction\b/.test(command)) problems.push('redis does not run with --maxmemory-policy noeviction');
  if (!mountsOf(redis).some((m) => m.named && m.target === '/data')) problems.push('redis has no named volume on /data, so its AOF would not outlive the container');
  return problems;
}

/** Every service but the workers has a health check; `service_healthy` only waits on services that have one. */
export function healthProblems(compose: Compose): string[] {
  const problems: string[] = [];
  const healthy = (s: Service | undefined) => Boolean(s?.healthcheck?.test) && s?.healthcheck?.disable !== true;
  for (const [name, service] of Object.entries(compose.services)) {
    if (appOf(service) !== 'worker' && !healthy(service)) problems.push(`${name} has no health check`);
    const deps = Array.isArray(service.depends_on) ? {} : service.depends_on ?? {};
    for (const [dep, { condition }] of Object.entries(deps)) {
      if (condition === 'service_healthy' && !healthy(compose.services[dep])) problems.push(`${name} waits for ${dep} to be healthy, but ${dep} has no health check`);
    }
  }
  return problems;
}

/** The gateway and workers mount one named volume at JOBS_DIR and one source at every DATA_ROOTS folder. */
export function volumeProblems(compose: Compose): string[] {
  const problems: string[] = [];
  const sources = { jobs: new Set<string>(), data: new Set<string>() };
  for (const [name, service] of Object.entries(compose.services)) {
    if (appOf(service) === null) continue;
    const env = envOf(service);
    const mounts = mountsOf(service);
    const jobs = mounts.find((m) => m.target === env.JOBS_DIR);
    if (!env.JOBS_DIR || !jobs) problems.push(`${name} sets no JOBS_DIR that a volume is mounted on`);
    else if (!jobs.named || !(jobs.source in (compose.volumes ?? {}))) problems.push(`${name} mounts ${jobs.source} on JOBS_DIR, which is not a declared named volume`);
    else sources.jobs.add(jobs.source);
    for (const root of (env.DATA_ROOTS ?? '').split(':').filter(Boolean)) {
      const data = mounts.find((m) => m.target === root);
      if (!data) problems.push(`${name} has nothing mounted on DATA_ROOTS folder ${root}`);
      else sources.data.add(data.source);
    }
  }
  if (sources.jobs.size > 1) problems.push(`JOBS_DIR comes from different volumes: ${[...sources.jobs].join(', ')}`);
  if (sources.data.size > 1) problems.push(`DATA_ROOTS come from different sources: ${[...sources.data].join(', ')}`);
  return problems;
}

/** Seconds in a Compose duration such as `40s` or `1m30s`. */
export function durationSeconds(text: string): number {
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|us|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new Error(`not a Compose duration: ${text}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]!]!, 0);
}

/** Docker waits stop_grace_period (10s by default) before SIGKILL: longer than the app's own SHUTDOWN_TIMEOUT_MS. */
export function shutdownProblems(compose: Compose): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    if (appOf(service) === null) continue;
    const grace = durationSeconds(service.stop_grace_period ?? '10s');
    const timeout = Number(envOf(service).SHUTDOWN_TIMEOUT_MS ?? 10_000) / 1000;
    if (grace <= timeout) problems.push(`${name}: stop_grace_period ${grace}s is not longer than SHUTDOWN_TIMEOUT_MS (${timeout}s), so Docker kills it mid-shutdown`);
  }
  return problems;
}

/** The README's "## Docker" section, up to the next "## " heading. */
export function dockerSection(readme: string): string {
  const lines = readme.split(/\r?\n/);
  const start = lines.findIndex((l) => /^##\s+Docker\s*$/.test(l));
  if (start < 0) throw new Error('README.md has no "## Docker" section');
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => /^##\s/.test(l));
  return (end < 0 ? rest : rest.slice(0, end)).join('\n');
}

/** Names the images assign (Dockerfile `ENV NAME=value`, `NAME=` in docker/*.sh), with their values. */
export function imageAssigned(texts: readonly string[]): Map<string, string> {
  const assigned = new Map<string, string>();
  for (const text of texts) {
    for (const [, pairs] of text.matchAll(/^ENV\s+(.+)$/gm)) {
      for (const [, k, v] of pairs!.matchAll(/([A-Z][A-Z0-9_]*)=(\S*)/g)) assigned.set(k!, v!);
    }
    for (const [, k, v] of text.matchAll(/^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=(\S*)/gm)) assigned.set(k!, v!);
  }
  return assigned;
}

/** Services, variables and commands the README's Docker section names are the compose file's. */
export function readmeProblems(compose: Compose, readme: string, assigned: ReadonlyMap<string, string>): string[] {
  const section = dockerSection(readme);
  const problems: string[] = [];
  const services = Object.keys(compose.services);
  const table = [...section.matchAll(/^\|\s*`([^`]+)`\s*\|/gm)].map((m) => m[1]!);
  for (const name of table) if (!services.includes(name)) problems.push(`README names service ${name}, which docker-compose.yml lacks`);
  for (const name of services) if (!table.includes(name)) problems.push(`docker-compose.yml service ${name} is missing from the README's service table`);

  const envs = Object.values(compose.services).map(envOf);
  const withoutValues = section.replace(/\b([A-Z][A-Z0-9_]*)=[^`\s]*/g, '$1=');
  for (const [, name] of withoutValues.matchAll(/\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/g)) {
    if (!envs.some((env) => name! in env) && !assigned.has(name!)) problems.push(`README names ${name}, which neither docker-compose.yml nor the images set`);
  }
  for (const [, name, value] of section.matchAll(/`([A-Z][A-Z0-9_]*)=([^`\s]+)`/g)) {
    if (!envs.some((env) => env[name!] === value) && assigned.get(name!) !== value) problems.push(`README says ${name}=${value}, which docker-compose.yml does not set`);
  }
  for (const line of section.split('\n').filter((l) => /^docker compose\b/.test(l))) problems.push(...commandProblems(compose, line));
  return problems;
}

/** A `docker compose … up …` line names only profiles and services the file has, scaling only enabled ones. */
export function commandProblems(compose: Compose, line: string): string[] {
  const words = line.replace(/#.*$/, '').trim().split(/\s+/).slice(2);
  const profiles: string[] = [];
  const scaled: string[] = [];
  const named: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '--profile') profiles.push(words[++i] ?? '');
    else if (word === '--scale') scaled.push((words[++i] ?? '').split('=')[0]!);
    else if (!word.startsWith('-') && word !== 'up') named.push(word);
  }
  const problems: string[] = [];
  const known = new Set(Object.values(compose.services).flatMap((s) => s.profiles ?? []));
  for (const p of profiles) if (!known.has(p)) problems.push(`"${line}": no service has profile ${p}`);
  for (const s of [...named, ...scaled]) if (!compose.services[s]) problems.push(`"${line}": no service ${s}`);
  for (const s of scaled) {
    const service = compose.services[s];
    const enabled = !service?.profiles?.length || service.profiles.some((p) => profiles.includes(p)) || named.includes(s);
    if (service && !enabled) problems.push(`"${line}": scales ${s}, which none of its profiles enables`);
  }
  return problems;
}
