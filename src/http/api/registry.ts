/**
 * Declarative JSON routes: each route states its params, query, body and response as zod schemas. Inputs
 * are parsed (bad input -> 400 with the field at fault), responses are parsed too (unknown keys stripped,
 * so a hash or secret can never be serialised by accident), and the same schemas produce the OpenAPI document.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SpoolError } from '../../errors.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType> {
  method: Method;
  url: string; // Fastify syntax: /users/:username
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  status?: number;
  /** Set for routes that anyone may call (no admin session or token). */
  public?: boolean;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: FastifyRequest;
  reply: FastifyReply;
  actor: string;
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const r = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : where;
  throw new SpoolError('api.invalid_request', `Invalid ${where}: ${field}: ${issue?.message ?? 'invalid'}.`, { status: 400, details: { where, field } });
}

export function createApiRegistry(prefix: string) {
  const specs: Array<RouteSpec<z.ZodType, z.ZodType, z.ZodType, z.ZodType>> = [];

  return {
    specs,
    route<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
      app: FastifyInstance,
      spec: RouteSpec<P, Q, B, R>,
      // The handler's result is checked at run time by `spec.response` (stripping unknown keys).
      handler: (input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<unknown>,
    ): void {
      specs.push(spec as unknown as RouteSpec<z.ZodType, z.ZodType, z.ZodType, z.ZodType>);
      app.route({
        method: spec.method,
        url: spec.url,
        config: { public: spec.public ?? false },
        handler: async (req, reply) => {
          const input = {
            params: parse(spec.params, req.params, 'path') as z.infer<P>,
            query: parse(spec.query, req.query, 'query') as z.infer<Q>,
            body: parse(spec.body, req.body, 'body') as z.infer<B>,
            req,
            reply,
            actor: (req as FastifyRequest & { actor?: string }).actor ?? 'anonymous',
          };
          const out = await handler(input);
          if (spec.status === 204) return reply.code(204).send();
          return reply.code(spec.status ?? 200).send(spec.response.parse(out));
        },
      });
    },
    openapi(info: { title: string; version: string; description: string }) {
      const paths: Record<string, Record<string, unknown>> = {};
      for (const s of specs) {
        const path = prefix + s.url.replace(/:(\w+)/g, '{$1}');
        const parameters = [
          ...objectParams(s.params, 'path'),
          ...objectParams(s.query, 'query'),
        ];
        const op: Record<string, unknown> = {
          summary: s.summary,
          tags: [s.tag],
          parameters,
          responses: {
            [String(s.status ?? 200)]: s.status === 204 ? { description: 'Done' } : { description: 'OK', content: { 'application/json': { schema: toSchema(s.response) } } },
            '400': { $ref: '#/components/responses/Error' },
            ...(s.public ? {} : { '401': { $ref: '#/components/responses/Error' } }),
          },
          ...(s.public ? { security: [] } : {}),
        };
        if (s.body) op.requestBody = { required: true, content: { 'application/json': { schema: toSchema(s.body) } } };
        (paths[path] ??= {})[s.method.toLowerCase()] = op;
      }
      return {
        openapi: '3.1.0',
        info,
        servers: [{ url: '/' }],
        security: [{ bearer: [] }, { cookie: [] }],
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'API token from "spool api token create" or the console.' },
            cookie: { type: 'apiKey', in: 'cookie', name: 'spool_admin', description: 'Console session; unsafe methods also need the X-CSRF-Token header.' },
          },
          responses: {
            Error: {
              description: 'Error',
              content: { 'application/json': { schema: { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } }, required: ['code', 'message'] } } } } },
            },
          },
        },
        paths,
      };
    },
  };
}
export type ApiRegistry = ReturnType<typeof createApiRegistry>;

function toSchema(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });
  } catch {
    return {};
  }
}

function objectParams(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema || !(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || !s.safeParse(undefined).success,
    schema: toSchema(s),
  }));
}
