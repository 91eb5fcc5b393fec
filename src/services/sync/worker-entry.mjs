// Entry of the sync worker thread (see run-in-worker.ts). Workers do not inherit module hooks, so the TypeScript
// loader is registered here, as bin/spool.js does for the main thread.
import { register } from 'tsx/esm/api';

register();
await import('./sync-worker.ts');
