/**
 * The OpenAPI generator's set-up (@fastify/swagger), served at `/openapi.json` and browsable at
 * `/docs` (@fastify/swagger-ui). Each route declares its own docs beside its handler: summary,
 * tag, JSON answers (`response`, which Fastify also serializes with) and its form (`schema.form`,
 * from the same FormSpec its handler parses with). Forms are documented, not validated by
 * Fastify: they keep DIGITS' own validation (WTForms-shaped errors, contract §1.3).
 */
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Type, type TSchema } from 'typebox';
import type { FieldSpec, FormSpec } from '@digits-ts/contracts';

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

/** Registers swagger, the docs page, and the hook that documents each route as it is added. */
async function openApiPlugin(app: FastifyInstance): Promise<void> {
  // the schemas are documentation: forms keep DIGITS' own validation and answers their own shape
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(swagger, {
    transform: documentForm,
    openapi: {
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
