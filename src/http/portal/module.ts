/** The user portal (/user) as a feature module: it needs the app and the sign-in throttle of the HTTP context. */
import type { HttpModule } from '../modules.ts';
import { registerPortal } from './routes.ts';

export const portalModule: HttpModule = { name: 'portal', register: (app, spool, ctx) => registerPortal(app, spool, ctx) };
