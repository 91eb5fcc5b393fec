/** /api/v1: authenticated by an API token (Bearer) or an admin console session (+ X-CSRF-Token on writes). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import { SpoolError } from '../../errors.ts';
import type { SessionHelpers } from '../sessions.ts';
import { registerCoreRoutes } from './core-routes.ts';
import { createApiRegistry, type ApiRegistry } from './registry.ts';

export const API_PREFIX = '/api/v1';

/** Other features (sync, SCIM admin, printing) add their routes through these hooks. */
export type ApiRouteModule = (app: FastifyInstance, api: ApiRegistry, spool: App) => void;

export function apiPlugin(spool: App, sessions: SessionHelpers, modules: ApiRouteModule[]) {
  const api = createApiRegistry(API_PREFIX);
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', async (req) => {
      if ((req.routeOptions.config as { public?: boolean } | undefined)?.public) return;
      (req as FastifyRequest & { actor?: string }).actor = await authenticate(req);
    });

    async function authenticate(req: FastifyRequest): Promise<string> {
      const header = req.headers.authorization;
      if (header?.toLowerCase().startsWith('bearer ')) {
        const token = await spool.services.auth.verifyToken('api', header.slice(7).trim());
        if (!token) throw new SpoolError('api.unauthorized', 'The API token is not valid (unknown or revoked).', { status: 401, hint: 'Create one with "spool api token create".' });
        return `api:${token.name}`;
      }
      const session = await sessions.load(req, 'admin');
      if (!session) throw new SpoolError('api.unauthorized', 'Sign in to the console or send an API token (Authorization: Bearer ...).', { status: 401 });
      if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) sessions.checkCsrf(req, session);
      const admin = await spool.deps.repos.auth.findAdminById(session.subjectId);
      return `admin:${admin?.username ?? session.subjectId}`;
    }

    registerCoreRoutes(app, api, spool.services);
    for (const m of modules) m(app, api, spool);

    app.get('/openapi.json', { config: { public: true } }, async () =>
      api.openapi({
        title: 'Spool API',
        version: '1',
        description: 'Every console action has a twin here. Amounts are integer cents in responses; inputs accept "5.00"-style amounts.',
      }),
    );
    app.all('/*', { config: { public: true } }, async (req) => {
      throw new SpoolError('api.not_found', `No API route ${req.method} ${req.url}.`, { status: 404, hint: `See ${API_PREFIX}/openapi.json.` });
    });
  };
}
