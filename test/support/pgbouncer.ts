import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresOsUser } from '../../support/postgres-binaries.js';
import { freePort } from '../../support/postgres-cluster.js';
import { adminUrl } from './test-database.js';

// A real PgBouncer in transaction mode in front of the test server, for tests of what a
// shared server connection may carry from one client's transaction to another's.

export const pgbouncerBinary = process.env.PGBOUNCER_BIN ?? '/usr/sbin/pgbouncer';

export interface PgBouncerOptions {
  /** The database PgBouncer serves, under the same name. */
  database: string;
  /** Roles allowed to connect (trust auth); the admin user is added. */
  users: string[];
  /** Server connections per (database, user) pool. */
  poolSize?: number;
  serverHost?: string;
  serverPort?: number;
  /** Port to listen on (a restart keeps its predecessor's); a free one when omitted. */
  port?: number;
}

export interface PgBouncer {
  port: number;
  /** URL of the database through PgBouncer, marked as pooled (no prepared statements). */
  urlFor(user: string): string;
  /** A statement on PgBouncer's admin console (SHOW POOLS, SHOW SERVERS, …). */
  admin(command: string): Promise<Record<string, unknown>[]>;
  /** Stops PgBouncer, waits for it to exit and removes its directory. */
  stop(): Promise<void>;
}

const adminUser = 'postgres';

export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const port = options.port ?? (await freePort());
  const testServer = new URL(adminUrl);
  const dir = mkdtempSync(join(tmpdir(), 'pgbouncer-'));
  const users = [...new Set([...options.users, adminUser])];
  const config = join(dir, 'pgbouncer.ini');
  const logfile = join(dir, 'pgbouncer.log');
  writeFileSync(join(dir, 'userlist.txt'), users.map((u) => `"${u}" ""\n`).join(''));
  writeFileSync(
    config,
    [
      '[databases]',
      `${options.database} = host=${options.serverHost ?? testServer.hostname} port=${options.serverPort ?? (testServer.port || 5432)} dbname=${options.database}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      `admin_users = ${adminUser}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 1}`,
      'min_pool_size = 0',
      'reserve_pool_size = 0',
      'max_client_conn = 100',
      // node-postgres sends application_name; the server-side pool sends no other parameter.
      'ignore_startup_parameters = extra_float_digits,statement_timeout,options,application_name',
      `logfile = ${logfile}`,
      '',
    ].join('\n'),
  );

  // PgBouncer refuses to run as root: as root, it switches to an unprivileged OS user.
  const osUser = postgresOsUser;
  if (osUser) {
    const uid = Number(execFileSync('id', ['-u', osUser], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', osUser], { encoding: 'utf8' }).trim());
    for (const file of [dir, config, join(dir, 'userlist.txt')]) chownSync(file, uid, gid);
  }
  const child = spawn(pgbouncerBinary, osUser ? ['-u', osUser, config] : [config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  try {
    await waitForPort(port, child, 10_000);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    const log = safeRead(logfile);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`pgbouncer did not start: ${(error as Error).message}\n${stderr}\n${log}`);
  }

  const urlFor = (user: string) =>
    `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${options.database}?pgbouncer=true`;

  return {
    port,
    urlFor,
    async admin(command) {
      // The admin console speaks the simple query protocol only: no parameters.
      const client = new pg.Client({
        host: '127.0.0.1',
        port,
        user: adminUser,
        database: 'pgbouncer',
      });
      await client.connect();
      try {
        return (await client.query(command)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT'); // immediate shutdown
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`port ${port} not open after ${timeoutMs} ms`);
}
