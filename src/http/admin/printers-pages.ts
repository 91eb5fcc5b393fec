/** Printers: the queues users print to, each with a cost per page. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import { isSpoolError } from '../../errors.ts';
import { normalizePrinterName, parseCost } from '../../services/printing-service.ts';
import { html, type SafeHtml } from '../html/template.ts';
import { csrfInput, flashFrom, money, sendAdmin, statusBadge, textField, when } from './ui.ts';

type Body = Record<string, string | undefined>;
interface FormState {
  printerId: number | 'new';
  values: Body;
  errors: Record<string, string>;
}

const DONE = { added: 'Printer added.', saved: 'Printer saved.', disabled: 'Printer disabled.', enabled: 'Printer enabled.' };

/** Which form field a printing-service error belongs to. */
const fieldOf = (code: string): string => (code === 'printers.invalid_cost' || code === 'accounts.invalid_amount' ? 'cost' : 'name');

export function registerPrintersPages(app: FastifyInstance, spool: App): void {
  const { printing } = spool.services;

  async function list(req: FastifyRequest, reply: FastifyReply, form?: FormState): Promise<FastifyReply> {
    const printers = await printing.listPrinters();
    const fields = (id: number | 'new', name: string, cost: string): SafeHtml => {
      const mine = form?.printerId === id ? form : undefined;
      return html`${textField({ name: 'name', id: `name-${id}`, label: 'Name', value: mine?.values.name ?? name, error: mine?.errors.name, required: true })}
${textField({ name: 'cost', id: `cost-${id}`, label: 'Cost per page', help: 'e.g. 0.10', value: mine?.values.cost ?? cost, error: mine?.errors.cost, required: true, extra: html` inputmode="decimal"` })}`;
    };
    const body = html`
<h1>Printers</h1>
<p>Users send test prints to these queues from the <a href="/user">print portal</a>; each page is charged at the printer's cost.</p>
<div class="table-wrap"><table class="data"><thead><tr><th scope="col">Name</th><th scope="col" class="num">Cost per page</th><th scope="col">Status</th><th scope="col">Updated</th><th scope="col">Actions</th></tr></thead>
<tbody>${printers.map((p) => html`<tr id="printer-${p.id}"><td>${p.name}</td><td class="num">${money(p.costPerPageCents)}</td><td>${p.disabled ? statusBadge('disabled') : 'enabled'}</td><td>${when(p.updatedAt)}</td>
<td><details${form?.printerId === p.id ? html` open` : ''}><summary>Edit <span class="sr-only">${p.name}</span></summary>
<form method="post" action="/admin/printers/${p.id}" class="stack" novalidate>${csrfInput(req)}${fields(p.id, p.name, money(p.costPerPageCents))}<div class="actions"><button type="submit">Save</button></div></form>
<form method="post" action="/admin/printers/${p.id}/${p.disabled ? 'enable' : 'disable'}" class="inline-form">${csrfInput(req)}<button type="submit" class="secondary">${p.disabled ? 'Enable' : 'Disable'} printer</button></form>
</details></td></tr>`)}
${printers.length === 0 ? html`<tr><td colspan="5" class="muted">No printers yet: add one below.</td></tr>` : ''}</tbody></table></div>
<h2 id="h-add">Add a printer</h2>
<form method="post" action="/admin/printers" class="stack narrow" novalidate>${csrfInput(req)}${fields('new', '', '0.10')}<div class="actions"><button type="submit">Add printer</button></div></form>`;
    const flash = form ? { kind: 'error' as const, text: 'Please fix the fields marked below; nothing was saved.' } : flashFrom(req.query, DONE);
    return sendAdmin(req, reply, 'Printers', '/admin/printers', body, { flash, status: form ? 400 : 200 });
  }

  app.get('/admin/printers', (req, reply) => list(req, reply));

  const save = async (req: FastifyRequest<{ Body: Body }>, reply: FastifyReply, id: number | 'new'): Promise<FastifyReply> => {
    const b = req.body ?? {};
    // Check every field first, so the admin sees all problems at once.
    const errors: Record<string, string> = {};
    for (const [field, check] of [['name', () => normalizePrinterName(String(b.name ?? ''))], ['cost', () => parseCost(String(b.cost ?? ''))]] as const) {
      try {
        check();
      } catch (e) {
        errors[field] = isSpoolError(e) ? `${e.message} ${e.hint ?? ''}`.trim() : String(e);
      }
    }
    if (Object.keys(errors).length) return list(req, reply, { printerId: id, values: b, errors });
    try {
      if (id === 'new') await printing.addPrinter({ name: String(b.name ?? ''), cost: String(b.cost ?? '') }, req.admin!.actor);
      else await printing.updatePrinter(id, { name: String(b.name ?? ''), cost: String(b.cost ?? '') }, req.admin!.actor);
    } catch (e) {
      if (isSpoolError(e) && e.status < 500 && e.status !== 404) return list(req, reply, { printerId: id, values: b, errors: { [fieldOf(e.code)]: e.message } });
      throw e;
    }
    return reply.redirect(`/admin/printers?done=${id === 'new' ? 'added' : 'saved'}`, 303);
  };
  app.post('/admin/printers', (req: FastifyRequest<{ Body: Body }>, reply) => save(req, reply, 'new'));
  app.post('/admin/printers/:id', (req: FastifyRequest<{ Params: { id: string }; Body: Body }>, reply) => save(req, reply, Number(req.params.id)));
  for (const verb of ['disable', 'enable'] as const) {
    app.post(`/admin/printers/:id/${verb}`, async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
      await printing.updatePrinter(Number(req.params.id), { disabled: verb === 'disable' }, req.admin!.actor);
      return reply.redirect(`/admin/printers?done=${verb}d`, 303);
    });
  }
}
