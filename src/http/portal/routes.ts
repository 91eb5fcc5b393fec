/** The user portal (/user): sign-in placeholder until directory sign-in lands. */
import type { FastifyInstance } from 'fastify';
import { page } from '../html/layout.ts';
import { html } from '../html/template.ts';

export function registerPortalRoutes(app: FastifyInstance): void {
  app.get('/user', async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(page({ title: 'Sign in', area: 'user' }, html`<h1>Spool print portal</h1><p>Sign in with your organisation account to see your balance and send a test print.</p>`)),
  );
}
