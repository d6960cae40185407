import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { cliEntry } from './server.js';
import { postgresBinDir } from './setup.js';

// What the bench needs from the machine, and the description of it that goes with the figures.

/** Stops with what to install or build when wrk, pgbench, initdb or dist/ is missing. */
export function requireTools(): void {
  const missing: string[] = [];
  for (const [tool, args, pkg] of [
    ['wrk', ['-v'], 'wrk'],
    ['pgbench', ['--version'], 'postgresql-15'],
  ] as const) {
    try {
      execFileSync(tool, args, { stdio: 'ignore' });
    } catch (error) {
      // wrk -v exits 1 after printing its version; only "not found" matters.
      if ((error as { code?: string }).code === 'ENOENT') missing.push(pkg);
    }
  }
  if (!existsSync(join(postgresBinDir, 'initdb')) && !missing.includes('postgresql-15')) {
    missing.push('postgresql-15');
  }
  if (missing.length > 0) {
    throw new Error(
      `missing tools; install them with: apt-get install -y ${missing.join(' ')} (PostgreSQL binaries elsewhere: PG_BIN_DIR)`,
    );
  }
  if (!existsSync(cliEntry)) {
    throw new Error('dist/ is missing: run npm run bench (it builds first) or npm run build');
  }
}

export interface Machine {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  kernel: string;
  node: string;
  postgres: string;
  wrk: string;
  pgbench: string;
}

function firstLine(command: string, args: string[]): string {
  try {
    const out = execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return out.split('\n')[0]!.trim();
  } catch (error) {
    // wrk -v prints its version and exits 1.
    const out = String((error as { stdout?: string }).stdout ?? '');
    return out.split('\n')[0]!.trim() || 'unknown';
  }
}

export function describeMachine(postgresVersion: string): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const osRelease = readFileSync('/etc/os-release', 'utf8');
  return {
    nproc: availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease)?.[1] ?? 'unknown',
    kernel: firstLine('uname', ['-r']),
    node: process.version,
    postgres: postgresVersion,
    wrk: firstLine('wrk', ['-v']).replace(/\s*Copyright.*$/, ''),
    pgbench: firstLine('pgbench', ['--version']),
  };
}

export function machineLine(m: Machine): string {
  return `${m.nproc} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.os} (Linux ${m.kernel}); Node ${m.node}; PostgreSQL ${m.postgres}; ${m.wrk}; ${m.pgbench}`;
}
