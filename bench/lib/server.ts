import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Spawned, start, stop } from './processes.js';

// `todo serve` as a child process (the built CLI, never tsx), and HTTP helpers.

export const repoRoot = join(import.meta.dirname, '..', '..');
export const cliEntry = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export const BENCH_SECRET = 'bench-secret-0123456789-abcdefghijklmnop';

export interface ServeOptions {
  port: number;
  /** Unset: the embedded database. */
  databaseUrl?: string;
  workers?: number;
  env?: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** The CLI to run; default this checkout's dist/src/cli/main.js. */
  entry?: string;
  /** Working directory: a directory without a .env, so only our environment counts. */
  cwd: string;
  logFile?: string;
}

/** The environment every bench server runs with (bench/README.md lists it). */
export function serverEnv(options: ServeOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(options.port),
    BETTER_AUTH_URL: `http://127.0.0.1:${options.port}`,
    BETTER_AUTH_SECRET: BENCH_SECRET,
    JWT_TTL_SECONDS: '3600',
    AUTH_RATE_LIMIT: 'off',
    API_WRITE_LIMIT_PER_MINUTE: 'off',
    LOG_LEVEL: 'warn',
    MIGRATE_ON_START: 'false',
    DB_POOL_MAX: '16',
    ...options.env,
  };
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  return env;
}

/** serverEnv as results.json records it: without PATH and HOME, the secret left out. */
export function recordedServerEnv(port: number): Record<string, string> {
  const env = serverEnv({
    port,
    cwd: '.',
    databaseUrl: 'postgres://todo_bench_app@127.0.0.1/todo_bench',
  });
  const shown: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k === 'PATH' || k === 'HOME' || v === undefined) continue;
    shown[k] = k === 'BETTER_AUTH_SECRET' ? '(fixed, 40 characters)' : v;
  }
  return shown;
}

export function startServer(options: ServeOptions): Spawned {
  const args = [...(options.nodeArgs ?? []), options.entry ?? cliEntry, 'serve'];
  if (options.workers && options.workers > 1) args.push('--workers', String(options.workers));
  return start(process.execPath, args, {
    cwd: options.cwd,
    env: serverEnv(options),
    logFile: options.logFile,
  });
}

/** Polls /readyz until it answers 200; returns the milliseconds waited. */
export async function waitReady(
  server: Spawned,
  port: number,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<number> {
  const started = performance.now();
  const deadline = started + (options.timeoutMs ?? 60_000);
  while (performance.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`server exited before it was ready:\n${server.stderr().slice(-3000)}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - started;
    } catch {
      // not listening yet
    }
    await sleep(options.intervalMs ?? 20);
  }
  throw new Error(`server not ready after ${options.timeoutMs ?? 60_000} ms`);
}

export async function stopServer(server: Spawned): Promise<void> {
  await stop(server, 15_000);
}

/** Runs fn over items with at most `concurrency` at a time; results in item order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
