/**
 * Process configuration from the environment, parsed once at start into a frozen object.
 * (Settings that admins change while Spool runs live in the database: see domain/settings.ts.)
 *
 * Parsed by hand rather than with zod: every `spool` command starts here, and zod's bundle (750 KB) cost about
 * 70 ms of start-up for a dozen environment variables; scripted and scheduled syncs start a process each time.
 */
import path from 'node:path';
import { SpoolError } from './errors.ts';

export interface Config {
  dataDir: string;
  databaseUrl: string | undefined;
  httpPort: number;
  /** undefined when HTTPS is turned off (SPOOL_HTTPS_PORT=off). */
  httpsPort: number | undefined;
  host: string;
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  logLevel: string;
  secretKey: string | undefined;
  publicUrl: string | undefined;
  schedulerEnabled: boolean;
  dbPoolSize: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function invalid(key: string, why: string): SpoolError {
  return new SpoolError('config.invalid_env', `Environment variable ${key} is invalid: ${why}.`, {
    hint: 'Fix or unset it; the README lists every variable and its default.',
  });
}

/** Reads one variable; unset counts as absent. */
function reader(env: NodeJS.ProcessEnv) {
  const raw = (key: string): string | undefined => env[key];
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const v = raw(key);
    if (v === undefined) return fallback;
    const n = v.trim() === '' ? NaN : Number(v);
    if (!Number.isInteger(n)) throw invalid(key, `"${v}" is not a whole number`);
    if (n < min || n > max) throw invalid(key, `${n} is not between ${min} and ${max}`);
    return n;
  };
  const text = (key: string, fallback?: string): string | undefined => {
    const v = raw(key);
    if (v === undefined) return fallback;
    if (fallback !== undefined && v === '') throw invalid(key, 'it is empty');
    return v;
  };
  const oneOf = (key: string, allowed: readonly string[], fallback: string): string => {
    const v = raw(key) ?? fallback;
    if (!allowed.includes(v)) throw invalid(key, `"${v}" is not one of ${allowed.join(', ')}`);
    return v;
  };
  return { raw, int, text, oneOf };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const r = reader(env);
  const databaseUrl = r.raw('SPOOL_DATABASE_URL') || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw invalid('SPOOL_DATABASE_URL', 'must start with postgres:// or postgresql://');
  const publicUrl = r.raw('SPOOL_PUBLIC_URL');
  if (publicUrl !== undefined && !URL.canParse(publicUrl)) throw invalid('SPOOL_PUBLIC_URL', `"${publicUrl}" is not a URL`);
  const httpsPort = r.raw('SPOOL_HTTPS_PORT') === 'off' ? undefined : r.int('SPOOL_HTTPS_PORT', 9192, 0, 65535);
  const tlsCertFile = r.raw('SPOOL_TLS_CERT_FILE');
  const tlsKeyFile = r.raw('SPOOL_TLS_KEY_FILE');
  if (Boolean(tlsCertFile) !== Boolean(tlsKeyFile)) {
    throw new SpoolError('config.invalid_env', 'SPOOL_TLS_CERT_FILE and SPOOL_TLS_KEY_FILE must be set together.');
  }
  return Object.freeze({
    dataDir: path.resolve(r.text('SPOOL_DATA_DIR', './data')!),
    databaseUrl,
    httpPort: r.int('SPOOL_HTTP_PORT', 9191, 0, 65535),
    httpsPort,
    host: r.text('SPOOL_HOST', '0.0.0.0')!,
    tlsCertFile,
    tlsKeyFile,
    logLevel: r.oneOf('SPOOL_LOG_LEVEL', LOG_LEVELS, 'info'),
    secretKey: r.raw('SPOOL_SECRET_KEY'),
    publicUrl,
    schedulerEnabled: r.oneOf('SPOOL_SCHEDULER', ['on', 'off'], 'on') === 'on',
    dbPoolSize: r.int('SPOOL_DB_POOL_SIZE', 10, 1, 200),
  });
}
