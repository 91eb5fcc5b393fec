/**
 * JSON API twins of `spool sync ...` and `spool auth check`, declared through the API registry (so they appear in
 * /api/v1/openapi.json): run a sync, test the settings, the run history and log, live status, the group picker.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { App } from '../../app.ts';
import type { HttpModule } from '../modules.ts';
import type { ApiRegistry } from './registry.ts';
import { boolish } from './schemas.ts';

const Counts = {
  users: z.object({ added: z.number(), updated: z.number(), renamed: z.number(), disabled: z.number(), deleted: z.number(), unchanged: z.number(), skipped: z.number() }),
  groups: z.object({ added: z.number(), updated: z.number(), removed: z.number(), unchanged: z.number() }),
  memberships: z.object({ added: z.number(), removed: z.number(), changed: z.number() }),
};

const RunResultOut = z.object({
  runId: z.number().int().nullable(),
  status: z.enum(['succeeded', 'failed', 'stopped']),
  mode: z.enum(['full', 'incremental']),
  dryRun: z.boolean(),
  durationMs: z.number(),
  startedAt: z.string(),
  ...Counts,
  warnings: z.number(),
  errors: z.number(),
  code: z.string().optional(),
  message: z.string().optional(),
  hint: z.string().optional(),
  sources: z.array(z.object({ source: z.string(), url: z.string(), mode: z.string(), fellBack: z.string().nullable(), stopped: z.boolean(), usersRead: z.number(), groupsRead: z.boolean(), ...Counts })),
  changes: z.record(z.string(), z.unknown()).optional(),
  issues: z.array(z.object({ level: z.string(), code: z.string(), message: z.string(), entry: z.string().optional() })).optional(),
});

const RunOut = z.object({
  id: z.number().int(), source: z.string(), mode: z.string(), trigger: z.string(), dryRun: z.boolean(), status: z.string(),
  startedAt: z.string(), finishedAt: z.string().nullable(), durationMs: z.number().nullable(), stats: z.record(z.string(), z.unknown()), error: z.string().nullable(),
});

const ProgressOut = z.object({
  runId: z.number().nullable(), source: z.string().nullable(), phase: z.string(), usersRead: z.number(), groupsRead: z.number(), applied: z.number(), toApply: z.number(), startedAt: z.string(),
});

const CertificateOut = z.object({
  subject: z.string(), issuer: z.string(), subjectAltName: z.string().optional(), validFrom: z.string(), validTo: z.string(), daysLeft: z.number(),
  fingerprint256: z.string(), trusted: z.boolean(), reason: z.string().optional(), trustedBy: z.string().optional(),
});

const TestOut = z.object({
  ok: z.boolean(),
  source: z.string(),
  server: z.object({ url: z.string(), security: z.string() }).nullable(),
  certificate: CertificateOut.nullable(),
  steps: z.array(z.object({ step: z.string(), ok: z.boolean(), message: z.string(), hint: z.string().optional(), code: z.string().optional() })),
  counts: z.object({ users: z.number(), disabledUsers: z.number(), groups: z.number(), excluded: z.number(), notInImportGroups: z.number(), problems: z.number() }).nullable(),
  sample: z.array(z.object({
    username: z.string(), alias: z.string().nullable(), fullName: z.string(), email: z.string().nullable(), department: z.string().nullable(),
    office: z.string().nullable(), cardNumber: z.string().nullable(), disabled: z.boolean(), dn: z.string().nullable(),
  })),
  issues: z.array(z.object({ level: z.string(), code: z.string(), message: z.string(), entry: z.string().optional() })),
  warnings: z.array(z.string()),
});

const Source = z.enum(['primary', 'secondary']).default('primary');

function syncApi(app: FastifyInstance, api: ApiRegistry, spool: App): void {
  const sync = spool.services.sync;
  api.route(app, {
    method: 'POST', url: '/sync/run', tag: 'Sync', summary: 'Synchronize now (waits for the result; dryRun writes nothing)',
    body: z.object({ dryRun: z.boolean().default(false), allowMassDelete: z.boolean().default(false), incremental: z.boolean().default(false) }).default({ dryRun: false, allowMassDelete: false, incremental: false }),
    response: RunResultOut,
  }, ({ body, actor }) => sync.run({ ...body, trigger: 'api', actor }));

  api.route(app, {
    method: 'POST', url: '/sync/test', tag: 'Sync', summary: 'Test the directory settings: connection, TLS certificate, bind, counts and a sample (changes nothing)',
    body: z.object({ source: Source }).default({ source: 'primary' }), response: TestOut,
  }, ({ body }) => sync.test(body.source));

  api.route(app, {
    method: 'GET', url: '/sync/runs', tag: 'Sync', summary: 'Recent sync runs, newest first',
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(20) }), response: z.array(RunOut),
  }, ({ query }) => sync.runs(query.limit));

  api.route(app, {
    method: 'GET', url: '/sync/runs/:id/log', tag: 'Sync', summary: 'Log lines of a sync run (level warn = warnings and errors)',
    params: z.object({ id: z.coerce.number().int().min(1) }),
    query: z.object({
      level: z.enum(['info', 'warn', 'error']).optional(), search: z.string().max(200).optional(),
      afterId: z.coerce.number().int().optional(), limit: z.coerce.number().int().min(1).max(10_000).default(1000),
    }),
    response: z.object({
      run: RunOut,
      lines: z.array(z.object({ id: z.number().int(), level: z.string(), message: z.string(), entry: z.string().nullable(), createdAt: z.string() })),
      more: z.boolean().describe('More lines match: ask again with afterId = the last line\'s id'),
    }),
  }, ({ params, query }) => sync.log(params.id, query));

  api.route(app, {
    method: 'GET', url: '/sync/status', tag: 'Sync', summary: 'Whether a sync is running (in any process), its live progress, and the last run',
    response: z.object({ running: z.boolean(), progress: ProgressOut.nullable(), lastRun: RunOut.nullable() }),
  }, () => sync.status());

  api.route(app, {
    method: 'GET', url: '/directory/groups', tag: 'Sync', summary: 'Search the directory\'s groups (the console\'s group picker)',
    query: z.object({ search: z.string().max(200).default(''), limit: z.coerce.number().int().min(1).max(500).default(25), secondary: boolish.optional() }),
    response: z.array(z.object({ name: z.string(), dn: z.string() })),
  }, ({ query }) => sync.searchGroups(query.search, query.limit, query.secondary ? 'secondary' : 'primary'));

  api.route(app, {
    method: 'POST', url: '/auth/check', tag: 'Sync', summary: 'Check a user\'s sign-in with directory (or internal) credentials',
    body: z.object({ username: z.string().min(1).max(512), password: z.string().max(1024) }),
    response: z.object({ ok: z.literal(true), username: z.string(), fullName: z.string(), source: z.string(), created: z.boolean() }),
  }, async ({ body }) => {
    const r = await sync.authenticate(body.username, body.password);
    return { ok: true as const, username: r.user.username, fullName: r.user.fullName, source: r.source, created: r.created };
  });
}

export const syncHttpModule: HttpModule = { name: 'sync', register: () => undefined, api: syncApi };
