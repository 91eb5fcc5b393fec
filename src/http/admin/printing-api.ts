/** /api/v1 twins of the Printers page, the test print and the quota run. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { App } from '../../app.ts';
import type { ApiRegistry } from '../api/registry.ts';

const PrinterOut = z.object({
  id: z.number().int(),
  name: z.string(),
  costPerPageCents: z.number().int(),
  disabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const PrinterParam = z.object({ id: z.coerce.number().int().min(1) });
const Amount = z.union([z.string().max(40), z.number()]);

export function registerPrintingApi(app: FastifyInstance, api: ApiRegistry, spool: App): void {
  const { printing, quota } = spool.services;

  api.route(app, { method: 'GET', url: '/printers', tag: 'Printers', summary: 'List printers', response: z.array(PrinterOut) }, () => printing.listPrinters());

  api.route(app, {
    method: 'POST', url: '/printers', tag: 'Printers', summary: 'Add a printer (cost per page in currency units, e.g. "0.10")', status: 201,
    body: z.object({ name: z.string().min(1).max(100), cost: Amount }), response: PrinterOut,
  }, ({ body, actor }) => printing.addPrinter(body, actor));

  api.route(app, {
    method: 'PATCH', url: '/printers/:id', tag: 'Printers', summary: 'Rename, re-price, disable or enable a printer', params: PrinterParam,
    body: z.object({ name: z.string().min(1).max(100).optional(), cost: Amount.optional(), disabled: z.boolean().optional() }), response: PrinterOut,
  }, ({ params, body, actor }) => printing.updatePrinter(params.id, body, actor));

  api.route(app, {
    method: 'POST', url: '/printers/:id/test-print', tag: 'Printers', summary: 'Send a one-page test job for a user, charged at the printer\'s cost (402 without credit)', status: 201,
    params: PrinterParam, body: z.object({ username: z.string().min(1).max(300) }),
    response: z.object({ jobId: z.number().int(), printer: z.string(), pages: z.number().int(), costCents: z.number().int(), balanceCents: z.number().int() }),
  }, ({ params, body, actor }) => printing.testPrint(body.username, params.id, actor));

  api.route(app, {
    method: 'POST', url: '/quota/run', tag: 'Groups', summary: 'Grant every scheduled group quota that is due now',
    response: z.object({ grants: z.array(z.object({ group: z.string(), period: z.string(), amountCents: z.number().int(), users: z.number().int() })), notDue: z.number().int() }),
  }, ({ actor }) => quota.run(actor));
}
