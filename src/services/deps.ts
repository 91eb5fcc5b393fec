/** What every service is built from. The composition root (app.ts) makes one of these. */
import type { Logger } from 'pino';
import type { SecretBox } from '../security/secret-box.ts';
import type { Store } from '../store/database.ts';
import type { Repositories } from '../store/repositories.ts';

export interface ServiceDeps {
  store: Store;
  repos: Repositories;
  secrets: SecretBox;
  log: Logger;
  clock: () => Date;
}

export const nowIso = (deps: Pick<ServiceDeps, 'clock'>): string => deps.clock().toISOString();
