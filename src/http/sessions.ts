/**
 * Cookie sessions for the console (/admin) and the portal (/user), and CSRF protection for their forms.
 * Cookies are HttpOnly, SameSite=Strict, Secure when the request came over HTTPS, and expire with the
 * session. Forms carry a per-session CSRF token; sign-in forms (no session yet) use a double-submit cookie.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SpoolError } from '../errors.ts';
import { newToken, safeEqual } from '../security/tokens.ts';
import type { AuthService, Session, SessionKind } from '../services/auth-service.ts';

export const SESSION_COOKIE: Record<SessionKind, string> = { admin: 'spool_admin', user: 'spool_user' };
const PRE_CSRF_COOKIE = 'spool_csrf';

declare module 'fastify' {
  interface FastifyRequest {
    spoolSession?: Session | undefined;
  }
}

const cookieOptions = (req: FastifyRequest, path: string, maxAgeSeconds?: number) => ({
  path,
  httpOnly: true,
  sameSite: 'strict' as const,
  secure: req.protocol === 'https',
  ...(maxAgeSeconds ? { maxAge: maxAgeSeconds } : {}),
});

export function createSessionHelpers(auth: AuthService) {
  return {
    async load(req: FastifyRequest, kind: SessionKind): Promise<Session | undefined> {
      if (req.spoolSession?.kind === kind) return req.spoolSession;
      const s = await auth.resolveSession(req.cookies[SESSION_COOKIE[kind]], kind);
      req.spoolSession = s;
      return s;
    },
    async start(req: FastifyRequest, reply: FastifyReply, kind: SessionKind, subjectId: number, minutes: number): Promise<Session> {
      await auth.endSession(req.cookies[SESSION_COOKIE[kind]]); // no session fixation: always a new id
      const { token, session } = await auth.createSession(kind, subjectId, minutes);
      reply.setCookie(SESSION_COOKIE[kind], token, cookieOptions(req, `/`, minutes * 60));
      req.spoolSession = session;
      return session;
    },
    async end(req: FastifyRequest, reply: FastifyReply, kind: SessionKind): Promise<void> {
      await auth.endSession(req.cookies[SESSION_COOKIE[kind]]);
      reply.clearCookie(SESSION_COOKIE[kind], { path: '/' });
    },
    /** CSRF token for a sign-in form shown before any session exists. */
    preAuthCsrf(req: FastifyRequest, reply: FastifyReply): string {
      const existing = req.cookies[PRE_CSRF_COOKIE];
      if (existing && existing.length >= 32) return existing;
      const token = newToken();
      reply.setCookie(PRE_CSRF_COOKIE, token, cookieOptions(req, '/'));
      return token;
    },
    checkPreAuthCsrf(req: FastifyRequest, submitted: unknown): void {
      const cookie = req.cookies[PRE_CSRF_COOKIE];
      if (!cookie || typeof submitted !== 'string' || !safeEqual(cookie, submitted)) throw csrfError();
    },
    checkCsrf(req: FastifyRequest, session: Session): void {
      const submitted = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.headers['x-csrf-token'];
      if (typeof submitted !== 'string' || !safeEqual(submitted, session.csrfToken)) throw csrfError();
    },
  };
}
export type SessionHelpers = ReturnType<typeof createSessionHelpers>;

const csrfError = (): SpoolError =>
  new SpoolError('http.csrf', 'This form has expired or did not come from Spool.', { status: 403, hint: 'Reload the page and try again.' });

export const clientIp = (req: FastifyRequest): string => req.ip;
