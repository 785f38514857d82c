import { z } from 'zod';
import { API_ERRORS } from './api-error.js';
import type { Endpoint } from './endpoint.js';

const errorSchema = z.object({
  error: z.object({ type: z.literal('tokenledger_error'), code: z.string(), message: z.string() }),
});

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });

/**
 * OpenAPI 3.1 document generated from the endpoints' own zod schemas (3.1 uses JSON Schema 2020-12, which is what
 * zod emits), so it always describes what the server actually validates.
 */
export function openApiDocument(endpoints: readonly Endpoint[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const e of endpoints) {
    const pathParams = [...e.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = Object.entries(e.params).map(([name, s]) => {
      const js = schema(s as z.ZodType) as Record<string, unknown>;
      const { description, ...rest } = js;
      const repeat = rest.type === 'array';
      return {
        name,
        in: 'query',
        required: !(s as z.ZodType).safeParse(undefined).success,
        ...(description ? { description } : {}),
        schema: rest,
        ...(repeat ? { style: 'form', explode: true } : {}),
      };
    });
    paths[e.path] ??= {};
    paths[e.path]![e.method.toLowerCase()] = {
      summary: e.summary,
      operationId: e.path
        .replace(/^\/api\//, '')
        .replace(/[{}]/g, '')
        .replace(/\W+/g, '_'),
      ...(e.admin ? { description: 'Admin token only.' } : {}),
      parameters: [...pathParams, ...query],
      ...(e.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: schema(e.body) } } } }
        : {}),
      responses: {
        '200': { description: 'OK', content: { 'application/json': { schema: schema(e.response) } } },
        ...Object.fromEntries(
          [400, 401, 403, 404, 409].map((status) => [
            String(status),
            {
              description: Object.entries(API_ERRORS)
                .filter(([, s]) => s === status)
                .map(([c]) => c)
                .join(', '),
              content: { 'application/json': { schema: schema(errorSchema) } },
            },
          ]),
        ),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'tokenledger HTTP API',
      version,
      description:
        'Spend, tokens and the audit trail of the ledger. Money is a decimal string with 12 fractional digits. ' +
        'Authenticate with "Authorization: Bearer <token>" (the server admin token or one from `tokenledger tokens create`).',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
