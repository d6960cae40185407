import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

// Process accounting from /proc: CPU time (utime + stime) and resident memory (VmRSS) of
// process trees, sampled while a load runs.

const CLOCK_TICKS =
  Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in seconds. */
  cpuSeconds: number;
}

/** /proc/<pid>/stat, or undefined when the process is gone. */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after it.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return {
    pid,
    ppid: Number(fields[1]),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
  };
}

/** Resident set size in bytes, or 0 when the process is gone. */
export function readRss(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Every process of the machine with its parent and CPU time. */
export function allStats(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) stats.set(stat.pid, stat);
  }
  return stats;
}

/** The root and all its descendants among the given processes. */
export function treeOf(root: number, stats: Map<number, ProcStat>): number[] {
  const children = new Map<number, number[]>();
  for (const s of stats.values()) {
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const result: number[] = [];
  const queue = stats.has(root) ? [root] : [];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    result.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return result;
}

/** Machine-wide busy and total jiffies from /proc/stat (all CPUs). */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
}

export interface GroupUsage {
  /** CPU seconds spent by the group's processes during the window. */
  cpuSeconds: number;
  /** Highest sum of VmRSS over the group's processes at one sample, in bytes. */
  rssPeakTotal: number;
  /** Highest VmRSS of any one process of the group, in bytes. */
  rssPeakProcess: number;
  /** Process count at the last sample. */
  processes: number;
}

export interface UsageReport {
  seconds: number;
  groups: Record<string, GroupUsage>;
  /** Machine-wide: CPU seconds busy out of cores × seconds. */
  machineBusySeconds: number;
  machineCapacitySeconds: number;
}

/**
 * Samples named process trees (root pid given by a function, so a tree may be replaced
 * between samples) every intervalMs: CPU time deltas per process (a process that appears
 * during the window counts from zero, one that exits keeps its last sample) and RSS peaks.
 */
export class UsageSampler {
  readonly #roots: Record<string, () => number | undefined>;
  readonly #rss: Set<string>;
  readonly #baseline = new Map<number, number>();
  readonly #last = new Map<number, { group: string; cpu: number }>();
  readonly #usage: Record<string, GroupUsage> = {};
  #timer: NodeJS.Timeout | undefined;
  #started = 0;
  #machineStart = machineCpu();

  constructor(roots: Record<string, () => number | undefined>, options: { rssOf?: string[] } = {}) {
    this.#roots = roots;
    this.#rss = new Set(options.rssOf ?? Object.keys(roots));
    for (const name of Object.keys(roots)) {
      this.#usage[name] = { cpuSeconds: 0, rssPeakTotal: 0, rssPeakProcess: 0, processes: 0 };
    }
  }

  start(intervalMs = 200): void {
    this.#started = performance.now();
    this.#machineStart = machineCpu();
    const stats = allStats();
    for (const [group, root] of Object.entries(this.#roots)) {
      const pid = root();
      if (pid === undefined) continue;
      for (const p of treeOf(pid, stats)) {
        this.#baseline.set(p, stats.get(p)!.cpuSeconds);
        this.#last.set(p, { group, cpu: stats.get(p)!.cpuSeconds });
      }
    }
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    const stats = allStats();
    for (const [group, root] of Object.entries(this.#roots)) {
      const pid = root();
      if (pid === undefined) continue;
      const tree = treeOf(pid, stats);
      let rssTotal = 0;
      for (const p of tree) {
        this.#last.set(p, { group, cpu: stats.get(p)!.cpuSeconds });
        if (!this.#baseline.has(p)) this.#baseline.set(p, 0);
        if (this.#rss.has(group)) {
          const rss = readRss(p);
          rssTotal += rss;
          const usage = this.#usage[group]!;
          usage.rssPeakProcess = Math.max(usage.rssPeakProcess, rss);
        }
      }
      const usage = this.#usage[group]!;
      usage.rssPeakTotal = Math.max(usage.rssPeakTotal, rssTotal);
      usage.processes = tree.length;
    }
  }

  stop(): UsageReport {
    if (this.#timer) clearInterval(this.#timer);
    this.sample();
    const seconds = (performance.now() - this.#started) / 1000;
    const machine = machineCpu();
    for (const usage of Object.values(this.#usage)) usage.cpuSeconds = 0;
    for (const [pid, { group, cpu }] of this.#last) {
      this.#usage[group]!.cpuSeconds += Math.max(0, cpu - (this.#baseline.get(pid) ?? 0));
    }
    return {
      seconds,
      groups: this.#usage,
      machineBusySeconds: machine.busy - this.#machineStart.busy,
      machineCapacitySeconds: machine.total - this.#machineStart.total,
    };
  }
}
