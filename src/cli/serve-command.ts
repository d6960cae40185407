import { startServer } from '../server.js';
import { defineCommand } from './commands.js';

defineCommand('serve', {
  summary: 'run the HTTP server (migrates first unless MIGRATE_ON_START=false)',
  usage: 'serve',
  async run(ctx) {
    const server = await startServer(ctx.config, ctx.logger);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        ctx.logger.info({ signal }, 'shutting down');
        server.close().then(resolve, resolve);
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    return 0;
  },
});
