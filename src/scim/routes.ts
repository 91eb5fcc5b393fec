/**
 * /scim/v2: the SCIM 2.0 HTTP binding (RFC 7644) in its own Fastify scope, with its own content-type parsers
 * (application/scim+json and application/json, RFC 7644 §3.1), its own error handler (every error in the
 * RFC 7644 §3.12 schema, 401/404/413/415 included), bearer-token authentication, and the provisioning log.
 *
 * Routing is done here rather than by Fastify's router so resource segments match case-insensitively
 * (`/users`, `/Users`: RFC 7644 §3.10 makes names case-insensitive, and Entra has been seen varying them) and
 * query-string flags that are part of the tenant URL (Entra's `?aadOptscim062020`) never affect routing, even
 * when a client glues the path after them (`/scim/v2?aadOptscim062020/Users`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import { SpoolError, describeError } from '../errors.ts';
import { lazyChildLoggerFactory } from '../http/lazy-logger.ts';
import { resourceTypes, schemas, serviceProviderConfig } from './discovery.ts';
import { ScimHttpError, scimErrorBody, toScimFailure } from './errors.ts';
import type { ScimResourceType } from './filter/attribute-schema.ts';
import { isPlainObject } from './filter/evaluate.ts';
import type { QueryParams } from './scim-service.ts';
import { SCIM_PATH } from './scim-settings.ts';
import { etagOf } from './user-resource.ts';

const SCIM_JSON = 'application/scim+json; charset=utf-8';
const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };

/** What the provisioning log records of a SCIM request, filled in as it is handled. */
export interface LogInfo {
  operation: string;
  resourceType: 'User' | 'Group' | null;
  resourceId: string | null;
  summary: string | null;
  error: string | null;
  changes: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on requests of the SCIM scope only (a request decoration: cheaper per request than a WeakMap). */
    scimLog: LogInfo | null;
  }
}

const info = (req: FastifyRequest): LogInfo => (req.scimLog ??= { operation: 'request', resourceType: null, resourceId: null, summary: null, error: null, changes: false });

function methodNotAllowed(method: string, allowed: string[]): ScimHttpError {
  const e = new ScimHttpError(405, 'scim.method_not_allowed', `${method} is not supported here; use ${allowed.join(', ')}.`);
  Object.assign(e, { allow: allowed.join(', ') });
  return e;
}

function send(reply: FastifyReply, status: number, body: unknown, headers: Record<string, string> = {}): FastifyReply {
  for (const [k, v] of Object.entries(headers)) void reply.header(k, v);
  return reply.code(status).headers(SECURITY_HEADERS).header('content-type', SCIM_JSON).send(JSON.stringify(body));
}

/** Path segments after /scim/v2 and the query, undoing a tenant-URL flag glued before the path. */
function target(req: FastifyRequest): { segments: string[]; query: Record<string, unknown> } {
  const rest = (req.params as { '*'?: string })['*'] ?? '';
  let query = req.query as Record<string, unknown>;
  let path = rest;
  if (rest === '') {
    const raw = req.url.slice(req.url.indexOf('?') + 1);
    const m = req.url.includes('?') ? /^[A-Za-z0-9_]+(?:=[^&/]*)?\/([^?]*)(?:\?(.*))?$/.exec(raw) : null;
    if (m) {
      path = m[1] ?? '';
      query = Object.fromEntries(new URLSearchParams(m[2] ?? ''));
    }
  }
  const segments = path.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { segments, query };
}

const RESOURCES: Record<string, ScimResourceType> = { users: 'User', groups: 'Group' };

/** The body of a POST …/.search: a SearchRequest object (RFC 7644 §3.4.3). */
function searchRequest(body: unknown): QueryParams {
  if (!isPlainObject(body)) throw new SpoolError('scim.invalid_syntax', 'A search needs a SearchRequest JSON body (RFC 7644 §3.4.3).', { status: 400 });
  return body as QueryParams;
}

/**
 * What the provisioning log records of a URL: the path, and the filter (what an admin needs to understand a
 * failure). Other query parameters are left out, and anything shaped like a Spool token is masked: a client
 * that wrongly sends its token in the URL must not leave it in the log.
 */
function loggablePath(req: FastifyRequest): string {
  const cut = req.url.indexOf('?');
  const path = cut < 0 ? req.url : req.url.slice(0, cut);
  const filter = (req.query as { filter?: unknown }).filter;
  const shown = typeof filter === 'string' ? `${path}?filter=${filter}` : path;
  return shown.replace(/spool_(?:scim|api)_[A-Za-z0-9_-]*/g, 'spool_…(token hidden)');
}
const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

export function scimPlugin(spool: App) {
  const scim = spool.services.scim;

  return async function plugin(scope: FastifyInstance): Promise<void> {
    scope.decorateRequest('scimLog', null);
    scope.setChildLoggerFactory(lazyChildLoggerFactory); // most SCIM requests log nothing: see lazy-logger.ts
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(['application/scim+json', 'application/json'], { parseAs: 'string' }, (_req, body, done) => {
      const text = body as string;
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch (e) {
        done(new SpoolError('http.invalid_json', `The request body is not valid JSON: ${(e as Error).message}.`, { status: 400 }), undefined);
      }
    });

    scope.setErrorHandler((e, req, reply) => {
      const { status, error } = toScimFailure(e);
      if (status >= 500) req.log.error({ err: e }, 'SCIM request failed');
      const i = info(req);
      i.error = describeError(error);
      if (status === 401) void reply.header('www-authenticate', 'Bearer realm="Spool SCIM"');
      const allow = (e as { allow?: string }).allow;
      if (allow) void reply.header('allow', allow);
      return send(reply, status, scimErrorBody(status, error));
    });

    // Bearer token (RFC 6750) on every request. The token never reaches a log: only its outcome does.
    const refuse = (req: FastifyRequest, presented: boolean): SpoolError => {
      info(req).operation = 'authenticate';
      return new SpoolError('scim.unauthorized', presented ? 'The bearer token is not valid (unknown or revoked).' : 'A bearer token is required (Authorization: Bearer <token>).', {
        status: 401,
        hint: 'Create one with "spool scim token create" and paste it as the Secret Token in Entra.',
      });
    };
    // Callback style so a token verified moments ago passes without a promise round trip (the hot path).
    scope.addHook('onRequest', (req, _reply, done) => {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header(req, 'authorization') ?? '');
      const presented = m?.[1];
      if (!presented) return done(refuse(req, false));
      if (scim.runtime.verifyCached(presented)) return done();
      scim.runtime.verify(presented).then(
        (ok) => done(ok ? undefined : refuse(req, true)),
        (e: unknown) => done(e as Error),
      );
    });

    // Log what changed something or failed (batched: see provisioning-log.ts).
    scope.addHook('onSend', (req, reply, payload, done) => {
      const status = reply.statusCode;
      const i = req.scimLog;
      if (status < 400 && !i?.changes) return done(null, payload); // successful reads are not logged
      const entry = { method: req.method, path: loggablePath(req), resourceType: i?.resourceType ?? null, resourceId: i?.resourceId ?? null, operation: i?.operation ?? 'request', status, durationMs: reply.elapsedTime, error: status >= 400 ? (i?.error ?? `HTTP ${status}`) : null, summary: i?.summary ?? null };
      scim.log.record(entry);
      done(null, payload);
    });

    const dispatch = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const { segments, query } = target(req);
      const origin = `${req.protocol}://${req.host}`;
      const base = scim.runtime.baseUrlCached(origin) ?? (await scim.runtime.baseUrl(origin));
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      const i = info(req);
      const [first, second, third] = segments;
      const kind = first?.toLowerCase();
      const type = kind === undefined ? undefined : RESOURCES[kind];
      const body = req.body;

      if (type && segments.length === 1) {
        i.resourceType = type;
        if (method === 'GET') {
          i.operation = 'list';
          return send(reply, 200, await scim.list(type, query, base));
        }
        if (method !== 'POST') throw methodNotAllowed(method, ['GET', 'POST']);
        i.operation = 'create';
        i.changes = true;
        const r = type === 'User' ? await scim.users.create(body) : await scim.groups.create(body);
        i.resourceId = String(r.row.id);
        i.summary = r.summary;
        const resource = await scim.renderWritten(type, r.row, base, query);
        return send(reply, 201, resource, { location: `${base}/${type}s/${r.row.id}`, etag: etagOf(r.row.version) });
      }
      if (type && segments.length === 2 && second?.toLowerCase() === '.search') {
        i.resourceType = type;
        i.operation = 'search';
        if (method !== 'POST') throw methodNotAllowed(method, ['POST']);
        return send(reply, 200, await scim.list(type, searchRequest(body), base));
      }
      if (type && segments.length === 2 && second !== undefined) {
        i.resourceType = type;
        i.resourceId = second;
        const ifMatch = header(req, 'if-match');
        if (method === 'GET') {
          i.operation = 'get';
          const { resource, version } = await scim.get(type, second, query, base);
          const etag = etagOf(version);
          const inm = header(req, 'if-none-match');
          if (inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return reply.code(304).header('etag', etag).send();
          return send(reply, 200, resource, { etag });
        }
        i.changes = method === 'PUT' || method === 'PATCH' || method === 'DELETE';
        if (method === 'DELETE') {
          i.operation = 'delete';
          const r = type === 'User' ? await scim.users.remove(second, ifMatch) : await scim.groups.remove(second, ifMatch);
          i.summary = r.summary;
          return reply.code(204).send();
        }
        if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed(method, ['GET', 'PUT', 'PATCH', 'DELETE']);
        i.operation = method === 'PUT' ? 'replace' : 'patch';
        const svc = type === 'User' ? scim.users : scim.groups;
        const r = method === 'PUT' ? await svc.replace(second, body, ifMatch) : await svc.patch(second, body, ifMatch);
        i.summary = r.summary;
        const etag = etagOf(r.row.version);
        // RFC 7644 §3.5.2: 204 is allowed when no attributes are asked for; Entra expects it for groups.
        if (r.status === 204 && query.attributes === undefined) return reply.code(204).header('etag', etag).send();
        return send(reply, 200, await scim.renderWritten(type, r.row, base, query), { etag });
      }
      if (segments.length === 1 && kind === '.search') {
        i.operation = 'search';
        if (method !== 'POST') throw methodNotAllowed(method, ['POST']);
        return send(reply, 200, await scim.searchAll(searchRequest(body), base));
      }
      if (kind === 'serviceproviderconfig' || kind === 'resourcetypes' || kind === 'schemas') {
        i.operation = 'discovery';
        if (method !== 'GET') throw methodNotAllowed(method, ['GET']);
        if (kind === 'serviceproviderconfig' && segments.length === 1) return send(reply, 200, serviceProviderConfig(base));
        if (segments.length <= 2 && kind === 'resourcetypes') return send(reply, 200, resourceTypes(base, second));
        if (segments.length <= 2 && kind === 'schemas') return send(reply, 200, schemas(base, second));
      }
      if (kind === 'bulk') throw new ScimHttpError(501, 'scim.not_implemented', 'Bulk operations are not supported (ServiceProviderConfig bulk.supported is false).');
      void third;
      throw new SpoolError('scim.not_found', `No SCIM endpoint ${req.method} ${SCIM_PATH}/${segments.join('/')}.`, { status: 404, hint: 'Endpoints: /Users, /Groups, /ServiceProviderConfig, /ResourceTypes, /Schemas, /.search.' });
    };

    // Registered outside the browser scope (HttpModule.registerMachine): helmet's headers are for HTML pages
    // (CSP, frame options), and cookies mean nothing here. SCIM sets what applies to a JSON API itself
    // (nosniff, no-store) in send().
    scope.all('/', dispatch);
    scope.all('/*', dispatch);
  };
}

/** Registers /scim/v2 on the server. */
export async function registerScimRoutes(app: FastifyInstance, spool: App): Promise<void> {
  await app.register(scimPlugin(spool), { prefix: SCIM_PATH });
}
