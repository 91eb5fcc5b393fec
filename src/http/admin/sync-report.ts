/**
 * The Test settings report in plain words: each step passed or failed with its fix, the server certificate,
 * what a sync would import, sample users in a table, and the entries that would cause problems.
 */
import type { TestReport } from '../../services/sync/index.ts';
import { html, type SafeHtml } from '../html/template.ts';
import { num, when } from './ui.ts';

const STEP_TITLES: Record<string, string> = {
  configuration: 'Settings',
  connect: 'Server reachable',
  tls: 'TLS certificate',
  bind: 'Bind as the admin DN',
  users: 'Users',
  groups: 'Groups',
};

const item = (status: 'pass' | 'fail' | 'warn', title: string, message: string, fix?: string): SafeHtml =>
  html`<li class="${status}"><span class="mark" aria-hidden="true">${status === 'pass' ? '✓' : status === 'fail' ? '✗' : '!'}</span><span class="sr-only">${status === 'pass' ? 'Passed' : status === 'fail' ? 'Failed' : 'Warning'}: </span><strong>${title}</strong>: ${message}${fix ? html`<span class="fix"><strong>Fix:</strong> ${fix}</span>` : ''}</li>`;

export function renderTestReport(r: TestReport, opts: { unsaved: boolean }): SafeHtml {
  const cert = r.certificate;
  const c = r.counts;
  const label = r.source === 'primary' ? 'primary source' : 'secondary source';
  return html`<section class="report" id="test-report-${r.source}" aria-labelledby="h-test-${r.source}">
<h2 id="h-test-${r.source}">Test settings, ${label}: ${r.ok ? html`<span class="ok">all checks passed</span>` : html`<span class="err">problems found</span>`}</h2>
${r.server ? html`<p class="muted">${r.server.url} (${r.server.security === 'none' ? 'no TLS' : r.server.security === 'ldaps' ? 'LDAPS' : 'StartTLS'})${opts.unsaved ? ' · tested with the values on this page, which are not applied yet' : ''}</p>` : ''}
<ul class="checks">
${r.steps.map((s) => item(s.ok ? 'pass' : 'fail', STEP_TITLES[s.step] ?? s.step, s.message, s.hint))}
${r.warnings.map((w) => item('warn', 'Warning', w))}
</ul>
${cert ? html`<h3>Server certificate</h3><dl class="kv-inline">
<div><dt>Subject</dt><dd>${cert.subject}</dd></div><div><dt>Issuer</dt><dd>${cert.issuer}</dd></div>
<div><dt>Valid until</dt><dd>${when(cert.validTo)} <span class="${cert.daysLeft < 30 ? 'warn' : 'muted'}">(${cert.daysLeft} days left)</span></dd></div>
<div><dt>Trusted</dt><dd>${cert.trusted ? html`<span class="ok">yes${cert.trustedBy === 'fingerprint' ? ', by its pinned fingerprint' : ', signed by a trusted CA'}</span>` : html`<span class="err">no${cert.reason ? ` (${cert.reason})` : ''}</span>`}</dd></div>
<div><dt>SHA-256 fingerprint</dt><dd><code>${cert.fingerprint256}</code></dd></div></dl>` : ''}
${c ? html`<h3>What a sync would import</h3><dl class="kv-inline" id="test-counts">
<div><dt>Users</dt><dd>${num(c.users)}${c.disabledUsers ? ` (${num(c.disabledUsers)} disabled in the directory)` : ''}</dd></div>
<div><dt>Groups</dt><dd>${num(c.groups)}</dd></div>
${c.excluded ? html`<div><dt>Excluded</dt><dd>${num(c.excluded)} (OUs or filter)</dd></div>` : ''}
${c.notInImportGroups ? html`<div><dt>Not in the selected groups</dt><dd>${num(c.notInImportGroups)}</dd></div>` : ''}
${c.problems ? html`<div><dt>Entries with problems</dt><dd class="warn">${num(c.problems)}</dd></div>` : ''}</dl>` : ''}
${r.sample.length ? html`<h3>Sample users</h3><div class="table-wrap"><table class="data" id="sample-users"><thead><tr><th scope="col">Username</th><th scope="col">Full name</th><th scope="col">Email</th><th scope="col">Department</th><th scope="col">Office</th><th scope="col">Card number</th><th scope="col">Status</th></tr></thead>
<tbody>${r.sample.map((u) => html`<tr><td>${u.username}${u.alias ? html`<br><span class="muted">${u.alias}</span>` : ''}</td><td>${u.fullName}</td><td>${u.email ?? ''}</td><td>${u.department ?? ''}</td><td>${u.office ?? ''}</td><td>${u.cardNumber ?? ''}</td><td>${u.disabled ? 'disabled' : 'enabled'}</td></tr>`)}</tbody></table></div>` : ''}
${r.issues.length ? html`<h3>Entries that need attention</h3><ul class="checks">${r.issues.slice(0, 20).map((i) => item(i.level === 'error' ? 'fail' : 'warn', i.entry ?? i.code, i.message))}</ul>${r.issues.length > 20 ? html`<p class="muted">…and ${num(r.issues.length - 20)} more; the sync log lists them all.</p>` : ''}` : ''}
</section>`;
}
