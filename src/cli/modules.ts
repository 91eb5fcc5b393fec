/** Feature command groups (sync, scim, printers...) register here: one line per feature. */
import type { Command } from 'commander';
import { registerPrintersCommands } from './commands/printers.ts';
import { registerScimCommands } from './commands/scim.ts';
import { registerAuthCommands } from './commands/auth.ts';
import { registerSyncCommands } from './commands/sync.ts';

export const CLI_MODULES: Array<(program: Command) => void> = [registerPrintersCommands, registerScimCommands, registerSyncCommands, registerAuthCommands];
