/** One error handler per surface: JSON for /api, HTML pages for /admin and /user (SCIM installs its own). */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SpoolError, isSpoolError } from '../errors.ts';
import { page } from './html/layout.ts';
import { html } from './html/template.ts';

/** Map Fastify's own errors (bad JSON, wrong content type, body too large) onto SpoolError. */
export function toSpoolError(e: unknown): SpoolError {
  if (isSpoolError(e)) return e;
  const fe = e as FastifyError;
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new SpoolError('http.unsupported_media_type', `Content type ${'not supported'}.`, { status: 415, hint: 'Send application/json.' });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SpoolError('http.body_too_large', 'The request body is too large.', { status: 413 });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new SpoolError('http.invalid_json', 'The request body is not valid JSON.', { status: 400 });
  }
  if (fe instanceof SyntaxError) return new SpoolError('http.invalid_json', 'The request body is not valid JSON.', { status: 400 });
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new SpoolError('http.bad_request', fe.message, { status: fe.statusCode as 400 });
  }
  return new SpoolError('internal', 'Something went wrong inside Spool; the details are in the server log.', { status: 500, cause: e });
}

export function errorHandler(e: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const err = toSpoolError(e);
  if (err.status >= 500) req.log.error({ err: e }, 'request failed');
  else req.log.info({ code: err.code }, err.message);
  if (err.status === 429 && err.details?.retryAfter) void reply.header('retry-after', String(err.details.retryAfter));
  if (req.url.startsWith('/api/')) return reply.code(err.status).type('application/json').send({ error: err.toJSON() });
  const area = req.url.startsWith('/user') ? 'user' : 'admin';
  return reply
    .code(err.status)
    .type('text/html; charset=utf-8')
    .send(page({ title: err.status === 404 ? 'Not found' : 'Error', area }, html`<h1>${err.status === 404 ? 'Not found' : 'Something is wrong'}</h1><p class="flash error" role="alert">${err.message}</p>${err.hint ? html`<p>${err.hint}</p>` : ''}<p><a href="/${area}">Back</a></p>`));
}
