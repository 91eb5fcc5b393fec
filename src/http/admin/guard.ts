/**
 * Every /admin page except sign-in and setup needs an admin session; every form post also needs the
 * session's CSRF token. Pages read `req.admin` after this hook.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import type { SessionHelpers } from '../sessions.ts';

export interface AdminContext {
  id: number;
  username: string;
  csrfToken: string;
  actor: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    admin?: AdminContext;
  }
}

const OPEN = new Set(['/admin/sign-in', '/admin/setup', '/admin/sign-out']);

export function installAdminGuard(app: FastifyInstance, spool: App, sessions: SessionHelpers): void {
  app.addHook('preHandler', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (!path.startsWith('/admin') || OPEN.has(path)) return;
    const session = await sessions.load(req, 'admin');
    const admin = session && (await spool.deps.repos.auth.findAdminById(session.subjectId));
    if (!session || !admin) {
      if (req.method === 'GET') return reply.redirect(`/admin/sign-in?next=${encodeURIComponent(req.url)}`);
      return reply.code(401).type('text/plain').send('Your session has expired. Sign in again.');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') sessions.checkCsrf(req, session);
    req.admin = { id: admin.id, username: admin.username, csrfToken: session.csrfToken, actor: `admin:${admin.username}` };
  });
}

/** Page options for a signed-in admin page. */
export const adminPage = (req: FastifyRequest, title: string, current: string) => ({
  title,
  area: 'admin' as const,
  current,
  csrfToken: req.admin?.csrfToken,
  who: req.admin?.username,
});
