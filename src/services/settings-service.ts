/** Typed settings: validation, encryption of secrets, audit. Secrets are never returned in clear to callers outside Spool. */
import { SETTINGS, isSecretSetting, parseSettingValue, settingDefinition, type SettingDefinition } from '../domain/settings.ts';
import { SpoolError } from '../errors.ts';
import { inTransaction } from '../store/repositories.ts';
import { nowIso, type ServiceDeps } from './deps.ts';

export interface SettingView {
  key: string;
  kind: SettingDefinition['kind'];
  description: string;
  /** For secrets: "set" or "" (never the value). */
  value: unknown;
  default: unknown;
  isDefault: boolean;
  values?: readonly string[];
}

export function createSettingsService(deps: ServiceDeps) {
  const { repos } = deps;

  async function readRaw(): Promise<Map<string, string>> {
    const rows = await repos.settings.all();
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  function decode(key: string, stored: string | undefined): unknown {
    const d = settingDefinition(key);
    if (stored === undefined) return d.default;
    if (d.kind === 'secret') return stored === '' ? '' : deps.secrets.open(stored);
    try {
      return JSON.parse(stored) as unknown;
    } catch {
      return d.default;
    }
  }

  const view = (d: SettingDefinition, stored: string | undefined): SettingView => ({
    key: d.key,
    kind: d.kind,
    description: d.description,
    value: d.kind === 'secret' ? (stored ? 'set' : '') : decode(d.key, stored),
    default: d.default,
    isDefault: stored === undefined,
    ...(d.values ? { values: d.values } : {}),
  });

  return {
    async list(prefix?: string): Promise<SettingView[]> {
      const raw = await readRaw();
      return [...SETTINGS.values()].filter((d) => !prefix || d.key.startsWith(prefix)).map((d) => view(d, raw.get(d.key)));
    },
    async describe(key: string): Promise<SettingView> {
      const d = settingDefinition(key);
      return view(d, await repos.settings.get(key));
    },
    /** The real value, secrets decrypted: for Spool's own use (e.g. binding to LDAP), never for display. */
    async value<T = unknown>(key: string): Promise<T> {
      return decode(key, await repos.settings.get(key)) as T;
    },
    /** Every setting's real value at once (one query), for services that need many. */
    async snapshot(prefix?: string): Promise<Record<string, unknown>> {
      const raw = await readRaw();
      const out: Record<string, unknown> = {};
      for (const d of SETTINGS.values()) if (!prefix || d.key.startsWith(prefix)) out[d.key] = decode(d.key, raw.get(d.key));
      return out;
    },
    async set(key: string, input: unknown, actor: string): Promise<SettingView> {
      const d = settingDefinition(key);
      const value = parseSettingValue(key, input);
      const stored = d.kind === 'secret' ? (value === '' ? '' : deps.secrets.seal(String(value))) : JSON.stringify(value);
      const now = nowIso(deps);
      await inTransaction(deps.store.db, async (r) => {
        await r.settings.set(key, stored, actor, now);
        await r.audit.record(actor, 'config.set', key, { value: isSecretSetting(key) ? '(secret)' : value }, now);
      });
      return view(d, stored);
    },
    /** Set several keys at once: all valid or none saved (the console's Apply). */
    async setMany(values: Record<string, unknown>, actor: string): Promise<void> {
      const problems: Record<string, string> = {};
      const parsed: Array<[string, string]> = [];
      for (const [key, input] of Object.entries(values)) {
        try {
          const d = settingDefinition(key);
          const v = parseSettingValue(key, input);
          parsed.push([key, d.kind === 'secret' ? (v === '' ? '' : deps.secrets.seal(String(v))) : JSON.stringify(v)]);
        } catch (e) {
          problems[key] = e instanceof SpoolError ? e.message : String(e);
        }
      }
      if (Object.keys(problems).length) {
        throw new SpoolError('config.invalid_values', `${Object.keys(problems).length} setting(s) are invalid; nothing was saved.`, { details: { problems } });
      }
      const now = nowIso(deps);
      await inTransaction(deps.store.db, async (r) => {
        for (const [key, stored] of parsed) await r.settings.set(key, stored, actor, now);
        await r.audit.record(actor, 'config.set-many', null, { keys: parsed.map(([k]) => k) }, now);
      });
    },
  };
}
export type SettingsService = ReturnType<typeof createSettingsService>;
