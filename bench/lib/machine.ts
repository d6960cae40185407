import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';

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
