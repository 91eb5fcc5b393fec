/**
 * Feature modules plug their pages and API routes in here, so server.ts stays the same as features grow.
 * Add one line per feature (SCIM, LDAP sync, console pages, portal, printing...).
 */
import type { FastifyInstance } from 'fastify';
import type { App } from '../app.ts';
import type { LoginThrottle } from '../security/login-throttle.ts';
import type { ApiRouteModule } from './api/plugin.ts';
import type { createSetupToken } from './admin/sign-in.ts';
import type { SessionHelpers } from './sessions.ts';
import { consoleModule } from './admin/module.ts';
import { portalModule } from './portal/module.ts';
import { scimHttpModule } from '../scim/module.ts';
import { syncHttpModule } from './api/sync-routes.ts';

export interface HttpContext {
  sessions: SessionHelpers;
  throttle: LoginThrottle;
  setup: ReturnType<typeof createSetupToken>;
}

export interface HttpModule {
  name: string;
  /** Pages and non-API routes for browsers (e.g. /admin/..., /user/...), with cookies, helmet and the admin guard. */
  register?(app: FastifyInstance, spool: App, ctx: HttpContext): Promise<void> | void;
  /**
   * Routes for machine clients (e.g. /scim/v2), outside the browser scope: none of its hooks (cookie parsing,
   * helmet, the admin guard) run for them. They authenticate and set their response headers themselves.
   */
  registerMachine?(app: FastifyInstance, spool: App): Promise<void> | void;
  /** Routes under /api/v1 (declared through the API registry so they appear in the OpenAPI document). */
  api?: ApiRouteModule;
}

export const HTTP_MODULES: HttpModule[] = [consoleModule, portalModule, scimHttpModule, syncHttpModule];
