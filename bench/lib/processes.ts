import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

// Every child process the bench starts is registered here, so that cleanup (normal end,
// failure, Ctrl-C) can stop exactly those, by pid.

const children = new Set<ChildProcess>();

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (or the signal's name) when the process has exited. */
  exited: Promise<number | string>;
  stdout(): string;
  stderr(): string;
}

/**
 * Starts a process; its output is kept in memory (and copied to logFile when given).
 * detached: a process group of its own, so that stop() reaches its children too.
 */
export function start(
  command: string,
  args: string[],
  options: SpawnOptions & { logFile?: string } = {},
): Spawned {
  const { logFile, ...spawnOptions } = options;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  children.add(child);
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    log?.write(chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    log?.write(chunk);
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      log?.end();
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (error) => {
      children.delete(child);
      err += String(error);
      resolve('error');
    });
  });
  return { child, pid: child.pid, exited, stdout: () => out, stderr: () => err };
}

/** Runs a command to its end; throws with its output when it exits non-zero. */
export async function run(
  command: string,
  args: string[],
  options: SpawnOptions & { logFile?: string } = {},
): Promise<{ stdout: string; stderr: string }> {
  const p = start(command, args, options);
  const code = await p.exited;
  if (code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited with ${code}\n${p.stdout().slice(-4000)}${p.stderr().slice(-4000)}`,
    );
  }
  return { stdout: p.stdout(), stderr: p.stderr() };
}

/** SIGTERM, then SIGKILL after graceMs; resolves when the process has exited. */
export async function stop(p: Spawned, graceMs = 10_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  signal(p.child, 'SIGTERM');
  const done = await Promise.race([p.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    signal(p.child, 'SIGKILL');
    await p.exited;
  }
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    child.kill(name);
  } catch {
    // already gone
  }
}

/** Kills every child still running (by its own pid), for cleanup on failure or Ctrl-C. */
export async function killAll(): Promise<void> {
  const alive = [...children];
  for (const child of alive) signal(child, 'SIGTERM');
  await sleep(alive.length > 0 ? 500 : 0);
  for (const child of children) signal(child, 'SIGKILL');
}
