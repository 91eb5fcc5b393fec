/**
 * Multi-row statements for the sync's bulk writes. A first sync inserts 100,000 users and 600,000+ memberships:
 * building those through the query builder would cost more than the database work, so these few statements are
 * written as SQL text with engine-specific placeholders (SQLite "?", PostgreSQL "$n") and bound parameters.
 * Column and table names here are constants, never input.
 */
import { CompiledQuery } from 'kysely';
import type { Db, Engine } from '../../store/database.ts';
import { copyRows } from '../../store/pg-copy.ts';
import { columnName } from '../../store/schema.ts';
import { MAX_PARAMS, chunks } from '../../store/sql-errors.ts';

const q = (name: string): string => `"${name}"`;

/** "(?,?),(?,?)…": SQLite's placeholders for `rows` rows of `cols` values. */
function placeholders(rows: number, cols: number): string {
  const row = `(${new Array<string>(cols).fill('?').join(',')})`;
  return new Array<string>(rows).fill(row).join(',');
}

/**
 * Rows per SQLite statement. Statements are prepared once and reused (store/statement-cache.ts), so every
 * statement must have one of a few fixed sizes: full statements of 256 rows, and the remainder in power-of-two
 * sizes (at most 9 distinct texts per table). PostgreSQL takes arrays instead (insertUnnest).
 */
function statementSizes(rows: number, cols: number, cap = 256): number[] {
  const per = Math.max(1, Math.min(cap, 256, Math.floor(MAX_PARAMS / cols)));
  const sizes: number[] = [];
  let left = rows;
  while (left >= per) {
    sizes.push(per);
    left -= per;
  }
  for (let size = 1 << Math.floor(Math.log2(per)); left > 0; size >>= 1) {
    if (left >= size) {
      sizes.push(size);
      left -= size;
    }
  }
  return sizes;
}

export interface InsertOptions {
  /** Columns to return (e.g. ["id", "username"]); rows come back with camelCase keys. */
  returning?: string[];
  /** ON CONFLICT DO NOTHING (idempotent re-runs). */
  ignoreConflicts?: boolean;
  /** At most this many rows per statement. */
  rowsPerStatement?: number;
  /**
   * PostgreSQL, only inside a transaction (`db` is one): with ignoreConflicts, the rows go in with one COPY, and only if
   * one of them conflicts, again with ON CONFLICT DO NOTHING (a savepoint undoes the failed COPY).
   */
  copyInTransaction?: boolean;
}

/** SQL texts by shape, so that a first sync does not rebuild the same 1,000-placeholder string 2,500 times. */
const texts = new Map<string, string>();

export async function insertMany(db: Db, engine: Engine, table: string, columns: readonly string[], rows: readonly unknown[][], opts: InsertOptions = {}): Promise<Array<Record<string, unknown>>> {
  if (engine === 'postgres') {
    // COPY (store/pg-copy.ts) for rows that need nothing back; it has no ON CONFLICT.
    if (opts.returning || (opts.ignoreConflicts && !opts.copyInTransaction)) return insertUnnest(db, table, columns, rows, opts);
    if (!opts.ignoreConflicts) await copyRows(db, table, columns, rows);
    else await copyOrInsert(db, table, columns, rows, opts);
    return [];
  }
  const out: Array<Record<string, unknown>> = [];
  const head = `insert into ${q(table)} (${columns.map(q).join(',')}) values `;
  const tail = `${opts.ignoreConflicts ? ' on conflict do nothing' : ''}${opts.returning ? ` returning ${opts.returning.map(q).join(',')}` : ''}`;
  let at = 0;
  for (const size of statementSizes(rows.length, columns.length, opts.rowsPerStatement)) {
    const key = `sqlite|${head}|${size}|${tail}`;
    let text = texts.get(key);
    if (!text) {
      text = head + placeholders(size, columns.length) + tail;
      if (texts.size > 200) texts.clear();
      texts.set(key, text);
    }
    const params: unknown[] = [];
    for (let r = at; r < at + size; r++) for (const v of rows[r]!) params.push(v);
    at += size;
    const res = await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, params));
    if (opts.returning) out.push(...res.rows);
  }
  return out;
}

/**
 * PostgreSQL: INSERT ... SELECT * FROM unnest($1::text[], $2::integer[], ...), one array parameter per column.
 * A multi-row VALUES list binds a parameter per value (30,000 at most, so a first sync's 100,000 users took 74
 * statements) and the server parses and plans each one anew: 100,000 users and accounts took 5.2 s, 600,000
 * memberships 4.5 s. Arrays are sent as one text value per column and unnested by the server.
 */
async function insertUnnest(db: Db, table: string, columns: readonly string[], rows: readonly unknown[][], opts: InsertOptions): Promise<Array<Record<string, unknown>>> {
  const typeOf = await columnTypes(db, table);
  const casts = columns.map((c) => `${typeOf(c)}[]`);
  const text = `insert into ${q(table)} (${columns.map(q).join(',')}) select * from unnest(${casts.map((t, i) => `$${i + 1}::${t}`).join(', ')})`
    + `${opts.ignoreConflicts ? ' on conflict do nothing' : ''}${opts.returning ? ` returning ${opts.returning.map(q).join(',')}` : ''}`;
  const out: Array<Record<string, unknown>> = [];
  for (const part of chunks(rows, Math.min(opts.rowsPerStatement ?? UNNEST_ROWS, UNNEST_ROWS))) {
    const params = columns.map((_, c) => part.map((r) => r[c]));
    const res = await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, params));
    if (opts.returning) out.push(...res.rows);
  }
  return out;
}

/** COPY inside a savepoint; on a unique violation, back to the savepoint and the rows through INSERT … ON CONFLICT DO NOTHING. */
async function copyOrInsert(db: Db, table: string, columns: readonly string[], rows: readonly unknown[][], opts: InsertOptions): Promise<void> {
  await db.executeQuery(CompiledQuery.raw('savepoint spool_copy'));
  try {
    await copyRows(db, table, columns, rows);
  } catch (e) {
    if ((e as { code?: string }).code !== '23505') throw e;
    await db.executeQuery(CompiledQuery.raw('rollback to savepoint spool_copy'));
    await insertUnnest(db, table, columns, rows, opts);
  }
  await db.executeQuery(CompiledQuery.raw('release savepoint spool_copy'));
}

/** Rows per unnest statement: big enough that round trips do not count, small enough to keep messages a few MB. */
const UNNEST_ROWS = 20_000;

/** Column types by table (the schema is the migrations', the same in every Spool database of this version). */
const typesByTable = new Map<string, Promise<Map<string, string>>>();

/** PostgreSQL: the type of each of `table`'s columns, by name (a name that is no column throws). */
async function columnTypes(db: Db, table: string): Promise<(column: string) => string> {
  let types = typesByTable.get(table);
  if (!types) {
    types = db.executeQuery<{ name: string; type: string }>(CompiledQuery.raw(
      'select column_name as name, data_type as type from information_schema.columns where table_schema = current_schema() and table_name = $1', [table],
    )).then((r) => new Map(r.rows.map((c) => [c.name, c.type])));
    types.catch(() => typesByTable.delete(table));
    typesByTable.set(table, types);
  }
  const byName = await types;
  return (column) => {
    const t = byName.get(column);
    if (!t) throw new Error(`${table}.${column} is not a column`);
    return t;
  };
}

/** DELETE ... WHERE column IN (...) [AND extra = value], in chunks. */
export async function deleteWhereIn(db: Db, engine: Engine, table: string, column: string, values: readonly number[], extra?: { column: string; value: number }): Promise<void> {
  for (const part of chunks(values, 10_000)) {
    const params: unknown[] = [...part];
    const list = part.map((_, i) => (engine === 'postgres' ? `$${i + 1}` : '?')).join(',');
    let text = `delete from ${q(table)} where ${q(column)} in (${list})`;
    if (extra) {
      params.push(extra.value);
      text += ` and ${q(extra.column)} = ${engine === 'postgres' ? `$${params.length}` : '?'}`;
    }
    await db.executeQuery(CompiledQuery.raw(text, params));
  }
}

/** UPDATE table SET col = value[, ...] WHERE id-column IN (...) [AND extra = value], in chunks. */
export async function updateWhereIn(
  db: Db, engine: Engine, table: string, set: Record<string, unknown>, column: string, values: readonly number[], extra?: { column: string; value: number },
): Promise<void> {
  const setCols = Object.keys(set);
  for (const part of chunks(values, 10_000)) {
    const params: unknown[] = [];
    const ph = (v: unknown): string => {
      params.push(v);
      return engine === 'postgres' ? `$${params.length}` : '?';
    };
    const sets = setCols.map((c) => `${q(c)} = ${ph(set[c])}`).join(', ');
    const list = part.map((v) => ph(v)).join(',');
    let text = `update ${q(table)} set ${sets} where ${q(column)} in (${list})`;
    if (extra) text += ` and ${q(extra.column)} = ${ph(extra.value)}`;
    await db.executeQuery(CompiledQuery.raw(text, params));
  }
}

/**
 * UPDATE table SET col = value[, ...][, counter = counter + 1] WHERE id = ?: one row, columns by their schema.ts names. A
 * sync updating 1,000 users costs half as much this way as through the query builder; the text repeats for rows
 * that change the same columns, so SQLite reuses the prepared statement (store/statement-cache.ts).
 */
export async function updateById(db: Db, engine: Engine, table: string, set: Record<string, unknown>, id: number, increment?: string): Promise<void> {
  const { text, params } = updateByIdSql(engine, table, set, id, increment);
  await db.executeQuery(CompiledQuery.raw(text, params));
}

/** updateById's statement (SQL text cached by shape) and its values. */
export function updateByIdSql(engine: Engine, table: string, set: Record<string, unknown>, id: number, increment?: string): { text: string; params: unknown[] } {
  const cols = Object.keys(set);
  const params: unknown[] = [];
  for (const c of cols) params.push(set[c]);
  params.push(id);
  const key = `${engine}|u|${table}|${cols.join(',')}|${increment ?? ''}`;
  let text = texts.get(key);
  if (!text) {
    const ph = (i: number): string => (engine === 'postgres' ? `$${i + 1}` : '?');
    const sets = cols.map((c, i) => `${q(columnName(c))} = ${ph(i)}`);
    if (increment) sets.push(`${q(columnName(increment))} = ${q(columnName(increment))} + 1`);
    text = `update ${q(table)} set ${sets.join(', ')} where "id" = ${ph(cols.length)}`;
    if (texts.size > 200) texts.clear();
    texts.set(key, text);
  }
  return { text, params };
}

/**
 * PostgreSQL: many updateById calls in one statement per set of columns,
 * UPDATE table AS t SET col = v.col, ... FROM (VALUES ($1::integer, $2::text, ...), ...) AS v(id, col, ...) WHERE t.id = v.id.
 * Every statement is a round trip to the server, and an incremental sync that changed 1,000 users spent 0.42 s
 * in 1,000 UPDATEs (SQLite, in process, 0.05 s: it keeps updateById). Values are cast to their columns' types:
 * VALUES would otherwise infer them from the first row, and take an untyped NULL for text.
 */
export async function updateManyById(db: Db, table: string, rows: ReadonlyArray<{ id: number; set: Record<string, unknown> }>, increment?: string): Promise<void> {
  const typeOf = await columnTypes(db, table);
  const byShape = new Map<string, Array<{ id: number; set: Record<string, unknown> }>>();
  for (const r of rows) {
    const key = Object.keys(r.set).join(',');
    (byShape.get(key) ?? byShape.set(key, []).get(key)!).push(r);
  }
  for (const [key, group] of byShape) {
    const cols = key.split(',').map(columnName);
    const casts = ['id', ...cols].map((c) => `::${typeOf(c)}`);
    for (const part of chunks(group, Math.max(1, Math.floor(MAX_PARAMS / (cols.length + 1))))) {
      const params: unknown[] = [];
      const tuples = part.map((r) => {
        params.push(r.id, ...Object.values(r.set));
        return `(${casts.map((cast, i) => `$${params.length - casts.length + i + 1}${cast}`).join(',')})`;
      });
      const sets = cols.map((c) => `${q(c)} = v.${q(c)}`);
      if (increment) sets.push(`${q(columnName(increment))} = t.${q(columnName(increment))} + 1`);
      const text = `update ${q(table)} as t set ${sets.join(', ')} from (values ${tuples.join(',')}) as v("id", ${cols.map(q).join(', ')}) where t."id" = v."id"`;
      await db.executeQuery(CompiledQuery.raw(text, params));
    }
  }
}

/**
 * UPDATE table SET column = CASE id WHEN ... THEN ... END WHERE id IN (...): a different value per row, 500 rows
 * per statement. `cast` types the values for PostgreSQL, which cannot infer a bound parameter's type inside CASE.
 */
export async function setColumnById(db: Db, engine: Engine, table: string, column: string, pairs: ReadonlyArray<readonly [id: number, value: unknown]>, cast: string): Promise<void> {
  for (const part of chunks(pairs, 500)) {
    const params: unknown[] = [];
    const ph = (v: unknown, type?: string): string => {
      params.push(v);
      return engine === 'postgres' ? `$${params.length}${type ? `::${type}` : ''}` : '?';
    };
    const whens = part.map(([id, v]) => `when ${ph(id)} then ${ph(v, cast)}`).join(' ');
    const ids = part.map(([id]) => ph(id)).join(',');
    await db.executeQuery(CompiledQuery.raw(`update ${q(table)} set ${q(column)} = case "id" ${whens} end where "id" in (${ids})`, params));
  }
}

/**
 * PostgreSQL: `n` new ids from `table`'s id sequence (identity column), in one round trip, for rows inserted with COPY.
 * A sequence hands each id out once whatever else inserts meanwhile; ids of rows never written are skipped, as after
 * any rolled-back insert. `tableLocked`: this transaction holds `table` exclusively (writeNewUsers drops its indexes),
 * so no insert can draw from the sequence meanwhile, and the ids are taken as one range (nextval, then setval past
 * it): drawing 100,000 ids one by one took 0.22 s.
 */
export async function reserveIds(db: Db, table: string, n: number, tableLocked = false): Promise<number[]> {
  if (n === 0) return [];
  if (tableLocked) {
    const r = await db.executeQuery<{ first: number }>(CompiledQuery.raw(
      'select setval(s.seq, nextval(s.seq) + $2 - 1) - $2 + 1 as first from (select pg_get_serial_sequence($1, \'id\') as seq) s', [table, n],
    ));
    const first = Number(r.rows[0]?.first);
    return Array.from({ length: n }, (_, i) => first + i);
  }
  const r = await db.executeQuery<{ ids: string }>(CompiledQuery.raw(
    'select string_agg(nextval(pg_get_serial_sequence($1, \'id\'))::text, \',\') as ids from generate_series(1, $2)', [table, n],
  ));
  return (r.rows[0]?.ids ?? '').split(',').map(Number);
}
