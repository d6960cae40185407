import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

// `todo serve` as a real child process (through tsx, so no build is needed), for tests that
// kill it, and the pids of a process's children (cluster workers, PostgreSQL backends).

const repoRoot = join(import.meta.dirname, '..', '..');
const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const cliEntry = join(repoRoot, 'src', 'cli', 'main.ts');

export interface ServerBundle {
  /** The CLI as one ES module: node starts it in a third of tsx's time. */
  entry: string;
  remove(): void;
}

/**
 * Bundles src/cli/main.ts with esbuild (dependencies stay imports). It is written under
 * node_modules/.cache/ of this checkout, so the code that looks upwards for package.json,
 * migrations/ and dist/web finds this checkout's, and bare imports resolve as usual.
 */
export async function bundleServer(): Promise<ServerBundle> {
  const dir = join(repoRoot, 'node_modules', '.cache', 'todo-serve-bundle');
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, `main-${process.pid}-${Date.now()}.mjs`);
  await build({
    entryPoints: [cliEntry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: entry,
    logLevel: 'warning',
  });
  return { entry, remove: () => rmSync(entry, { force: true }) };
}

export interface ServeProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  /** Resolves when the process has exited, with its code or signal. */
  exited: Promise<number | string>;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Polls /readyz until it answers 200. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** SIGTERM (SIGKILL after a grace period); resolves when it has exited. */
  stop(): Promise<void>;
}

export interface ServeOptions {
  port: number;
  /** Working directory: one without a .env, so only `env` counts. */
  cwd: string;
  env: Record<string, string>;
  workers?: number;
  /** A bundle from bundleServer(); without one, src/cli/main.ts runs through tsx. */
  entry?: string;
}

export function spawnServe(options: ServeOptions): ServeProcess {
  const args = options.entry
    ? [options.entry, 'serve']
    : ['--import', tsxLoader, cliEntry, 'serve'];
  if (options.workers && options.workers > 1) args.push('--workers', String(options.workers));
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      PORT: String(options.port),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not start todo serve');
  let output = '';
  const keep = (chunk: Buffer) => {
    // Bounded: only the tail matters for a failure message.
    output = (output + chunk.toString('utf8')).slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const url = `http://127.0.0.1:${options.port}`;
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid: child.pid,
    port: options.port,
    url,
    exited,
    output: () => output,
    async waitReady(timeoutMs = 90_000) {
      const deadline = performance.now() + timeoutMs;
      while (performance.now() < deadline) {
        if (!alive()) throw new Error(`todo serve exited before it was ready:\n${output}`);
        try {
          const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
          await response.arrayBuffer();
          if (response.status === 200) return;
        } catch {
          // not listening yet
        }
        await sleep(50);
      }
      throw new Error(`todo serve not ready after ${timeoutMs} ms:\n${output.slice(-4000)}`);
    },
    async stop() {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Pids whose parent is `pid` (from /proc: cluster workers, a postmaster's backends). */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return children;
}

/** Whether a process with this pid exists (and is not a zombie). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
