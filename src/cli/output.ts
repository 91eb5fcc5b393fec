/** How the CLI talks: JSON for scripts (--json), aligned text for people, one-line errors on stderr. */
import { SpoolError, isSpoolError } from '../errors.ts';

export interface OutputOptions {
  json?: boolean;
}

export function emit(opts: OutputOptions, data: unknown, human: () => string): void {
  process.stdout.write(opts.json ? JSON.stringify(data, null, 2) + '\n' : human() + '\n');
}

export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cell = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]): string => vals.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

/** Print an error as one clear line (plus the fix), never a stack trace, and pick the exit code. */
export function reportError(e: unknown, json: boolean): number {
  const err = isSpoolError(e) ? e : new SpoolError('internal', e instanceof Error ? e.message : String(e), { status: 500 });
  if (json) process.stderr.write(JSON.stringify({ error: err.toJSON() }) + '\n');
  else process.stderr.write(`spool: ${err.message}${err.hint ? `\n  ${err.hint}` : ''}\n`);
  if (process.env.SPOOL_DEBUG && e instanceof Error) process.stderr.write(`${e.stack ?? ''}\n`);
  return err.status === 404 ? 3 : err.code === 'cli.usage' ? 2 : 1;
}

export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new SpoolError('cli.usage', 'Expected the password on standard input.', { hint: 'Pipe it in, e.g.: printf %s "$PASSWORD" | spool ...' });
  }
  const parts: Buffer[] = [];
  for await (const chunk of process.stdin) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8').replace(/\r?\n$/, '');
}
