/**
 * A SCIM client for the conformance tests: it speaks only HTTP to the server (Fastify inject on the instance
 * buildHttpServer returns) and knows nothing of Spool's SCIM code.
 */
import type { FastifyInstance } from 'fastify';
import { buildHttpServer } from '../src/http/server.ts';
import type { Engine } from '../src/store/database.ts';
import { openTestApp, type TestApp } from './helpers/stores.ts';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test JSON

export interface ScimResponse {
  status: number;
  body: Json;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface ScimClient {
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ScimResponse>;
  get(path: string, headers?: Record<string, string>): Promise<ScimResponse>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<ScimResponse>;
  put(path: string, body: unknown, headers?: Record<string, string>): Promise<ScimResponse>;
  patch(path: string, body: unknown, headers?: Record<string, string>): Promise<ScimResponse>;
  delete(path: string, headers?: Record<string, string>): Promise<ScimResponse>;
}

export const BASE = '/scim/v2';
export const q = (filter: string): string => encodeURIComponent(filter);
export const patchOps = (...Operations: unknown[]): Json => ({ schemas: [PATCH_OP], Operations });

export function scimClient(http: FastifyInstance, token: () => string | undefined): ScimClient {
  async function request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ScimResponse> {
    const t = token();
    const res = await http.inject({
      method: method as 'GET',
      url: path.startsWith('/') ? path : `${BASE}/${path}`,
      headers: {
        ...(t ? { authorization: `Bearer ${t}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    let parsed: Json = {};
    try {
      parsed = res.body ? (JSON.parse(res.body) as Json) : {};
    } catch {
      parsed = {};
    }
    return { status: res.statusCode, body: parsed, headers: res.headers as ScimResponse['headers'], text: res.body };
  }
  return {
    request,
    get: (p, h) => request('GET', p, undefined, h),
    post: (p, b, h) => request('POST', p, b, h),
    put: (p, b, h) => request('PUT', p, b, h),
    patch: (p, b, h) => request('PATCH', p, b, h),
    delete: (p, h) => request('DELETE', p, undefined, h),
  };
}

export interface ScimTestServer {
  app: TestApp;
  http: FastifyInstance;
  client: ScimClient;
  token: string;
  dispose(): Promise<void>;
}

/** A fresh Spool on `engine` with its HTTP server (not listening) and a SCIM token from the service. */
export async function startScimServer(engine: Engine, env: Record<string, string> = {}): Promise<ScimTestServer> {
  const app = await openTestApp(engine, env);
  const http = (await buildHttpServer(app)).app;
  const { token } = await app.services.scim.tokens.create('tests', 'test');
  const client = scimClient(http, () => token);
  return {
    app,
    http,
    client,
    token,
    async dispose() {
      await http.close();
      await app.dispose();
    },
  };
}

let seq = 0;
/** A User body as Entra sends it on create (the default, non-aadOptscim062020 dialect). */
export function entraUser(overrides: Json = {}): Json {
  seq++;
  const id = `${process.pid}-${seq}-${Math.random().toString(16).slice(2, 8)}`;
  return {
    schemas: [USER_SCHEMA, ENTERPRISE],
    externalId: `ext-${id}`,
    userName: `Test_User_${id}@contoso.com`,
    active: true,
    displayName: `Test User ${id}`,
    emails: [{ primary: true, type: 'work', value: `Test_User_${id}@contoso.com` }],
    meta: { resourceType: 'User' },
    name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
    roles: [],
    ...overrides,
  };
}
