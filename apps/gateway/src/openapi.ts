/**
 * The OpenAPI generator's set-up (@fastify/swagger), served at `/openapi.json` and browsable at
 * `/docs` (@fastify/swagger-ui). Each route declares its own docs beside its handler: summary,
 * tag, JSON answers (`response`, which Fastify also serializes with) and its form (`schema.form`,
 * from the same FormSpec its handler parses with). Forms are documented, not validated by
 * Fastify: they keep DIGITS' own validation (WTForms-shaped errors, contract §1.3).
 */
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import swagger, { type SwaggerTransformObject } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Type, type TSchema } from 'typebox';
import { type FieldSpec, type FormSpec } from './forms/index.ts';

/** One form field as a documented string (forms carry text; the spec says how it is read). */
function fieldSchema(name: string, spec: FieldSpec): TSchema {
  const parts: string[] = [spec.kind];
  if ('choices' in spec) parts.push(`one of ${spec.choices.join(', ')}`);
  if ('min' in spec && spec.min !== undefined) parts.push(`≥ ${spec.min}`);
  if ('max' in spec && spec.max !== undefined) parts.push(`≤ ${spec.max}`);
  if ('required' in spec && spec.required) parts.push('required');
  if (spec.kind === 'multi-float' || spec.kind === 'multi-int') parts.push('comma list: one job per value (sweep)');
  const fallback = 'default' in spec && spec.default !== undefined && spec.default !== null ? { default: String(spec.default) } : {};
  return Type.String({ description: `${name}: ${parts.join(', ')}`, ...fallback });
}

/** A FormSpec (plus upload fields) as the TypeBox schema of a form body. */
export function formBody(spec: FormSpec, files: string[] = []): TSchema {
  const fields = Object.fromEntries(Object.entries(spec).map(([name, field]) => [name, Type.Optional(fieldSchema(name, field))]));
  const uploads = Object.fromEntries(files.map((name) => [name, Type.Optional(Type.String({ format: 'binary', description: `${name}: a file upload` }))]));
  return Type.Object({ ...fields, ...uploads });
}

const ErrorEnvelope = Type.Object({ error: Type.Object({ message: Type.String(), type: Type.String(), description: Type.String(), code: Type.String() }) });

declare module 'fastify' {
  interface FastifySchema {
    /** A form body, documented only: the handler parses it with its FormSpec (see formBody). */
    form?: TSchema;
  }
}

/**
 * The route's schema as documented: its form as the request body of the methods that send one,
 * and DIGITS' error envelope for the 4xx it may answer (documented, not serialized: error
 * answers are built by the error handler, with keys such as `details` a schema would drop).
 */
function documentForm({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  if (!schema) return { schema, url };
  const { form, ...rest } = schema;
  const withBody = [route.method].flat().some((m) => m === 'POST' || m === 'PUT');
  return {
    url,
    schema: {
      ...rest,
      ...(form && withBody ? { body: form, consumes: ['multipart/form-data', 'application/x-www-form-urlencoded'] } : {}),
      response: { ...(rest.response as object | undefined), '4xx': ErrorEnvelope },
    },
  };
}

/** A registered route, as the onRoute hook saw it. */
export interface RouteEntry { url: string; methods: string[] }

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered after the OpenAPI plugin (what /openapi.json must cover). */
    routeTable: RouteEntry[];
  }
}

/**
 * The tags in the order /docs shows them: the REST API first, the HTML pages last (the pages'
 * routes are registered first, so without this they would open the list).
 */
const TAGS = [
  { name: 'datasets', description: 'Create and read datasets (§6, §7)' },
  { name: 'models', description: 'Create, read and download models (§8, §11)' },
  { name: 'inference', description: 'Classify and infer with a trained model (§10)' },
  { name: 'jobs', description: 'Any job: status, edit, abort, delete, events, files (§4, §11)' },
  { name: 'auth', description: 'Log in and out (§2)' },
  { name: 'service', description: 'Health, readiness, workers, metrics' },
  { name: 'pages', description: 'HTML pages and their assets, for browsers' },
];
const TAG_ORDER = new Map(TAGS.map((tag, i) => [tag.name, i]));

/** Where a path sorts: by the first tag of its operations, in TAGS order (stable within a tag). */
function pathRank(item: Record<string, unknown>): number {
  const ranks = Object.values(item).map((op) => TAG_ORDER.get((op as { tags?: string[] }).tags?.[0] ?? '') ?? TAGS.length);
  return Math.min(TAGS.length, ...ranks);
}

/** The spec's paths in tag order, so a reader of /openapi.json meets the REST API first too. */
const pathsInTagOrder: SwaggerTransformObject = (document) => {
  const spec = 'openapiObject' in document ? document.openapiObject : document.swaggerObject;
  const paths = Object.entries(spec.paths ?? {}) as [string, Record<string, unknown>][];
  const sorted = paths.map((entry, i) => ({ entry, i, rank: pathRank(entry[1]) })).sort((a, b) => a.rank - b.rank || a.i - b.i);
  return { ...spec, paths: Object.fromEntries(sorted.map((p) => p.entry)) } as ReturnType<SwaggerTransformObject>;
};

/** Registers swagger, the docs page, and the table of routes registered after it. */
async function openApiPlugin(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    transform: documentForm,
    transformObject: pathsInTagOrder,
    openapi: {
      tags: TAGS,
      info: { title: 'DIGITS-TS', version: '0.1.0', description: 'NVIDIA DIGITS\' REST API (datasets, models, inference) over TensorFlow.js. Forms are multipart or urlencoded, as with `curl -F`.' },
      // AUTH_MODE=token: every route that creates, changes or deletes a job needs this (401 AUTH_TOKEN_REQUIRED without it)
      components: { schemas: { ErrorEnvelope }, securitySchemes: { apiToken: { type: 'http', scheme: 'bearer', description: 'With AUTH_MODE=token: an API token from `npm run tokens -- issue <username>`' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  const table: RouteEntry[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (route: RouteOptions) => {
    table.push({ url: route.url, methods: [route.method].flat() });
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

// not encapsulated: its onRoute hook must see the routes registered after it
export const openApi = fp(openApiPlugin, { name: 'openapi' });
