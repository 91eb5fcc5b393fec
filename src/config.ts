/**
 * Process configuration from the environment, parsed once at start into a frozen object.
 * (Settings that admins change while Spool runs live in the database: see domain/settings.ts.)
 */
import path from 'node:path';
import { z } from 'zod';
import { SpoolError } from './errors.ts';

const port = z.coerce.number().int().min(0).max(65535);
const EnvSchema = z.object({
  SPOOL_DATA_DIR: z.string().min(1).default('./data'),
  SPOOL_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  SPOOL_HTTP_PORT: port.default(9191),
  SPOOL_HTTPS_PORT: z.union([z.literal('off'), port]).default(9192),
  SPOOL_HOST: z.string().min(1).default('0.0.0.0'),
  SPOOL_TLS_CERT_FILE: z.string().optional(),
  SPOOL_TLS_KEY_FILE: z.string().optional(),
  SPOOL_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SPOOL_SECRET_KEY: z.string().optional(),
  SPOOL_PUBLIC_URL: z.string().url().optional(),
  SPOOL_SCHEDULER: z.enum(['on', 'off']).default('on'),
  SPOOL_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
});

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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const r = EnvSchema.safeParse(env);
  if (!r.success) {
    const issue = r.error.issues[0];
    const key = String(issue?.path[0] ?? 'environment');
    throw new SpoolError('config.invalid_env', `Environment variable ${key} is invalid: ${issue?.message ?? 'bad value'}.`, {
      hint: 'Fix or unset it; the README lists every variable and its default.',
    });
  }
  const e = r.data;
  if (Boolean(e.SPOOL_TLS_CERT_FILE) !== Boolean(e.SPOOL_TLS_KEY_FILE)) {
    throw new SpoolError('config.invalid_env', 'SPOOL_TLS_CERT_FILE and SPOOL_TLS_KEY_FILE must be set together.');
  }
  return Object.freeze({
    dataDir: path.resolve(e.SPOOL_DATA_DIR),
    databaseUrl: e.SPOOL_DATABASE_URL,
    httpPort: e.SPOOL_HTTP_PORT,
    httpsPort: e.SPOOL_HTTPS_PORT === 'off' ? undefined : e.SPOOL_HTTPS_PORT,
    host: e.SPOOL_HOST,
    tlsCertFile: e.SPOOL_TLS_CERT_FILE,
    tlsKeyFile: e.SPOOL_TLS_KEY_FILE,
    logLevel: e.SPOOL_LOG_LEVEL,
    secretKey: e.SPOOL_SECRET_KEY,
    publicUrl: e.SPOOL_PUBLIC_URL,
    schedulerEnabled: e.SPOOL_SCHEDULER === 'on',
    dbPoolSize: e.SPOOL_DB_POOL_SIZE,
  });
}
