/**
 * PostgreSQL bulk loads with COPY … FROM STDIN, run through Kysely like any other statement.
 *
 * Why: `insert … select from unnest($1::int[], …)` (bulk.ts) makes the server insert row by row and the pg client
 * turn every value of every array parameter into a quoted text element. COPY streams plain tab-separated lines and
 * the server inserts them in batches: 600,000 memberships into an indexed table in one transaction took 0.60-0.77 s
 * against 1.9-2.1 s with unnest (bare pg scripts on one machine).
 *
 * pg runs COPY only as a stream object handed to `client.query` (pg-copy-streams), and Kysely gives no access to a
 * transaction's client. So every pooled client's `query` learns one thing (installCopy): a statement
 * `copy <table> (<columns>) from stdin` whose one parameter is the data (copyRows) is sent as a COPY on that client.
 * A COPY sent through Kysely inside a transaction is therefore part of that transaction, as any statement is. Such
 * text means nothing to pg otherwise (a COPY sent as a plain query would wait for data forever), so nothing else
 * takes this path.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompiledQuery } from 'kysely';
import type { Db } from './database.ts';

const COPY_FROM_STDIN = /^copy\s+[\w".]+\s*\([^)]*\)\s+from\s+stdin$/i;
const installed = Symbol('spool.copy');

/** The data of one COPY: text in PostgreSQL's COPY text format, in chunks (copyRows builds it). */
class CopyData {
  constructor(readonly chunks: Iterable<string>) {}
}

interface QueryableClient {
  query: (...args: never[]) => unknown;
  [installed]?: true;
}
type CopyFrom = (text: string) => NodeJS.WritableStream;

/**
 * Teaches a pooled client to run `copy … from stdin` with CopyData (see above). Called for each client the pool
 * connects; idempotent.
 */
export function installCopy(client: QueryableClient, copyFrom: CopyFrom): void {
  if (client[installed]) return;
  client[installed] = true;
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((text: unknown, values?: unknown, ...rest: unknown[]): unknown => {
    const data = Array.isArray(values) && values.length === 1 ? values[0] : undefined;
    if (typeof text === 'string' && data instanceof CopyData && COPY_FROM_STDIN.test(text)) {
      const stream = query(copyFrom(text)) as NodeJS.WritableStream & { rowCount?: number };
      return pipeline(Readable.from(data.chunks, { objectMode: false }), stream).then(() => ({ command: 'COPY', rowCount: stream.rowCount ?? null, rows: [] }));
    }
    return query(text, values, ...rest);
  }) as QueryableClient['query'];
}

/**
 * One value in COPY's text format: \N for null, backslash escapes for the characters that separate fields and rows.
 * Numbers and booleans (as 1/0) need none.
 */
function field(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  const s = String(v);
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : s;
}

/** Rows to COPY text, about 1 MB per chunk (a first sync's users make 30-40 MB of it); counts them in `seen`. */
function* copyText(rows: Iterable<readonly unknown[]>, seen: { rows: number }): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    seen.rows++;
    let line = '';
    for (let i = 0; i < row.length; i++) line += (i ? '\t' : '') + field(row[i]);
    chunk += `${line}\n`;
    if (chunk.length >= 1 << 20) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/**
 * PostgreSQL: inserts `rows` into `table` with one COPY on `db`'s connection (a transaction's, inside one). COPY has no
 * ON CONFLICT: a row that breaks a constraint fails the whole statement, as a multi-row INSERT would.
 */
export async function copyRows(db: Db, table: string, columns: readonly string[], rows: Iterable<readonly unknown[]>): Promise<number> {
  const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;
  const text = `copy ${q(table)} (${columns.map(q).join(', ')}) from stdin`;
  const seen = { rows: 0 };
  await db.executeQuery(CompiledQuery.raw(text, [new CopyData(copyText(rows, seen))]));
  return seen.rows;
}
