/** `spool auth check USERNAME`: test a sign-in (directory or internal) with the password read from stdin. */
import type { Command } from 'commander';
import { withApp } from '../context.ts';
import { emit, readStdin } from '../output.ts';

export function registerAuthCommands(program: Command): void {
  const auth = program.command('auth').description('User sign-in');
  auth
    .command('check')
    .description('Check a user\'s sign-in (username, alias, user@domain, DOMAIN\\user or e-mail); the password is read from standard input')
    .argument('<username>')
    .option('--json', 'JSON output')
    .action(async (username: string, o: { json?: boolean }) => {
      const password = await readStdin();
      const r = await withApp((app) => app.services.sync.authenticate(username, password));
      const out = { ok: true, username: r.user.username, fullName: r.user.fullName, source: r.source, created: r.created };
      emit(o, out, () => `Signed in as ${r.user.username} (${r.user.fullName || 'no name'}, ${r.source} user${r.created ? ', created now' : ''}).`);
    });
}
