/** /api/v1 routes of the foundation: users, accounts, groups, settings, API tokens, audit log. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../../app.ts';
import type { ApiRegistry } from './registry.ts';
import { GroupOut, Paging, SettingOut, TokenOut, TransactionOut, UserDetailOut, UserListItemOut, UserOut, boolish } from './schemas.ts';
import { USER_SOURCES } from '../../domain/users.ts';

const UserParam = z.object({ username: z.string().min(1).max(300) });
const GroupParam = z.object({ name: z.string().min(1).max(300) });

export function registerCoreRoutes(app: FastifyInstance, api: ApiRegistry, services: Services): void {
  api.route(app, {
    method: 'GET', url: '/users', tag: 'Users', summary: 'List users (search, filter, sort, page)',
    query: z.object({
      search: z.string().max(200).optional(),
      source: z.enum(USER_SOURCES).optional(),
      disabled: boolish.optional(),
      sort: z.enum(['username', 'fullName', 'email', 'department', 'source', 'createdAt', 'balance']).default('username'),
      order: z.enum(['asc', 'desc']).default('asc'),
      ...Paging,
    }),
    response: z.object({ total: z.number().int(), items: z.array(UserListItemOut) }),
  }, ({ query }) => services.users.list(query));

  api.route(app, {
    method: 'POST', url: '/users', tag: 'Users', summary: 'Add an internal user', status: 201,
    body: z.object({
      username: z.string().min(1).max(256),
      fullName: z.string().max(256).optional(),
      email: z.string().max(320).optional(),
      department: z.string().max(256).optional(),
      office: z.string().max(256).optional(),
      cardNumber: z.string().max(128).optional(),
      password: z.string().min(1).max(1024).optional(),
      initialBalance: z.union([z.string(), z.number()]).optional(),
      restricted: z.boolean().optional(),
    }),
    response: UserOut,
  }, ({ body, actor }) => services.users.add(body, actor));

  api.route(app, { method: 'GET', url: '/users/:username', tag: 'Users', summary: 'A user with account, groups, transactions and jobs', params: UserParam, response: UserDetailOut },
    ({ params }) => services.users.show(params.username));

  for (const [verb, disabled] of [['disable', true], ['enable', false]] as const) {
    api.route(app, { method: 'POST', url: `/users/:username/${verb}`, tag: 'Users', summary: `${verb[0]?.toUpperCase()}${verb.slice(1)} a user`, params: UserParam, response: UserOut },
      ({ params, actor }) => services.users.setDisabled(params.username, disabled, actor));
  }

  api.route(app, { method: 'DELETE', url: '/users/:username', tag: 'Users', summary: 'Delete a user and their history', params: UserParam, response: z.object({}), status: 204 },
    async ({ params, actor }) => {
      await services.users.remove(params.username, actor);
      return {};
    });

  api.route(app, {
    method: 'POST', url: '/users/:username/adjustments', tag: 'Accounts', summary: 'Adjust a balance (amount in currency units, e.g. "5.00" or "-2.50")', status: 201,
    params: UserParam,
    body: z.object({ amount: z.union([z.string(), z.number()]), reason: z.string().min(1).max(500) }),
    response: z.object({ username: z.string(), transaction: TransactionOut }),
  }, async ({ params, body, actor }) => {
    const r = await services.users.adjustBalance(params.username, body.amount, body.reason, actor);
    return { username: r.user.username, transaction: r.transaction };
  });

  api.route(app, {
    method: 'GET', url: '/groups', tag: 'Groups', summary: 'List groups',
    query: z.object({ search: z.string().max(200).optional(), ...Paging }),
    response: z.object({ total: z.number().int(), items: z.array(GroupOut.extend({ memberCount: z.number().int() })) }),
  }, ({ query }) => services.groups.list(query));

  api.route(app, {
    method: 'GET', url: '/groups/:name', tag: 'Groups', summary: 'A group with its members (paged)', params: GroupParam,
    query: z.object(Paging),
    response: z.object({ group: GroupOut, memberCount: z.number().int(), members: z.array(z.object({ id: z.number().int(), username: z.string(), fullName: z.string(), direct: z.boolean() })) }),
  }, ({ params, query }) => services.groups.show(params.name, query));

  api.route(app, {
    method: 'PATCH', url: '/groups/:name', tag: 'Groups', summary: 'Set a group\'s initial account settings and quota', params: GroupParam,
    body: z.object({
      initialCredit: z.union([z.string(), z.number()]).nullable().optional(),
      initialRestricted: z.boolean().nullable().optional(),
      quota: z.union([z.string(), z.number()]).nullable().optional(),
      quotaPeriod: z.enum(['day', 'week', 'month']).nullable().optional(),
    }),
    response: GroupOut,
  }, ({ params, body, actor }) => services.groups.setPolicy(params.name, body, actor));

  api.route(app, { method: 'GET', url: '/config', tag: 'Settings', summary: 'All settings (secrets show "set")', query: z.object({ prefix: z.string().max(100).optional() }), response: z.array(SettingOut) },
    ({ query }) => services.settings.list(query.prefix));
  api.route(app, { method: 'GET', url: '/config/:key', tag: 'Settings', summary: 'One setting', params: z.object({ key: z.string().max(100) }), response: SettingOut },
    ({ params }) => services.settings.describe(params.key));
  api.route(app, {
    method: 'PUT', url: '/config/:key', tag: 'Settings', summary: 'Change one setting (typed and validated)',
    params: z.object({ key: z.string().max(100) }), body: z.object({ value: z.unknown() }), response: SettingOut,
  }, ({ params, body, actor }) => services.settings.set(params.key, body.value, actor));
  api.route(app, {
    method: 'PATCH', url: '/config', tag: 'Settings', summary: 'Change several settings at once: all valid or none saved',
    body: z.record(z.string(), z.unknown()), response: z.object({ saved: z.array(z.string()) }),
  }, async ({ body, actor }) => {
    await services.settings.setMany(body, actor);
    return { saved: Object.keys(body) };
  });

  api.route(app, { method: 'GET', url: '/tokens', tag: 'API tokens', summary: 'List API tokens', response: z.array(TokenOut) }, () => services.auth.listTokens('api'));
  api.route(app, {
    method: 'POST', url: '/tokens', tag: 'API tokens', summary: 'Create an API token (the token is returned once)', status: 201,
    body: z.object({ name: z.string().max(100).default('script') }), response: z.object({ id: z.number().int(), name: z.string(), token: z.string() }),
  }, ({ body, actor }) => services.auth.createToken('api', body.name, actor));
  api.route(app, { method: 'DELETE', url: '/tokens/:id', tag: 'API tokens', summary: 'Revoke an API token', params: z.object({ id: z.coerce.number().int() }), response: z.object({}), status: 204 },
    async ({ params, actor }) => {
      await services.auth.revokeToken('api', params.id, actor);
      return {};
    });

  api.route(app, {
    method: 'GET', url: '/audit', tag: 'Logs', summary: 'Audit log of admin actions (newest first)',
    query: z.object({ limit: Paging.limit, beforeId: z.coerce.number().int().optional(), action: z.string().max(100).optional() }),
    response: z.array(z.object({ id: z.number().int(), actor: z.string(), action: z.string(), target: z.string().nullable(), details: z.string(), createdAt: z.string() })),
  }, ({ query }) => services.audit.list(query));
}
