/**
 * The HTTP surface: one Fastify instance serving the console (/admin), the portal (/user), the JSON API
 * (/api/v1), SCIM (/scim/v2) and health checks, on HTTP (9191) and HTTPS (9192) at once.
 */
import https from 'node:https';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { App } from '../app.ts';
import { createLoginThrottle } from '../security/login-throttle.ts';
import { pingStore } from '../store/database.ts';
import { registerDashboard } from './admin/dashboard.ts';
import { installAdminGuard } from './admin/guard.ts';
import { createSetupToken, registerSignInRoutes } from './admin/sign-in.ts';
import { API_PREFIX, apiPlugin } from './api/plugin.ts';
import { errorHandler } from './errors.ts';
import { HTTP_MODULES, type HttpContext } from './modules.ts';
import { createSessionHelpers } from './sessions.ts';
import { loadOrCreateCertificate } from './tls.ts';

export const BODY_LIMIT_BYTES = 1_048_576; // 1 MiB: larger bodies get 413 (RFC 7644 §3.12 maxPayloadSize)

export async function buildHttpServer(spool: App): Promise<{ app: FastifyInstance; ctx: HttpContext }> {
  const app = Fastify({
    loggerInstance: spool.log.child({ component: 'http' }),
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
    // No per-request log lines (the top-level disableRequestLogging option is deprecated since Fastify 5.12).
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { caseSensitive: true, ignoreTrailingSlash: true },
  }) as unknown as FastifyInstance; // pino's Logger type is wider than FastifyBaseLogger
  app.setErrorHandler(errorHandler);

  // Machine clients (SCIM) are served beside the browser scope below, not inside it: Fastify runs every hook of
  // a scope on each of its requests, and cookie parsing, helmet's per-request middleware and the admin guard
  // cost more than a SCIM lookup while doing nothing for a bearer-token JSON client.
  for (const m of HTTP_MODULES) await m.registerMachine?.(app, spool);

  const sessions = createSessionHelpers(spool.services.auth);
  const throttle = createLoginThrottle();
  const setup = createSetupToken();
  const ctx: HttpContext = { sessions, throttle, setup };

  // The browser scope: console, portal, JSON API, health checks, and the not-found page.
  await app.register(async (web: FastifyInstance) => {
    await web.register(cookie);
    await web.register(formbody, { bodyLimit: BODY_LIMIT_BYTES });
    await web.register(helmet, {
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          scriptSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          upgradeInsecureRequests: null,
        },
      },
      hsts: false, // HTTP on 9191 stays usable on a LAN; HTTPS on 9192 is there for those who want it
    });

    web.get('/', async (_req, reply) => reply.redirect('/admin'));
    web.get('/healthz', async () => ({ status: 'ok' }));
    web.get('/readyz', async (_req, reply) => {
      try {
        await pingStore(spool.store);
        return { status: 'ready', database: spool.store.engine };
      } catch {
        return reply.code(503).send({ status: 'unavailable', database: spool.store.engine });
      }
    });

    installAdminGuard(web, spool, sessions);
    registerSignInRoutes(web, spool, sessions, throttle, setup);
    registerDashboard(web, spool);
    for (const m of HTTP_MODULES) await m.register?.(web, spool, ctx);
    await web.register(apiPlugin(spool, sessions, HTTP_MODULES.flatMap((m) => (m.api ? [m.api] : []))), { prefix: API_PREFIX });
    // Set here (it serves every unmatched URL) so not-found pages get the browser scope's headers and cookies.
    web.setNotFoundHandler((req, reply) => errorHandler(Object.assign(new Error('not found'), { statusCode: 404 }), req, reply));
  });
  return { app, ctx };
}

export interface RunningServers {
  app: FastifyInstance;
  httpUrl: string;
  httpsUrl: string | undefined;
  setupUrl: string | undefined;
  close(): Promise<void>;
}

export async function startServers(spool: App): Promise<RunningServers> {
  const { app, ctx } = await buildHttpServer(spool);
  const { config, log } = spool;
  await app.listen({ port: config.httpPort, host: config.host });
  const httpPort = (app.server.address() as { port: number }).port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const httpUrl = `http://${shownHost}:${httpPort}`;

  let httpsServer: https.Server | undefined;
  let httpsUrl: string | undefined;
  if (config.httpsPort !== undefined) {
    const tls = loadOrCreateCertificate(config);
    // Same Fastify instance behind a second (TLS) listener: one set of routes, hooks and sessions.
    httpsServer = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => app.routing(req, res));
    await new Promise<void>((resolve, reject) => {
      httpsServer!.once('error', reject).listen(config.httpsPort, config.host, () => resolve());
    });
    httpsUrl = `https://${shownHost}:${(httpsServer.address() as { port: number }).port}`;
  }

  let setupUrl: string | undefined;
  if (await spool.services.auth.setupRequired()) {
    setupUrl = `${httpUrl}/admin/setup?token=${ctx.setup.issue()}`;
    log.warn(`No admin account yet. Create the first one at this one-time setup URL: ${setupUrl}`);
  }
  log.info({ http: httpUrl, https: httpsUrl, database: spool.store.describe }, `Spool is running: console at ${httpUrl}/admin`);
  return {
    app,
    httpUrl,
    httpsUrl,
    setupUrl,
    async close() {
      await new Promise<void>((resolve) => (httpsServer ? httpsServer.close(() => resolve()) : resolve()));
      await app.close();
    },
  };
}
