/** The page chrome shared by the console (/admin) and the user portal (/user). */
import { html, raw, type SafeHtml } from './template.ts';
import { STYLES } from './styles.ts';

export interface NavItem {
  href: string;
  label: string;
}

export interface PageOptions {
  title: string;
  area: 'admin' | 'user';
  nav?: NavItem[];
  current?: string;
  csrfToken?: string | undefined;
  who?: string | undefined;
  flash?: { kind: 'ok' | 'error' | 'warn'; text: string } | undefined;
}

export const ADMIN_NAV: NavItem[] = [
  { href: '/admin', label: 'Dashboard' },
  { href: '/admin/users', label: 'Users' },
  { href: '/admin/groups', label: 'Groups' },
  { href: '/admin/printers', label: 'Printers' },
  { href: '/admin/options/sync', label: 'User/Group Sync' },
  { href: '/admin/addons', label: 'Add-ons' },
  { href: '/admin/logs', label: 'Logs' },
];

export function page(opts: PageOptions, body: SafeHtml): string {
  const nav = opts.nav ?? (opts.area === 'admin' && opts.who ? ADMIN_NAV : []);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · Spool</title>
<style>${raw(STYLES)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <span class="brand">Spool <small>${opts.area === 'admin' ? 'Admin' : 'Print portal'}</small></span>
  ${nav.length ? html`<nav aria-label="Main"><ul>${nav.map((n) => html`<li><a href="${n.href}"${n.href === opts.current ? raw(' aria-current="page"') : ''}>${n.label}</a></li>`)}</ul></nav>` : ''}
  ${opts.who ? html`<form method="post" action="/${opts.area}/sign-out" class="signout"><input type="hidden" name="_csrf" value="${opts.csrfToken ?? ''}"><span>${opts.who}</span> <button type="submit" class="link">Sign out</button></form>` : ''}
</header>
<main id="main">
${opts.flash ? html`<p class="flash ${opts.flash.kind}" role="${opts.flash.kind === 'error' ? 'alert' : 'status'}">${opts.flash.text}</p>` : ''}
${body}
</main>
</body>
</html>`.value;
}
