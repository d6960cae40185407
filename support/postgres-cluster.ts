import { execFile as execFileCallback, execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { postgresBinDir, postgresOsUser } from './postgres-binaries.js';

// A throwaway PostgreSQL cluster of its own (initdb into a temporary directory), for tests
// and benchmarks that must stop, crash and restart the server under a running application.
// As root, every PostgreSQL binary runs as an unprivileged OS user (the server refuses to run
// as root) and the directory is handed to that user.

const execFile = promisify(execFileCallback);

export { postgresBinDir };

const superuser = 'postgres';

export type StopMode = 'smart' | 'fast' | 'immediate';

export interface PostgresClusterOptions {
  /** TCP port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
  /** Extra server settings, passed as `-c name=value` on every start. */
  settings?: Record<string, string>;
  /** Directory of initdb, pg_ctl and postgres; the packaged binaries when omitted. */
  binDir?: string;
}

export interface PostgresCluster {
  /** Root of the throwaway directory: data directory, socket and server log live under it. */
  readonly dir: string;
  readonly dataDir: string;
  readonly port: number;
  /** URL of the `postgres` database as the `postgres` superuser (trust auth, no password). */
  readonly url: string;
  readonly running: boolean;
  /** URL of another database, optionally as another role. */
  urlFor(database: string, user?: string): string;
  /** Starts the server and waits until it accepts connections (same data dir, same port). */
  start(): Promise<void>;
  /** Stops the server and waits until it has exited; `immediate` is a crash (recovery on start). */
  stop(mode?: StopMode): Promise<void>;
  restart(mode?: StopMode): Promise<void>;
  /** One statement as the superuser on a short-lived connection. */
  query(sql: string, params?: unknown[], database?: string): Promise<pg.QueryResult>;
  /** The server log so far (for failure messages). */
  log(): string;
  /** Stops the server if it runs (immediate) and removes the directory. Never throws. */
  destroy(): Promise<void>;
}

/** Runs initdb into a fresh temporary directory; call start() to bring the server up. */
export async function createPostgresCluster(
  options: PostgresClusterOptions = {},
): Promise<PostgresCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'pgcluster-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const binDir = options.binDir ?? postgresBinDir;
  const osUser = postgresOsUser;
  try {
    mkdirSync(dataDir, { mode: 0o700 });
    if (osUser) {
      const uid = Number(execFileSync('id', ['-u', osUser], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', osUser], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
      chownSync(dataDir, uid, gid);
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  // As root: runuser -u postgres -- <binary> ...; the working directory must be one the
  // postgres user may enter, or initdb and pg_ctl complain.
  const run = async (binary: string, args: string[]): Promise<string> => {
    const path = join(binDir, binary);
    const [file, argv] = osUser ? ['runuser', ['-u', osUser, '--', path, ...args]] : [path, args];
    try {
      const { stdout, stderr } = await execFile(file, argv, { cwd: dir, encoding: 'utf8' });
      return stdout + stderr;
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(
        `${binary} ${args.join(' ')} failed: ${(error as Error).message}\n${stdout}${stderr}\n${readLog(logFile)}`,
      );
    }
  };

  try {
    await run('initdb', [
      '-D',
      dataDir,
      '-A',
      'trust',
      '-U',
      superuser,
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const port = options.port ?? (await freePort());
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    ...options.settings,
  };
  const serverOptions = [
    `-p ${port}`,
    `-k ${dir}`,
    ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
  ].join(' ');
  const url = `postgres://${superuser}@127.0.0.1:${port}/postgres`;
  let running = false;

  const cluster: PostgresCluster = {
    dir,
    dataDir,
    port,
    url,
    get running() {
      return running;
    },
    urlFor(database, user) {
      const target = new URL(url);
      target.pathname = `/${database}`;
      if (user) target.username = encodeURIComponent(user);
      return target.toString();
    },
    async start() {
      // -l: the postmaster must not inherit our pipes, or execFile would wait for it to exit.
      await run('pg_ctl', ['-D', dataDir, '-l', logFile, '-o', serverOptions, '-w', 'start']);
      running = true;
    },
    async stop(mode = 'fast') {
      await run('pg_ctl', ['-D', dataDir, '-m', mode, '-w', 'stop']);
      running = false;
    },
    async restart(mode = 'fast') {
      await cluster.stop(mode);
      await cluster.start();
    },
    async query(sql, params = [], database = 'postgres') {
      const client = new pg.Client({ connectionString: cluster.urlFor(database) });
      await client.connect();
      try {
        return await client.query(sql, params);
      } finally {
        await client.end();
      }
    },
    log: () => readLog(logFile),
    async destroy() {
      // The status check covers a server started behind our back or a failed stop().
      const status = await run('pg_ctl', ['-D', dataDir, 'status']).catch(() => '');
      if (running || /server is running/.test(status)) {
        await cluster.stop('immediate').catch(() => {});
      }
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** A TCP port nobody listens on right now (bind port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
