/**
 * What SCIM needs on every request, cached so the hot path (Entra's `GET /Users?filter=userName eq …`) costs
 * one indexed query and nothing else:
 * - settings (scim.*, sync.initial-*, server.public-url), re-read at most every SETTINGS_TTL_MS;
 * - bearer tokens, verified through the auth service (SHA-256 digest lookup, hashed at rest) and remembered
 *   for TOKEN_TTL_MS under the SHA-256 digest of the token (the token itself is never kept, and the lookup
 *   compares digests, as the database lookup does). Revoking through this process (CLI twin aside) forgets them
 *   at once; a revocation made by another process (the CLI, another node) takes effect within TOKEN_TTL_MS.
 */
import { hash } from 'node:crypto';
import os from 'node:os';
import type { Config } from '../config.ts';
import type { AuthService } from '../services/auth-service.ts';
import type { SettingsService } from '../services/settings-service.ts';
import { cardNumberReader } from './user-resource.ts';
import type { Json } from './resource-body.ts';

export const SETTINGS_TTL_MS = 5_000;
export const TOKEN_TTL_MS = 5_000;
export const SCIM_PATH = '/scim/v2';

export interface ScimSettings {
  deleteMode: 'delete' | 'disable';
  cardNumberOf: (resource: Json) => string | null;
  initialCreditCents: number;
  initialRestricted: boolean;
  publicUrl: string;
}

/** This server's origin for Entra when no public URL is configured: HTTPS whenever it runs. */
function ownOrigin(seenAs: { protocol: string; host: string; hostname: string } | undefined, config: Readonly<Config>): string {
  if (seenAs?.protocol === 'https') return `https://${seenAs.host}`;
  const hostname = seenAs?.hostname ?? os.hostname();
  const name = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname; // IPv6 literal
  if (config.httpsPort !== undefined && config.httpsPort !== 0) return `https://${name}:${config.httpsPort}`;
  return seenAs ? `http://${seenAs.host}` : `http://${name}:${config.httpPort}`;
}

/** The token cache's key: a SHA-256 digest (crypto.hash: a one-shot digest, cheaper than createHash on the hot path). */
const tokenKey = (presented: string): string => hash('sha256', presented, 'base64');

export function createScimSettings(settings: SettingsService, auth: AuthService, config: Readonly<Config>, clock: () => Date) {
  let cached: { at: number; value: ScimSettings } | undefined;
  const tokens = new Map<string, { id: number; name: string; until: number }>();

  async function load(): Promise<ScimSettings> {
    const [deleteMode, cardAttr, credit, restricted, publicUrl] = await Promise.all([
      settings.value<string>('scim.delete-mode'),
      settings.value<string>('scim.card-number-attribute'),
      settings.value<number>('sync.initial-credit-cents'),
      settings.value<boolean>('sync.initial-restricted'),
      settings.value<string>('server.public-url'),
    ]);
    return {
      deleteMode: deleteMode === 'disable' ? 'disable' : 'delete',
      cardNumberOf: cardNumberReader(String(cardAttr ?? '')),
      initialCreditCents: Number(credit) || 0,
      initialRestricted: Boolean(restricted),
      publicUrl: String(publicUrl ?? '').trim() || config.publicUrl || '',
    };
  }

  const self = {
    async current(): Promise<ScimSettings> {
      const now = clock().getTime();
      if (!cached || now - cached.at > SETTINGS_TTL_MS || now < cached.at) cached = { at: now, value: await load() };
      return cached.value;
    },

    /** Forget cached settings (after a change made through this process). */
    refresh(): void {
      cached = undefined;
    },

    /**
     * The tenant URL to paste into Entra: server.public-url or SPOOL_PUBLIC_URL, else this server's HTTPS
     * address under the host name the admin's browser used (`seenAs`, a better guess than the machine's
     * own name), else under os.hostname() (CLI).
     */
    async tenantUrl(seenAs?: { protocol: string; host: string; hostname: string }): Promise<string> {
      const { publicUrl } = await self.current();
      const origin = publicUrl ? publicUrl.replace(/\/+$/, '') : ownOrigin(seenAs, config);
      return origin.endsWith(SCIM_PATH) ? origin : `${origin}${SCIM_PATH}`;
    },

    /** Base URL for `location` and `$ref`: the configured public URL, else the origin the client used. */
    async baseUrl(requestOrigin: string): Promise<string> {
      const { publicUrl } = await self.current();
      return publicUrl ? await self.tenantUrl() : `${requestOrigin}${SCIM_PATH}`;
    },

    /** The cached verdict on a token that was valid moments ago, without waiting: undefined means "ask verify()". */
    verifyCached(presented: string): { id: number; name: string } | undefined {
      if (presented.length > 200) return undefined;
      const hit = tokens.get(tokenKey(presented));
      return hit && hit.until > clock().getTime() ? hit : undefined;
    },

    /** `baseUrl` without waiting when the settings are cached (the common case). */
    baseUrlCached(requestOrigin: string): string | undefined {
      const now = clock().getTime();
      if (!cached || now - cached.at > SETTINGS_TTL_MS || now < cached.at) return undefined;
      return cached.value.publicUrl ? undefined : `${requestOrigin}${SCIM_PATH}`;
    },

    async verify(presented: string | undefined): Promise<{ id: number; name: string } | undefined> {
      if (!presented || presented.length > 200) return undefined;
      const key = tokenKey(presented);
      const now = clock().getTime();
      const hit = tokens.get(key);
      if (hit && hit.until > now) return { id: hit.id, name: hit.name };
      const ok = await auth.verifyToken('scim', presented);
      if (!ok) {
        tokens.delete(key);
        return undefined;
      }
      if (tokens.size > 1000) tokens.clear();
      tokens.set(key, { ...ok, until: now + TOKEN_TTL_MS });
      return ok;
    },

    forgetTokens(): void {
      tokens.clear();
    },
  };
  return self;
}
export type ScimRuntime = ReturnType<typeof createScimSettings>;
