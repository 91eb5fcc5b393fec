/**
 * The SCIM feature on the HTTP server: /scim/v2 for Entra, and its admin twins under /api/v1 (tokens of the
 * "Microsoft Entra User Sync" add-on, and the provisioning log), declared through the API registry.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { App } from '../app.ts';
import type { ApiRegistry } from '../http/api/registry.ts';
import { TokenOut, boolish } from '../http/api/schemas.ts';
import type { HttpModule } from '../http/modules.ts';
import { registerScimRoutes } from './routes.ts';

export const ProvisioningEntryOut = z.object({
  id: z.number().int(),
  createdAt: z.string(),
  method: z.string(),
  path: z.string(),
  resourceType: z.string().nullable(),
  resourceId: z.string().nullable(),
  operation: z.string(),
  status: z.number().int(),
  ok: z.boolean(),
  durationMs: z.number(),
  error: z.string().nullable(),
  summary: z.string().nullable(),
});

function scimApi(app: FastifyInstance, api: ApiRegistry, spool: App): void {
  const scim = spool.services.scim;
  api.route(app, {
    method: 'POST', url: '/scim/tokens', tag: 'SCIM', summary: 'Create a SCIM token for Microsoft Entra ID (returned once, with the tenant URL)', status: 201,
    body: z.object({ name: z.string().max(100).default('Microsoft Entra ID') }),
    response: z.object({ id: z.number().int(), name: z.string(), token: z.string(), tenantUrl: z.string() }),
  }, ({ body, actor }) => scim.tokens.create(body.name, actor));

  api.route(app, { method: 'GET', url: '/scim/tokens', tag: 'SCIM', summary: 'List SCIM tokens (never the tokens themselves)', response: z.array(TokenOut) }, () => scim.tokens.list());

  api.route(app, { method: 'DELETE', url: '/scim/tokens/:id', tag: 'SCIM', summary: 'Revoke a SCIM token', params: z.object({ id: z.coerce.number().int() }), response: z.object({}), status: 204 },
    async ({ params, actor }) => {
      await scim.tokens.revoke(params.id, actor);
      return {};
    });

  api.route(app, { method: 'GET', url: '/scim/tenant-url', tag: 'SCIM', summary: 'The tenant URL to paste into Entra', response: z.object({ tenantUrl: z.string() }) },
    async () => ({ tenantUrl: await scim.runtime.tenantUrl() }));

  api.route(app, {
    method: 'GET', url: '/scim/log', tag: 'SCIM', summary: 'Provisioning log: SCIM requests that changed something or failed (failures first, newest first)',
    query: z.object({ failures: boolish.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
    response: z.array(ProvisioningEntryOut),
  }, ({ query }) => scim.log.list({ limit: query.limit, failuresOnly: query.failures }));
}

export const scimHttpModule: HttpModule = {
  name: 'scim',
  registerMachine: (app, spool) => registerScimRoutes(app, spool),
  api: scimApi,
};
