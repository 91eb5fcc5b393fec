import type { Command } from 'commander';
import { cliActor, withApp } from '../context.ts';
import { emit, readStdin } from '../output.ts';

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('Console administrators');
  admin
    .command('create')
    .requiredOption('--username <name>')
    .option('--password-stdin', 'read the password from standard input (required)')
    .option('--json', 'JSON output')
    .description('Create an admin account')
    .action(async (o: { username: string; passwordStdin?: boolean; json?: boolean }) => {
      const password = await readStdin();
      const a = await withApp((app) => app.services.auth.createAdmin(o.username, password, cliActor()));
      emit(o, a, () => `Created admin ${a.username}.`);
    });
  const token = program.command('api').description('JSON API access').command('token').description('API tokens for scripts (Authorization: Bearer ...)');
  token
    .command('create')
    .option('--name <name>', 'label shown in lists', 'script')
    .option('--json', 'JSON output')
    .action(async (o: { name: string; json?: boolean }) => {
      const t = await withApp((app) => app.services.auth.createToken('api', o.name, cliActor()));
      emit(o, t, () => `API token (shown once; store it safely):\n${t.token}`);
    });
  token
    .command('list')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const list = await withApp((app) => app.services.auth.listTokens('api'));
      emit(o, list, () => list.map((t) => `${t.id}  ${t.tokenPrefix}…  ${t.name}  ${t.revokedAt ? 'revoked' : 'active'}  last used ${t.lastUsedAt ?? 'never'}`).join('\n') || '(none)');
    });
  token
    .command('revoke')
    .argument('<id>')
    .option('--json', 'JSON output')
    .action(async (id: string, o: { json?: boolean }) => {
      await withApp((app) => app.services.auth.revokeToken('api', Number(id), cliActor()));
      emit(o, { revoked: Number(id) }, () => `Revoked API token ${id}.`);
    });
}
