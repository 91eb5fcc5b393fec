/**
 * SCIM error responses (RFC 7644 §3.12): every failure under /scim/v2 answers
 *   { "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400", "scimType": "invalidFilter", "detail": "…" }
 * with `status` as a STRING (the RFC's examples and Entra's parser expect that) and `scimType` for the 400/409
 * cases Table 9 defines. Internally everything is a SpoolError with a stable `scim.*` code; this file maps codes
 * to scimType and Fastify's own failures (bad JSON, wrong content type, body too large) to SCIM errors.
 */
import type { FastifyError } from 'fastify';
import { SpoolError, isSpoolError, type ErrorStatus } from '../errors.ts';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export interface ScimErrorBody {
  schemas: [typeof ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

/** Statuses SpoolError cannot carry (405, 501): the one error class SCIM adds. */
export class ScimHttpError extends SpoolError {
  readonly httpStatus: number;
  constructor(httpStatus: number, code: string, message: string, hint?: string) {
    super(code, message, { status: 400, ...(hint ? { hint } : {}) });
    this.name = 'ScimHttpError';
    this.httpStatus = httpStatus;
  }
}

const SCIM_TYPES: Record<string, ScimType> = {
  'scim.invalid_filter': 'invalidFilter',
  'scim.invalid_path': 'invalidPath',
  'scim.no_target': 'noTarget',
  'scim.invalid_value': 'invalidValue',
  'scim.invalid_syntax': 'invalidSyntax',
  'scim.mutability': 'mutability',
  'scim.uniqueness': 'uniqueness',
  'scim.too_many': 'tooMany',
  'scim.invalid_version': 'invalidVers',
  'http.invalid_json': 'invalidSyntax',
  'users.invalid_username': 'invalidValue',
  'users.invalid_email': 'invalidValue',
  'groups.invalid_name': 'invalidValue',
};

/** Shorthand for the SCIM-specific SpoolErrors the service throws. */
export const scimError = (code: keyof typeof SCIM_TYPES | string, message: string, status: ErrorStatus = 400, hint?: string): SpoolError =>
  new SpoolError(code, message, { status, ...(hint ? { hint } : {}) });

export const notFound = (what: 'User' | 'Group' | 'resource', id: string): SpoolError =>
  new SpoolError('scim.not_found', `No ${what === 'resource' ? 'resource' : what.toLowerCase()} with id "${id}".`, {
    status: 404,
    hint: 'The id may have been deleted; look the resource up again with a filter.',
  });

/** Map anything thrown while serving SCIM onto an HTTP status and a SpoolError. */
export function toScimFailure(e: unknown): { status: number; error: SpoolError } {
  if (e instanceof ScimHttpError) return { status: e.httpStatus, error: e };
  if (isSpoolError(e)) return { status: e.status, error: e };
  const fe = e as Partial<FastifyError> & { status?: number };
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, error: new SpoolError('http.unsupported_media_type', 'The request body must be sent as application/scim+json or application/json.', { status: 415 }) };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, error: new SpoolError('http.body_too_large', 'The request body is larger than 1 MiB (maxPayloadSize).', { status: 413, hint: 'Send fewer group members per PATCH request.' }) };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, error: new SpoolError('http.invalid_json', 'The request body is empty; a JSON object was expected.', { status: 400 }) };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, error: new SpoolError('http.invalid_json', 'The request body is not valid JSON.', { status: 400 }) };
  }
  if (e instanceof SyntaxError) return { status: 400, error: new SpoolError('http.invalid_json', `The request body is not valid JSON: ${e.message}.`, { status: 400 }) };
  const code = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (code >= 400 && code < 500) return { status: code, error: new SpoolError('http.bad_request', fe.message ?? 'Bad request.', { status: code as ErrorStatus }) };
  return { status: 500, error: new SpoolError('internal', 'Something went wrong inside Spool; the details are in the server log.', { status: 500, cause: e }) };
}

/** The RFC 7644 §3.12 body for a failure. `detail` carries the message and, when known, how to fix it. */
export function scimErrorBody(status: number, error: SpoolError): ScimErrorBody {
  const scimType = SCIM_TYPES[error.code];
  const detail = error.hint ? `${error.message} ${error.hint}` : error.message;
  return { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
}
