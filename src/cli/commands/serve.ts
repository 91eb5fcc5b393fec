import type { Command } from 'commander';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the server: console on :9191 (HTTP) and :9192 (HTTPS), API, SCIM and schedules')
    .action(async () => {
      // The HTTP stack is loaded only for `serve`, keeping other commands quick to start.
      const [{ createApp }, { loadConfig }, { startServers }, { createLogger }, { SERVE_HOOKS }] = await Promise.all([
        import('../../app.ts'),
        import('../../config.ts'),
        import('../../http/server.ts'),
        import('../../logger.ts'),
        import('../serve-hooks.ts'),
      ]);
      const config = loadConfig();
      const log = createLogger(config.logLevel);
      const spool = await createApp({ config, log });
      const abandoned = await spool.deps.repos.syncRuns.markAbandoned(new Date().toISOString());
      if (abandoned) log.warn(`${abandoned} sync run(s) were interrupted when Spool last stopped; the next sync completes their work.`);
      const servers = await startServers(spool);
      const stops = [] as Array<() => Promise<void> | void>;
      for (const hook of SERVE_HOOKS) stops.push(await hook(spool));
      let stopping = false;
      const shutdown = async (signal: string): Promise<void> => {
        if (stopping) return;
        stopping = true;
        log.info(`${signal} received: finishing requests and closing`);
        const force = setTimeout(() => process.exit(1), 15_000);
        force.unref();
        for (const stop of stops) await stop();
        await servers.close();
        await spool.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void shutdown('SIGINT'));
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
    });
}
