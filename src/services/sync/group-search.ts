/** The console's group picker ("import members of these groups"): a live, size-limited search of the directory. */
import { escapeFilterValue, first, pagedSearch, withLdapConnection } from '../../directory/ldap/index.ts';
import type { SourceName } from '../../domain/sync/types.ts';
import { assertConfigured, ldapSourceFromSettings } from './ldap-source.ts';
import { andFilter } from './read-directory.ts';

export interface DirectoryGroup {
  name: string;
  dn: string;
}

export async function searchDirectoryGroups(settings: Record<string, unknown>, source: SourceName, search: string, limit: number): Promise<DirectoryGroup[]> {
  const src = await ldapSourceFromSettings(settings, source);
  assertConfigured(src);
  const term = search.trim();
  const attr = src.schema.groupNameAttr;
  const filter = andFilter([src.schema.groupFilter, term ? `(${attr}=*${escapeFilterValue(term)}*)` : null]);
  return withLdapConnection(src.connection, async (conn) => {
    const out: DirectoryGroup[] = [];
    for await (const e of pagedSearch(conn, { baseDns: src.baseDns, filter, attributes: [attr], pageSize: Math.min(limit, 500) })) {
      out.push({ name: first(e, attr) ?? e.dn, dn: e.dn });
      if (out.length >= limit) break;
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  });
}
