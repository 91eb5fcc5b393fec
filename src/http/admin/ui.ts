/**
 * Small building blocks shared by the console and portal pages: sending a page, form fields with their
 * labels, help and inline errors wired for screen readers (aria-describedby / aria-invalid), pagers,
 * sortable column headers and time/money formatting.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatCents } from '../../domain/money.ts';
import { page, type PageOptions } from '../html/layout.ts';
import { html, raw, type SafeHtml } from '../html/template.ts';
import { adminPage } from './guard.ts';

/** The console's stylesheet and progressive-enhancement script (served by assets.ts; CSP: script-src 'self'). */
export const ASSETS = raw('<link rel="stylesheet" href="/assets/console.css"><script src="/assets/console.js" defer></script>');

export type Flash = PageOptions['flash'];

export function sendPage(reply: FastifyReply, opts: PageOptions, body: SafeHtml, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(page(opts, html`${ASSETS}${body}`));
}

/** Sends a signed-in console page. */
export function sendAdmin(req: FastifyRequest, reply: FastifyReply, title: string, current: string, body: SafeHtml, opts: { flash?: Flash; status?: number } = {}): FastifyReply {
  return sendPage(reply, { ...adminPage(req, title, current), flash: opts.flash }, body, opts.status);
}

/** Post/redirect/get: the result message travels as a short code, never as free text in the URL. */
export function flashFrom(query: unknown, messages: Record<string, string>): Flash {
  const code = (query as Record<string, unknown> | undefined)?.done;
  const text = typeof code === 'string' ? messages[code] : undefined;
  return text ? { kind: 'ok', text } : undefined;
}

export const csrfInput = (req: FastifyRequest): SafeHtml => html`<input type="hidden" name="_csrf" value="${req.admin?.csrfToken ?? ''}">`;

export const money = (cents: number | null | undefined): string => (cents === null || cents === undefined ? '' : formatCents(cents));

/** ISO UTC -> "2026-11-23 22:05 UTC" inside a <time> element (machine-readable datetime kept). */
export function when(iso: string | null | undefined): SafeHtml {
  if (!iso) return html`<span class="muted">never</span>`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return html`${iso}`;
  return html`<time datetime="${iso}">${d.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export const num = (n: number): string => n.toLocaleString('en');

export const idFor = (name: string): string => `f-${name.replace(/[^a-zA-Z0-9]+/g, '-')}`;

export interface FieldOpts {
  name: string;
  /** Element id when one name appears in several forms of a page (default: from the name). */
  id?: string | undefined;
  label: string;
  help?: string | SafeHtml | undefined;
  error?: string | undefined;
}

function describedBy(o: FieldOpts): { id: string; attrs: SafeHtml; after: SafeHtml; helpHtml: SafeHtml } {
  const id = idFor(o.id ?? o.name);
  const ids = [o.help ? `${id}-help` : '', o.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return {
    id,
    attrs: html`${ids ? html` aria-describedby="${ids}"` : ''}${o.error ? raw(' aria-invalid="true"') : ''}`,
    helpHtml: o.help ? html`<span class="help" id="${id}-help">${o.help}</span>` : html``,
    after: o.error ? html`<span class="field-error" id="${id}-error">${o.error}</span>` : html``,
  };
}

export function textField(o: FieldOpts & { value?: string | number | undefined; type?: string; placeholder?: string | undefined; extra?: SafeHtml; required?: boolean }): SafeHtml {
  const d = describedBy(o);
  return html`<div class="field${o.error ? ' has-error' : ''}"><label for="${d.id}">${o.label}</label>${d.helpHtml}<input id="${d.id}" name="${o.name}" type="${o.type ?? 'text'}" value="${o.value ?? ''}"${o.placeholder ? html` placeholder="${o.placeholder}"` : ''}${o.required ? raw(' required') : ''}${d.attrs}${o.extra ?? ''}>${d.after}</div>`;
}

export function textArea(o: FieldOpts & { value?: string | undefined; rows?: number; placeholder?: string | undefined; extra?: SafeHtml }): SafeHtml {
  const d = describedBy(o);
  return html`<div class="field${o.error ? ' has-error' : ''}"><label for="${d.id}">${o.label}</label>${d.helpHtml}<textarea id="${d.id}" name="${o.name}" rows="${o.rows ?? 3}"${o.placeholder ? html` placeholder="${o.placeholder}"` : ''}${d.attrs}${o.extra ?? ''}>${o.value ?? ''}</textarea>${d.after}</div>`;
}

export function selectField(o: FieldOpts & { value: string; options: ReadonlyArray<readonly [string, string]>; extra?: SafeHtml }): SafeHtml {
  const d = describedBy(o);
  return html`<div class="field${o.error ? ' has-error' : ''}"><label for="${d.id}">${o.label}</label>${d.helpHtml}<select id="${d.id}" name="${o.name}"${d.attrs}${o.extra ?? ''}>${o.options.map(([v, l]) => html`<option value="${v}"${v === o.value ? raw(' selected') : ''}>${l}</option>`)}</select>${d.after}</div>`;
}

/** Radio buttons in a fieldset whose legend is the label (the accessible grouping for radios). */
export function radioGroup(o: FieldOpts & { value: string; options: ReadonlyArray<readonly [string, string]> }): SafeHtml {
  const d = describedBy(o);
  return html`<fieldset class="radios${o.error ? ' has-error' : ''}" id="${d.id}"${d.attrs}><legend>${o.label}</legend>${d.helpHtml}${o.options.map(
    ([v, l]) => html`<label class="inline"><input type="radio" name="${o.name}" value="${v}"${v === o.value ? raw(' checked') : ''}> ${l}</label>`,
  )}${d.after}</fieldset>`;
}

/** A checkbox plus a hidden "false" before it, so an unticked box is submitted as false, not forgotten. */
export function checkbox(o: FieldOpts & { checked: boolean }): SafeHtml {
  const d = describedBy(o);
  return html`<div class="field check${o.error ? ' has-error' : ''}"><input type="hidden" name="${o.name}" value="false"><label class="inline" for="${d.id}"><input id="${d.id}" type="checkbox" name="${o.name}" value="true"${o.checked ? raw(' checked') : ''}${d.attrs}> ${o.label}</label>${d.helpHtml}${d.after}</div>`;
}

export interface PagerOpts {
  total: number;
  limit: number;
  offset: number;
  href: (offset: number) => string;
  noun?: string;
}

export function pager(o: PagerOpts): SafeHtml {
  const from = o.total === 0 ? 0 : o.offset + 1;
  const to = Math.min(o.offset + o.limit, o.total);
  const prev = o.offset > 0 ? Math.max(0, o.offset - o.limit) : undefined;
  const next = o.offset + o.limit < o.total ? o.offset + o.limit : undefined;
  const last = o.total > 0 ? Math.floor((o.total - 1) / o.limit) * o.limit : 0;
  return html`<nav class="pager" aria-label="Pages"><span>${num(from)}–${num(to)} of ${num(o.total)} ${o.noun ?? ''}</span>
${prev !== undefined ? html`<a href="${o.href(0)}">First</a> <a href="${o.href(prev)}" rel="prev">Previous</a>` : ''}
${next !== undefined ? html`<a href="${o.href(next)}" rel="next">Next</a> <a href="${o.href(last)}">Last</a>` : ''}</nav>`;
}

/** A column header that sorts by `key`; a second click flips the order. */
export function sortHeader(label: string, key: string, current: { sort: string; order: 'asc' | 'desc' }, href: (sort: string, order: 'asc' | 'desc') => string, cls?: string): SafeHtml {
  const active = current.sort === key;
  const nextOrder = active && current.order === 'asc' ? 'desc' : 'asc';
  const aria = active ? (current.order === 'asc' ? 'ascending' : 'descending') : undefined;
  return html`<th scope="col"${cls ? html` class="${cls}"` : ''}${aria ? html` aria-sort="${aria}"` : ''}><a href="${href(key, nextOrder)}">${label}${active ? (current.order === 'asc' ? ' ▲' : ' ▼') : ''}</a></th>`;
}

/** Builds a query string from the defined, non-empty values. */
export function qs(params: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Reads an int query parameter within bounds (bad input falls back to the default: it is only navigation). */
export function intParam(v: unknown, def: number, min: number, max: number): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : def;
  return Math.min(max, Math.max(min, n));
}

export const strParam = (v: unknown, max = 200): string => (typeof v === 'string' ? v.slice(0, max) : '');

export function statusBadge(status: string): SafeHtml {
  const kind = status === 'succeeded' || status === 'printed' || status === 'ok' ? 'ok' : status === 'running' ? 'info' : status === 'stopped' || status === 'warn' ? 'warn' : 'err';
  return html`<span class="badge ${kind}">${status}</span>`;
}

/** A DN (or any comma-separated name) that may wrap after its commas instead of mid-word. */
export function breakable(text: string): SafeHtml {
  return html`<code class="dn">${text.split(',').map((part, i) => (i === 0 ? html`${part}` : html`,<wbr>${part}`))}</code>`;
}

const SOURCE_LABELS: Record<string, string> = { ldap: 'LDAP', scim: 'SCIM', internal: 'Internal' };
export const sourceLabel = (source: string): string => SOURCE_LABELS[source] ?? source;

/** A log level filter (a floor: see store/sync-runs-repo.ts levelsFrom); `level` is the query's value. */
export function logLevelField(id: string, level: string | undefined): SafeHtml {
  const choices = [['', 'All'], ['warn', 'Warnings and errors'], ['error', 'Errors']] as const;
  return html`<div class="field"><label for="${id}">Level</label><select id="${id}" name="level">${choices.map(([v, l]) => html`<option value="${v}"${v === (level ?? '') ? raw(' selected') : ''}>${l}</option>`)}</select></div>`;
}

/** The query's level if it is one a log filter knows ("info" is every line, as no filter). */
export const logLevelParam = (v: string | undefined): 'warn' | 'error' | undefined => (v === 'warn' || v === 'error' ? v : undefined);
