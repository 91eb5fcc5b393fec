/** `spool scim`: tokens for Microsoft Entra ID provisioning, and the provisioning log. */
import type { Command } from 'commander';
import { SpoolError } from '../../errors.ts';
import { cliActor, withApp } from '../context.ts';
import { emit, table } from '../output.ts';
import { intOption } from './users.ts';

export function registerScimCommands(program: Command): void {
  const scim = program.command('scim').description('SCIM provisioning from Microsoft Entra ID: tokens and the provisioning log');
  const token = scim.command('token').description('Secret tokens Entra uses to call Spool (several may be active, for rotation)');

  token
    .command('create')
    .description('Create a token; prints the tenant URL and the token (shown only once)')
    .option('--name <name>', 'label shown in lists', 'Microsoft Entra ID')
    .option('--json', 'JSON output')
    .action(async (o: { name: string; json?: boolean }) => {
      const r = await withApp((app) => app.services.scim.tokens.create(o.name, cliActor()));
      emit(o, r, () =>
        [
          `Tenant URL:    ${r.tenantUrl}`,
          `Secret token:  ${r.token}`,
          '',
          'Paste both into the Provisioning tab of the enterprise application in Microsoft Entra ID, then Test Connection.',
          'The token is shown only now; Spool keeps only its hash.',
        ].join('\n'),
      );
    });

  token
    .command('list')
    .description('List SCIM tokens (their names and prefixes, never the tokens)')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const rows = await withApp((app) => app.services.scim.tokens.list());
      emit(o, rows, () => table(rows.map((t) => ({ id: t.id, name: t.name, prefix: `${t.tokenPrefix}…`, created: t.createdAt, lastUsed: t.lastUsedAt ?? '', revoked: t.revokedAt ?? '' })), ['id', 'name', 'prefix', 'created', 'lastUsed', 'revoked']));
    });

  token
    .command('revoke')
    .argument('<id>', 'token id (from "spool scim token list")')
    .option('--json', 'JSON output')
    .description('Revoke a token: Entra calls with it fail from then on (within 5 seconds on a running server)')
    .action(async (id: string, o: { json?: boolean }) => {
      if (!/^\d+$/.test(id)) throw new SpoolError('cli.usage', 'The token id is a number; see "spool scim token list".');
      await withApp((app) => app.services.scim.tokens.revoke(Number(id), cliActor()));
      emit(o, { revoked: Number(id) }, () => `Revoked SCIM token ${id}.`);
    });

  scim
    .command('tenant-url')
    .description('Print the tenant URL to paste into Entra')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const tenantUrl = await withApp((app) => app.services.scim.runtime.tenantUrl());
      emit(o, { tenantUrl }, () => tenantUrl);
    });

  scim
    .command('log')
    .description('SCIM requests that changed something or failed: failures first, newest first')
    .option('--failures', 'only failures')
    .option('--limit <n>', 'entries to show', '50')
    .option('--json', 'JSON output')
    .action(async (o: { failures?: boolean; limit: string; json?: boolean }) => {
      const limit = intOption('limit', o.limit, 1, 10_000);
      const rows = await withApp((app) => app.services.scim.log.list({ limit, failuresOnly: o.failures }));
      emit(o, rows, () =>
        table(
          rows.map((r) => ({ time: r.createdAt, result: r.ok ? 'ok' : 'FAILED', status: r.status, operation: r.operation, resource: r.resourceType ? `${r.resourceType} ${r.resourceId ?? ''}`.trim() : '', ms: r.durationMs, detail: r.ok ? (r.summary ?? '') : (r.error ?? '') })),
          ['time', 'result', 'status', 'operation', 'resource', 'ms', 'detail'],
        ),
      );
    });
}
