/**
 * The `spool` command. Every console action has a command here, on the same database as the server
 * (no running server needed), each with --json for scripts.
 */
import { Command, CommanderError } from 'commander';
import { registerAccountsCommands } from './commands/accounts.ts';
import { registerAdminCommands } from './commands/admin.ts';
import { registerConfigCommands } from './commands/config.ts';
import { registerGroupsCommands } from './commands/groups.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerUsersCommands } from './commands/users.ts';
import { CLI_MODULES } from './modules.ts';
import { reportError } from './output.ts';

const program = new Command('spool')
  .description('Spool print management: users, groups and accounts mirrored from your directory')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerServeCommand(program);
registerConfigCommands(program);
registerAdminCommands(program);
registerUsersCommands(program);
registerGroupsCommands(program);
registerAccountsCommands(program);
for (const register of CLI_MODULES) register(program);

// Not top-level await: dist/ bundles the CLI as CommonJS, which V8 can cache compiled (scripts/run-bundle.cjs).
program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof CommanderError) {
    // Commander already printed its message (unknown option, missing argument, --help, --version).
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(e, process.argv.includes('--json'));
  }
});
