import type { LoadResult } from './load.js';
import type { ConfigName, ConfigSummary, RoundResult } from './report.js';
import { median } from './server.js';

// The rounds of each configuration folded into one line: medians of the rounds, errors
// summed, memory peaks taken at their highest, and the server's throughput over pgbench's.

export function summarise(rounds: RoundResult[]): ConfigSummary[] {
  const byConfig = new Map<ConfigName, RoundResult[]>();
  for (const r of rounds) byConfig.set(r.config, [...(byConfig.get(r.config) ?? []), r]);
  const summaries = [...byConfig].map(([config, list]) => summariseConfig(config, list));
  const pgbench = summaries.find((s) => s.config === 'pgbench');
  for (const s of summaries) {
    if (s.config !== 'pgbench' && pgbench) s.ratioToPgbench = s.throughput / pgbench.throughput;
  }
  return summaries;
}

function summariseConfig(config: ConfigName, list: RoundResult[]): ConfigSummary {
  const cores = (group: string) =>
    median(list.map((r) => (r.usage.groups[group]?.cpuSeconds ?? 0) / r.usage.seconds));
  const isServer = config !== 'pgbench';
  return {
    config,
    rounds: list.length,
    throughput: median(list.map((r) => r.measured.throughput)),
    latencyMs: {
      p50: median(list.map((r) => r.measured.latencyMs.p50)),
      p90: median(list.map((r) => r.measured.latencyMs.p90)),
      p99: median(list.map((r) => r.measured.latencyMs.p99)),
    },
    errors: sum(list.map((r) => ({ ...r.measured.errors, ...socketErrors(r.measured) }))),
    warmupErrors: sum(list.map((r) => ({ ...r.warmup.errors, ...socketErrors(r.warmup) }))),
    rssPeakPerProcessMB: isServer
      ? Math.max(...list.map((r) => r.usage.groups.server!.rssPeakProcess)) / 2 ** 20
      : undefined,
    rssPeakTotalMB: isServer
      ? Math.max(...list.map((r) => r.usage.groups.server!.rssPeakTotal)) / 2 ** 20
      : undefined,
    cores: {
      server: cores('server'),
      postgres: cores('postgres'),
      loadGenerator: cores('loadGenerator'),
      other: median(
        list.map((r) => {
          const ours = Object.values(r.usage.groups).reduce((a, g) => a + g.cpuSeconds, 0);
          return Math.max(0, r.usage.machineBusySeconds - ours) / r.usage.seconds;
        }),
      ),
      machine: median(list.map((r) => r.usage.machineBusySeconds / r.usage.seconds)),
    },
  };
}

function sum(records: Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) total[k] = (total[k] ?? 0) + v;
  return total;
}

function socketErrors(result: LoadResult): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const [k, v] of Object.entries(result.socketErrors ?? {})) {
    if (v > 0) errors[`socket ${k}`] = v;
  }
  return errors;
}
