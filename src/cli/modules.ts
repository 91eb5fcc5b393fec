/** Feature command groups (sync, scim, printers...) register here: one line per feature. */
import type { Command } from 'commander';

export const CLI_MODULES: Array<(program: Command) => void> = [];
