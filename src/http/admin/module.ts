/** The console's pages (beyond sign-in and the dashboard, which server.ts registers) and their API twins. */
import { registerAssets } from '../assets/routes.ts';
import type { HttpModule } from '../modules.ts';
import { registerAddonsPage } from './addons-page.ts';
import { registerGroupsPages } from './groups-pages.ts';
import { registerLogsPage } from './logs-page.ts';
import { registerPrintersPages } from './printers-pages.ts';
import { registerPrintingApi } from './printing-api.ts';
import { registerSyncPage } from './sync-page.ts';
import { registerSyncRuns } from './sync-runs.ts';
import { registerUsersPages } from './users-pages.ts';

export const consoleModule: HttpModule = {
  name: 'console',
  register(app, spool) {
    registerAssets(app);
    registerUsersPages(app, spool);
    registerGroupsPages(app, spool);
    registerPrintersPages(app, spool);
    registerSyncPage(app, spool);
    registerSyncRuns(app, spool);
    registerAddonsPage(app, spool);
    registerLogsPage(app, spool);
  },
  api: registerPrintingApi,
};
