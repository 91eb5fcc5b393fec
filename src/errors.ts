/**
 * The one error type of Spool. Every failure an admin, a SCIM client or a script can see carries a stable
 * dotted `code` (scripts match on it), a plain-language `message` (what is wrong) and, where we know it,
 * a `hint` (how to fix it). Each surface (CLI, JSON API, SCIM, HTML) renders it in its own way.
 */
export type ErrorStatus = 400 | 401 | 402 | 403 | 404 | 409 | 412 | 413 | 415 | 422 | 423 | 429 | 500 | 502 | 503 | 504;

export interface SpoolErrorOptions {
  hint?: string;
  status?: ErrorStatus;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class SpoolError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly status: ErrorStatus;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: SpoolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SpoolError';
    this.code = code;
    this.hint = options.hint;
    this.status = options.status ?? 400;
    this.details = options.details;
  }

  toJSON(): { code: string; message: string; hint?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export const isSpoolError = (e: unknown): e is SpoolError => e instanceof SpoolError;

/** One line for a terminal or a log: "message (hint)". */
export function describeError(e: unknown): string {
  if (isSpoolError(e)) return e.hint ? `${e.message} ${e.hint}` : e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
