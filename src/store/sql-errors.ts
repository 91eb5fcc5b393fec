/** Recognise constraint violations from either engine (SQLite via better-sqlite3, PostgreSQL via pg). */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string } | null;
  return err?.code === 'SQLITE_CONSTRAINT_UNIQUE' || err?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || err?.code === '23505';
}

/** SQLite allows at most 32,766 bound parameters per statement (PostgreSQL 65,535): batch below both. */
export const MAX_PARAMS = 30_000;

export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** Escape LIKE wildcards so a search for "50%_off" means that text. Used with ESCAPE '\'. */
export const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);
