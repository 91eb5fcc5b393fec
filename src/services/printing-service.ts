/**
 * Printers (queues with a cost per page) and test prints. A test print is a real one-page job: it is
 * recorded and charged at the printer's cost in the same database transaction, so a job never exists
 * without its charge and a charge never exists without its job.
 */
import { assertCanAfford } from '../domain/accounts.ts';
import { formatCents, parseAmountToCents } from '../domain/money.ts';
import { SpoolError } from '../errors.ts';
import { inTransaction, type Repositories } from '../store/repositories.ts';
import type { PrinterRow } from '../store/schema.ts';
import { isUniqueViolation } from '../store/sql-errors.ts';
import { nowIso, type ServiceDeps } from './deps.ts';

export interface Printer {
  id: number;
  name: string;
  costPerPageCents: number;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface PrinterPatch {
  name?: string | undefined;
  /** Currency units as an admin types them ("0.10") or integer cents via `costPerPageCents`. */
  cost?: string | number | undefined;
  disabled?: boolean | undefined;
}

export interface TestPrintResult {
  jobId: number;
  printer: string;
  pages: number;
  costCents: number;
  balanceCents: number;
}

export const TEST_PAGE_NAME = 'Spool test page';

const toPrinter = (r: PrinterRow): Printer => ({ id: r.id, name: r.name, costPerPageCents: r.costPerPageCents, disabled: r.disabled === 1, createdAt: r.createdAt, updatedAt: r.updatedAt });

export function normalizePrinterName(raw: string): string {
  const name = raw.normalize('NFC').trim();
  if (name.length === 0 || name.length > 100 || /[\p{Cc}]/u.test(name)) {
    throw new SpoolError('printers.invalid_name', `"${raw}" is not a valid printer name.`, { hint: 'Use 1-100 printable characters, e.g. "Library Colour".' });
  }
  return name;
}

export function parseCost(input: string | number): number {
  const cents = parseAmountToCents(input);
  if (cents < 0) throw new SpoolError('printers.invalid_cost', 'The cost per page cannot be negative.', { hint: 'Use 0 for free printing, or e.g. 0.10.' });
  return cents;
}

export function createPrintingService(deps: ServiceDeps) {
  const { repos } = deps;

  async function requirePrinter(r: Repositories, ref: number | string): Promise<Printer> {
    const byId = typeof ref === 'number' ? ref : /^#\d+$/.test(ref) ? Number(ref.slice(1)) : undefined;
    const row = await r.printing.findPrinter(byId ?? normalizePrinterName(String(ref)));
    if (!row) throw new SpoolError('printers.not_found', `No printer "${String(ref)}".`, { status: 404, hint: 'List printers with "spool printers list".' });
    return toPrinter(row);
  }

  const duplicate = (name: string): SpoolError =>
    new SpoolError('printers.duplicate', `A printer named "${name}" already exists.`, { status: 409, hint: 'Pick another name, or edit the existing printer.' });

  return {
    requirePrinter: (ref: number | string) => requirePrinter(repos, ref),

    async listPrinters(opts: { includeDisabled?: boolean } = {}): Promise<Printer[]> {
      const rows = (await repos.printing.listPrinters()).map(toPrinter);
      return opts.includeDisabled === false ? rows.filter((p) => !p.disabled) : rows;
    },

    async addPrinter(input: { name: string; cost: string | number }, actor: string): Promise<Printer> {
      const name = normalizePrinterName(input.name);
      const costPerPageCents = parseCost(input.cost);
      const now = nowIso(deps);
      try {
        return await inTransaction(deps.store.db, async (r) => {
          const id = await r.printing.insertPrinter(name, costPerPageCents, now);
          await r.audit.record(actor, 'printers.add', name, { costPerPageCents }, now);
          return requirePrinter(r, id);
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw duplicate(name);
        throw e;
      }
    },

    /** Everything is validated before anything is written. */
    async updatePrinter(ref: number | string, input: PrinterPatch, actor: string): Promise<Printer> {
      const patch: { name?: string; costPerPageCents?: number; disabled?: number } = {};
      if (input.name !== undefined) patch.name = normalizePrinterName(input.name);
      if (input.cost !== undefined) patch.costPerPageCents = parseCost(input.cost);
      if (input.disabled !== undefined) patch.disabled = input.disabled ? 1 : 0;
      const now = nowIso(deps);
      try {
        return await inTransaction(deps.store.db, async (r) => {
          const printer = await requirePrinter(r, ref);
          await r.printing.updatePrinter(printer.id, patch, now);
          await r.audit.record(actor, 'printers.update', printer.name, patch, now);
          return requirePrinter(r, printer.id);
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw duplicate(patch.name ?? '');
        throw e;
      }
    },

    /**
     * One page to `printerRef` for `userRef`, charged at the printer's cost. Refused (nothing charged, a
     * 'refused' job kept for the admin to see) when a restricted account cannot afford it.
     */
    async testPrint(userRef: number | string, printerRef: number | string, actor: string): Promise<TestPrintResult> {
      const now = nowIso(deps);
      let refused: { userId: number; printerId: number; costCents: number } | undefined;
      try {
        return await inTransaction(deps.store.db, async (r) => {
          const userRow = typeof userRef === 'number' ? await r.users.findById(userRef) : await r.users.findByLogin(userRef);
          if (!userRow) throw new SpoolError('users.not_found', `No user "${String(userRef)}".`, { status: 404 });
          if (userRow.disabled === 1) {
            throw new SpoolError('printing.user_disabled', `The account "${userRow.username}" is disabled and cannot print.`, { status: 403, hint: 'Ask your administrator to enable the account.' });
          }
          const printer = await requirePrinter(r, printerRef);
          if (printer.disabled) throw new SpoolError('printing.printer_disabled', `The printer "${printer.name}" is disabled.`, { status: 409, hint: 'Pick another printer.' });
          const account = await r.accounts.get(userRow.id);
          if (!account) throw new SpoolError('accounts.not_found', `User "${userRow.username}" has no account.`, { status: 404 });
          const costCents = printer.costPerPageCents;
          try {
            assertCanAfford(account, costCents);
          } catch (e) {
            refused = { userId: userRow.id, printerId: printer.id, costCents };
            throw e;
          }
          const jobId = await r.printing.insertJob({ userId: userRow.id, printerId: printer.id, documentName: TEST_PAGE_NAME, pages: 1, costCents, status: 'printed', createdAt: now });
          let balanceCents = account.balanceCents;
          if (costCents !== 0) {
            const t = await r.accounts.adjust(userRow.id, -costCents, `Print job #${jobId}: ${TEST_PAGE_NAME} on ${printer.name}`, actor, now);
            balanceCents = t.balanceAfterCents;
            // The UPDATE is atomic; re-check in case another job was charged since we read the balance.
            if (account.restricted && balanceCents < -account.overdraftCents) {
              refused = { userId: userRow.id, printerId: printer.id, costCents };
              assertCanAfford({ ...account, balanceCents: balanceCents + costCents }, costCents);
            }
          }
          await r.audit.record(actor, 'printing.test-print', userRow.username, { printer: printer.name, jobId, costCents }, now);
          return { jobId, printer: printer.name, pages: 1, costCents, balanceCents };
        });
      } catch (e) {
        if (refused && e instanceof SpoolError && e.code === 'accounts.insufficient_credit') {
          await repos.printing.insertJob({ ...refused, documentName: TEST_PAGE_NAME, pages: 1, status: 'refused', createdAt: now });
        }
        throw e;
      }
    },
  };
}
export type PrintingService = ReturnType<typeof createPrintingService>;

export const describeCost = (p: Pick<Printer, 'costPerPageCents'>): string => `${formatCents(p.costPerPageCents)} per page`;
