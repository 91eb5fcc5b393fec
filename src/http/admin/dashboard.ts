/** The console's first page: what is in Spool and what needs attention. */
import type { FastifyInstance } from 'fastify';
import type { App } from '../../app.ts';
import { page } from '../html/layout.ts';
import { html } from '../html/template.ts';
import { adminPage } from './guard.ts';

export function registerDashboard(app: FastifyInstance, spool: App): void {
  app.get('/admin', async (req, reply) => {
    const { repos } = spool.deps;
    const [users, disabled, groups, primary] = await Promise.all([
      repos.users.count({}),
      repos.users.count({ disabled: true }),
      repos.groups.count(),
      spool.services.settings.value<string>('sync.primary-source'),
    ]);
    const body = html`
<h1>Dashboard</h1>
<div class="cards">
  <div class="card"><div class="n">${users.toLocaleString('en')}</div><div>users <span class="muted">(${disabled.toLocaleString('en')} disabled)</span></div></div>
  <div class="card"><div class="n">${groups.toLocaleString('en')}</div><div>groups</div></div>
  <div class="card"><div class="n">${primary}</div><div>primary sync source</div></div>
</div>
${primary === 'internal' ? html`<p class="flash warn">Spool only knows internal users. <a href="/admin/options/sync">Connect your directory</a> (LDAP or Active Directory), or <a href="/admin/addons">add Microsoft Entra User Sync</a>.</p>` : ''}`;
    return reply.type('text/html; charset=utf-8').send(page(adminPage(req, 'Dashboard', '/admin'), body));
  });
}
