/** pino logger with secrets redacted wherever they might appear in a logged object. */
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'password', '*.password', 'bindPassword', '*.bindPassword', 'token', '*.token', 'secret', '*.secret',
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', 'headers.authorization', 'headers.cookie',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'spool' } }, destination as never);
}
export type { Logger };
