/**
 * The SCIM service provider's use cases: queries (RFC 7644 §3.4.2, §3.4.3), reads, the writes of
 * scim-users.ts / scim-groups.ts, tokens for the Entra add-on, and the provisioning log.
 */
import type { Config } from '../config.ts';
import { createAuthService } from '../services/auth-service.ts';
import { groupedTransactions } from '../store/grouped-transactions.ts';
import type { ServiceDeps } from '../services/deps.ts';
import type { SettingsService } from '../services/settings-service.ts';
import { isSpoolError } from '../errors.ts';
import { DEFAULT_COUNT, MAX_RESULTS, listResponse } from './discovery.ts';
import { notFound, scimError } from './errors.ts';
import type { ScimResourceType } from './filter/attribute-schema.ts';
import type { FilterNode } from './filter/ast.ts';
import { parseScimFilter } from './filter/parser.ts';
import { filterToSql, idValue, isSingleLookup, sortExpression, userNameKey, type Sql } from './filter-sql.ts';
import { renderGroup } from './group-resource.ts';
import { parseProjection, project, wants, type Projection } from './projection.ts';
import { createProvisioningLog } from './provisioning-log.ts';
import type { Json } from './resource-body.ts';
import { createScimGroups } from './scim-groups.ts';
import { createScimSettings } from './scim-settings.ts';
import { findGroup, findUser, groupsOfUsers, listGroups, listUsers, listUsersNamed, membersOf, type ListQuery } from './scim-store.ts';
import { createScimUsers } from './scim-users.ts';
import { openReader } from './reader.ts';
import { renderUser } from './user-resource.ts';

/** Query parameters of GET /Users, /Groups and the members of a SearchRequest (RFC 7644 §3.4.2, §3.4.3). */
export interface QueryParams {
  filter?: unknown;
  startIndex?: unknown;
  count?: unknown;
  sortBy?: unknown;
  sortOrder?: unknown;
  attributes?: unknown;
  excludedAttributes?: unknown;
}

function intParam(name: string, v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isFinite(n) || !Number.isInteger(n)) throw scimError('scim.invalid_value', `"${name}" must be an integer (got ${JSON.stringify(v)}).`);
  return n;
}

/** startIndex below 1 is 1; count below 0 is 0 and above maxResults is maxResults (RFC 7644 §3.4.2.4). */
export function paging(params: QueryParams): { startIndex: number; count: number } {
  const startIndex = Math.max(1, intParam('startIndex', params.startIndex) ?? 1);
  const count = Math.min(MAX_RESULTS, Math.max(0, intParam('count', params.count) ?? DEFAULT_COUNT));
  return { startIndex, count };
}

function sortOf(type: ScimResourceType, params: QueryParams): { sort: Sql | undefined; descending: boolean } {
  const order = params.sortOrder === undefined || params.sortOrder === '' ? 'ascending' : String(params.sortOrder).toLowerCase();
  if (order !== 'ascending' && order !== 'descending') throw scimError('scim.invalid_value', `"sortOrder" must be "ascending" or "descending" (got "${String(params.sortOrder)}").`);
  if (params.sortBy === undefined || params.sortBy === '') return { sort: undefined, descending: false };
  const sort = sortExpression(type, String(params.sortBy));
  if (!sort) {
    throw scimError('scim.invalid_value', `Spool cannot sort ${type} resources by "${String(params.sortBy)}".`, 400, type === 'User' ? 'Sort by userName, displayName, externalId, id, active, meta.created or meta.lastModified.' : 'Sort by displayName, externalId, id, meta.created or meta.lastModified.');
  }
  return { sort, descending: order === 'descending' };
}

export function createScimService(deps: ServiceDeps, settings: SettingsService, config: Readonly<Config>) {
  const { store, clock } = deps;
  const auth = createAuthService(deps);
  const db = store.db;
  const runtime = createScimSettings(settings, auth, config, clock);
  const { reader, close: closeReader } = openReader(store, config.dataDir);
  const log = createProvisioningLog(db, clock, (e) => deps.log.error({ err: e }, 'could not write the SCIM provisioning log'));
  // The fast reader has its own SQLite connection: close it with the store (app.close()).
  const closeStore = store.close;
  store.close = async () => {
    closeReader();
    await log.flush().catch(() => undefined); // already reported
    await closeStore();
  };
  const transact = groupedTransactions(db, store.engine); // one commit for the writes of a loop turn (SQLite)
  const users = createScimUsers(db, store.engine, reader, clock, transact);
  const groups = createScimGroups(clock, transact);

  function filterOf(params: QueryParams): FilterNode | undefined {
    if (params.filter === undefined || params.filter === null) return undefined;
    if (typeof params.filter !== 'string') throw scimError('scim.invalid_filter', '"filter" must be a string.');
    return parseScimFilter(params.filter);
  }

  async function renderUsers(rows: Awaited<ReturnType<typeof listUsers>>['rows'], base: string, p: Projection, groupsByDefault: boolean): Promise<Json[]> {
    const memberships = wants(p, 'groups', groupsByDefault) && rows.length ? await groupsOfUsers(reader, rows.map((r) => r.id)) : undefined;
    return rows.map((r) => project(renderUser(r, { base, groups: memberships ? (memberships.get(r.id) ?? []) : undefined }), p));
  }

  async function renderGroups(rows: Awaited<ReturnType<typeof listGroups>>['rows'], base: string, p: Projection): Promise<Json[]> {
    const out: Json[] = [];
    for (const r of rows) out.push(project(renderGroup(r, base, wants(p, 'members', true) ? await membersOf(reader, r.id) : undefined), p));
    return out;
  }

  /** One page of one resource type; `filter` already parsed. */
  async function query(type: ScimResourceType, filter: FilterNode | undefined, params: QueryParams, base: string, window: { offset: number; limit: number }) {
    const { sort, descending } = sortOf(type, params);
    const p = parseProjection(params.attributes, params.excludedAttributes, type);
    const username = type === 'User' && filter ? userNameKey(filter) : undefined;
    if (username !== undefined) {
      const { rows, total } = await listUsersNamed(reader, username, window);
      return { total, resources: await renderUsers(rows, base, p, false) };
    }
    const where = filter ? filterToSql(filter, type, store.engine) : undefined;
    const q: ListQuery = { where, single: filter !== undefined && isSingleLookup(filter, type), sort, descending, offset: window.offset, limit: window.limit };
    if (type === 'User') {
      const { rows, total } = await listUsers(reader, q);
      return { total, resources: await renderUsers(rows, base, p, false) };
    }
    const { rows, total } = await listGroups(reader, q);
    return { total, resources: await renderGroups(rows, base, p) };
  }

  return {
    runtime,
    log,

    /** GET /Users or /Groups, or POST /{type}/.search (RFC 7644 §3.4.2, §3.4.3). No hits is an empty list, never 404. */
    async list(type: ScimResourceType, params: QueryParams, base: string): Promise<Json> {
      const filter = filterOf(params);
      const { startIndex, count } = paging(params);
      const r = await query(type, filter, params, base, { offset: startIndex - 1, limit: count });
      return listResponse(r.resources, r.total, startIndex);
    },

    /** POST /.search at the root: Users then Groups, paged as one list (RFC 7644 §3.4.3). */
    async searchAll(params: QueryParams, base: string): Promise<Json> {
      const filter = filterOf(params);
      const { startIndex, count } = paging(params);
      const parts: Array<{ total: number; resources: Json[] }> = [];
      let firstError: unknown;
      let offset = startIndex - 1;
      let limit = count;
      for (const type of ['User', 'Group'] as const) {
        try {
          const r = await query(type, filter, { ...params, sortBy: undefined }, base, { offset, limit });
          parts.push(r);
          offset = Math.max(0, offset - r.total);
          limit -= r.resources.length;
        } catch (e) {
          // A filter naming attributes of one type only (e.g. userName) simply matches nothing of the other.
          if (!isSpoolError(e) || e.code !== 'scim.invalid_filter') throw e;
          firstError ??= e;
        }
      }
      if (parts.length === 0) throw firstError;
      return listResponse(parts.flatMap((x) => x.resources), parts.reduce((n, x) => n + x.total, 0), startIndex);
    },

    async get(type: ScimResourceType, idText: string, params: QueryParams, base: string): Promise<{ resource: Json; version: number }> {
      const id = idValue(idText);
      const p = parseProjection(params.attributes, params.excludedAttributes, type);
      if (type === 'User') {
        const row = id === undefined ? undefined : await findUser(reader, id);
        if (!row) throw notFound('User', idText);
        return { resource: (await renderUsers([row], base, p, true))[0] as Json, version: row.version };
      }
      const row = id === undefined ? undefined : await findGroup(reader, id);
      if (!row) throw notFound('Group', idText);
      return { resource: (await renderGroups([row], base, p))[0] as Json, version: row.version };
    },

    /** Renders a written user or group for the response (members of a group only if asked for). */
    async renderWritten(type: ScimResourceType, row: Parameters<typeof renderUser>[0] | Parameters<typeof renderGroup>[0], base: string, params: QueryParams): Promise<Json> {
      const p = parseProjection(params.attributes, params.excludedAttributes, type);
      if (type === 'User') return (await renderUsers([row as Parameters<typeof renderUser>[0]], base, p, false))[0] as Json;
      return (await renderGroups([row as Parameters<typeof renderGroup>[0]], base, p))[0] as Json;
    },

    users: {
      create: async (body: unknown) => users.create(body, await runtime.current()),
      replace: async (id: string, body: unknown, ifMatch?: string) => users.replace(id, body, ifMatch, await runtime.current()),
      patch: async (id: string, body: unknown, ifMatch?: string) => users.patch(id, body, ifMatch, await runtime.current()),
      remove: async (id: string, ifMatch?: string) => users.remove(id, ifMatch, await runtime.current()),
    },
    groups: {
      create: async (body: unknown) => groups.create(body, await runtime.current()),
      replace: async (id: string, body: unknown, ifMatch?: string) => groups.replace(id, body, ifMatch, await runtime.current()),
      patch: async (id: string, body: unknown, ifMatch?: string) => groups.patch(id, body, ifMatch, await runtime.current()),
      remove: (id: string, ifMatch?: string) => groups.remove(id, ifMatch),
    },

    tokens: {
      /** A new SCIM token with the tenant URL to paste next to it in Entra. The token is shown only here. */
      async create(name: string, actor: string): Promise<{ id: number; name: string; token: string; tenantUrl: string }> {
        const t = await auth.createToken('scim', name || 'Microsoft Entra ID', actor);
        return { ...t, tenantUrl: await runtime.tenantUrl() };
      },
      list: () => auth.listTokens('scim'),
      async revoke(id: number, actor: string): Promise<void> {
        await auth.revokeToken('scim', id, actor);
        runtime.forgetTokens();
      },
    },
  };
}
export type ScimService = ReturnType<typeof createScimService>;
