import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ColdStart, RoundTrips, ScaleCheck } from './checks.js';
import type { LoadResult } from './load.js';
import { type Machine, machineLine } from './machine.js';
import type { UsageReport } from './procfs.js';
import type { MintReport } from './setup.js';

// results.json's shape, the markdown report, and the README section between the markers.

export type ConfigName = '1 worker' | '2 workers' | 'pgbench';

export interface RoundResult {
  round: number;
  config: ConfigName;
  warmup: LoadResult;
  measured: LoadResult;
  usage: UsageReport;
  serverReadyMs?: number;
}

export interface ConfigSummary {
  config: ConfigName;
  rounds: number;
  /** Medians over the rounds. */
  throughput: number;
  latencyMs: { p50: number; p90: number; p99: number };
  /** Summed over the measured windows of every round (warm-ups listed apart). */
  errors: Record<string, number>;
  warmupErrors: Record<string, number>;
  /** Highest over the rounds, MB. */
  rssPeakPerProcessMB?: number;
  rssPeakTotalMB?: number;
  /** Median cores busy (CPU seconds / wall seconds) per group. */
  cores: {
    server: number;
    postgres: number;
    loadGenerator: number;
    /** Everything else the machine ran meanwhile (other users' work, the kernel's). */
    other: number;
    machine: number;
  };
  /** Server requests/s over pgbench transactions/s (medians). */
  ratioToPgbench?: number;
}

export interface Target {
  name: string;
  target: string;
  measured: string;
  pass: boolean;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  machine: Machine;
  setup: {
    postgresSettings: Record<string, string>;
    pgStatStatements: boolean;
    users: number;
    tasksPerUser: number;
    /** Absent from runs recorded before lists. */
    listsPerUser?: number;
    /** Other users' lists each user is a member of; absent from runs recorded before sharing. */
    sharedListsPerUser?: number;
    migrateSeconds: number;
    seedSeconds: number;
    tokens: MintReport;
    serverEnv: Record<string, string>;
    serverEntry: string;
    load: { connections: number; threads: number; warmupSeconds: number; measuredSeconds: number };
    pgbenchStatements: Record<string, string>;
    /** The request mix in words; absent from runs recorded before lists (MIX_BEFORE_LISTS). */
    mix?: string;
    rounds: number;
  };
  rounds: RoundResult[];
  summary: ConfigSummary[];
  roundTrips: RoundTrips[];
  scale?: ScaleCheck;
  coldStart?: ColdStart;
  /** Checks after the rounds that failed (the rounds' figures stand). */
  failures: string[];
  targets: Target[];
}

const f0 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(0));
const f1 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(1));
const f2 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(2));
const errorsText = (errors: Record<string, number>) => {
  const entries = Object.entries(errors).filter(([, n]) => n > 0);
  return entries.length === 0 ? '0' : entries.map(([s, n]) => `${n}× ${s}`).join(', ');
};

export function mainTable(results: BenchResults): string {
  const lines = [
    '| configuration | req/s (pgbench: tps) | × pgbench | p50 ms | p90 ms | p99 ms | errors | RSS peak MB (per worker / all) | CPU cores: server / postgres / load gen / other |',
    '|---|---:|---:|---:|---:|---:|---|---|---|',
  ];
  for (const s of results.summary) {
    const rss =
      s.rssPeakPerProcessMB === undefined
        ? '–'
        : `${f0(s.rssPeakPerProcessMB)} / ${f0(s.rssPeakTotalMB)}`;
    const server = s.config === 'pgbench' ? '–' : f2(s.cores.server);
    lines.push(
      `| ${s.config === 'pgbench' ? 'pgbench (same SQL, -M prepared)' : `todo serve, ${s.config}`} | ${f0(s.throughput)} | ${s.ratioToPgbench === undefined ? '1' : f2(s.ratioToPgbench)} | ${f1(s.latencyMs.p50)} | ${f1(s.latencyMs.p90)} | ${f1(s.latencyMs.p99)} | ${errorsText(s.errors)} | ${rss} | ${server} / ${f2(s.cores.postgres)} / ${f2(s.cores.loadGenerator)} / ${f2(s.cores.other)} |`,
    );
  }
  return lines.join('\n');
}

export function targetsTable(targets: Target[]): string {
  return [
    '| target | wanted | measured | met |',
    '|---|---|---|---|',
    ...targets.map(
      (t) => `| ${t.name} | ${t.target} | ${t.measured} | ${t.pass ? 'yes' : '**no**'} |`,
    ),
  ].join('\n');
}

function roundTripsTable(roundTrips: RoundTrips[]): string {
  if (roundTrips.length === 0)
    return '_pg_stat_statements not available: round trips not counted._';
  return [
    '| request | auth | statements per request | unloaded p50 / p99 ms | statements |',
    '|---|---|---:|---|---|',
    ...roundTrips.map(
      (r) =>
        `| ${r.operation} | ${r.auth} | ${f2(r.perRequest)} | ${f1(r.latencyMs.p50)} / ${f1(r.latencyMs.p99)} | ${r.statements
          .map((s) => `\`${s.query.slice(0, 70).replace(/\|/g, '\\|')}\` ×${s.calls}`)
          .join('; ')} |`,
    ),
  ].join('\n');
}

function scaleTable(scale: ScaleCheck): string {
  return [
    '| tasks of the user | sequential p50 / p90 / p99 ms | one list (list_id), sequential p50 / p90 / p99 ms | under load (wrk list only, 32 conn.): req/s, p50 / p99 ms | EXPLAIN ANALYZE: plan, buffers hit, ms |',
    '|---:|---|---|---|---|',
    ...scale.points.map(
      (p) =>
        `| ${p.tasks.toLocaleString('en-US')} | ${f2(p.sequential.p50)} / ${f2(p.sequential.p90)} / ${f2(p.sequential.p99)} | ${
          p.oneList ? `${f2(p.oneList.p50)} / ${f2(p.oneList.p90)} / ${f2(p.oneList.p99)}` : '–'
        } | ${
          p.underLoad
            ? `${f0(p.underLoad.throughput)}, ${f1(p.underLoad.latencyMs.p50)} / ${f1(p.underLoad.latencyMs.p99)}`
            : '–'
        } | ${p.explain.plan}; ${p.explain.sharedHitBlocks + p.explain.sharedReadBlocks} buffers; ${f2(p.explain.executionMs)} |`,
    ),
  ].join('\n');
}

function coldStartText(cold: ColdStart): string {
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const list = (v: number[]) => v.map((x) => x.toFixed(0)).join(', ');
  return [
    '| database | median ms | runs ms |',
    '|---|---:|---|',
    `| embedded (PGlite), empty DATA_DIR: create + migrate | ${f0(med(cold.embeddedMs))} | ${list(cold.embeddedMs)} |`,
    `| server, app role, MIGRATE_ON_START=false | ${f0(med(cold.serverMs))} | ${list(cold.serverMs)} |`,
    `| server, owner, MIGRATE_ON_START=true (nothing pending) | ${f0(med(cold.serverMigrateOnStartMs))} | ${list(cold.serverMigrateOnStartMs)} |`,
  ].join('\n');
}

/** The mix of the runs that recorded none: the one before lists. */
const MIX_BEFORE_LISTS =
  '70 % `GET /api/tasks?limit=20`, 15 % `POST /api/tasks`, 10 % `PATCH /api/tasks/{id}/complete`, 5 % `GET /api/tasks/{id}`';

export function setupText(results: BenchResults): string {
  const s = results.setup;
  const settings = Object.entries(s.postgresSettings)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    `Machine: ${machineLine(results.machine)}.`,
    '',
    `PostgreSQL: throwaway initdb cluster, \`${settings}\`, everything else default (fsync on, synchronous_commit on, shared_buffers 128MB). ` +
      `Data: ${s.users} users × ${s.tasksPerUser} tasks${s.listsPerUser ? ` spread over ${s.listsPerUser} lists (the Inbox and ${s.listsPerUser - 1} more)` : ''} from \`todo db seed\` (${f1(s.seedSeconds)} s), users${s.listsPerUser ? ' and lists' : ''} renumbered to predictable ids${s.sharedListsPerUser ? `; each user also a member of ${s.sharedListsPerUser} other users' lists (a viewer of one, an editor of ${s.sharedListsPerUser - 1})` : ''}; the server and pgbench connect as a role that is neither superuser nor BYPASSRLS.`,
    '',
    `Load: ${s.load.connections} connections, ${s.load.threads} threads, ${s.load.warmupSeconds} s warm-up + ${s.load.measuredSeconds} s measured, ${s.rounds} rounds rotating 1 worker → 2 workers → pgbench; medians of the rounds. ` +
      `Mix per request, random user: ${s.mix ?? MIX_BEFORE_LISTS}, JWT auth. ` +
      `Tokens: ${s.tokens.signedIn} users signed in through /api/auth/sign-in/email (scrypt; median ${f0(s.tokens.signInMsMedian)} ms with 8 at a time), ${s.tokens.fromSessionRows} through session rows + /api/auth/token.`,
  ].join('\n');
}

function roundsTable(results: BenchResults): string {
  const coresOf = (r: RoundResult, group: string) =>
    (r.usage.groups[group]?.cpuSeconds ?? 0) / r.usage.seconds;
  return [
    '| round | configuration | req/s (tps) | p50 ms | p99 ms | CPU cores: server / postgres / load gen / other |',
    '|---:|---|---:|---:|---:|---|',
    ...results.rounds.map((r) => {
      const ours = Object.keys(r.usage.groups).reduce((a, g) => a + coresOf(r, g), 0);
      const other = Math.max(0, r.usage.machineBusySeconds / r.usage.seconds - ours);
      return `| ${r.round} | ${r.config} | ${f0(r.measured.throughput)} | ${f1(r.measured.latencyMs.p50)} | ${f1(r.measured.latencyMs.p99)} | ${r.config === 'pgbench' ? '–' : f2(coresOf(r, 'server'))} / ${f2(coresOf(r, 'postgres'))} / ${f2(coresOf(r, 'loadGenerator'))} / ${f2(other)} |`;
    }),
  ].join('\n');
}

export function markdownReport(results: BenchResults, resultsDir: string): string {
  const parts = [
    `# Benchmark ${results.startedAt}`,
    '',
    `Server: \`${results.setup.serverEntry}\`.`,
    '',
    mainTable(results),
    '',
    targetsTable(results.targets),
    '',
    setupText(results),
    '',
    '## Rounds',
    '',
    roundsTable(results),
    '',
    '## Database statements per request',
    '',
    roundTripsTable(results.roundTrips),
  ];
  if (results.scale) {
    parts.push(
      '',
      '## List latency as one user grows',
      '',
      scaleTable(results.scale),
      '',
      `p50 ratio ${results.scale.points.at(-1)!.tasks} / ${results.scale.points[0]!.tasks} tasks: ${f2(results.scale.ratioP50)} sequential${
        results.scale.ratioUnderLoadP50 === undefined
          ? ''
          : `, ${f2(results.scale.ratioUnderLoadP50)} under load`
      }${
        results.scale.ratioOneListP50 === undefined
          ? ''
          : `; one list: ${f2(results.scale.ratioOneListP50)} sequential`
      }.`,
    );
  }
  if (results.coldStart) {
    parts.push(
      '',
      '## Cold start (process start → first 200 on /readyz)',
      '',
      coldStartText(results.coldStart),
    );
  }
  if (results.failures.length > 0) {
    parts.push('', '## Failed checks', '', ...results.failures.map((f) => `- ${f}`));
  }
  parts.push(
    '',
    '## pgbench statements',
    '',
    ...Object.entries(results.setup.pgbenchStatements).map(([k, v]) => `- ${k}: \`${v}\``),
    '',
    `Total bench time ${f0(results.durationSeconds)} s. Raw figures: \`${resultsDir}/results.json\`.`,
    '',
  );
  return alignTables(parts.join('\n'));
}

/**
 * Pads every markdown table the way the project's formatter (biome) writes them: cells
 * padded to the column's width (at least 3), numbers' columns right-aligned, so that
 * README.md stays clean under `biome check`.
 */
export function alignTables(markdown: string): string {
  const lines = markdown.split('\n');
  const out: string[] = [];
  const cellsOf = (line: string) =>
    line
      .trim()
      .replace(/^\|/, '')
      .replace(/(?<!\\)\|$/, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
  const width = (text: string) => [...text].length;
  for (let i = 0; i < lines.length; i++) {
    const isSeparator = (line: string | undefined) =>
      line !== undefined && /^\|(\s*:?-+:?\s*\|)+\s*$/.test(line.trim());
    if (!lines[i]!.trim().startsWith('|') || !isSeparator(lines[i + 1])) {
      out.push(lines[i]!);
      continue;
    }
    const header = cellsOf(lines[i]!);
    const right = cellsOf(lines[i + 1]!).map((c) => c.endsWith(':') && !c.startsWith(':'));
    const rows: string[][] = [];
    let j = i + 2;
    while (j < lines.length && lines[j]!.trim().startsWith('|')) rows.push(cellsOf(lines[j++]!));
    const widths = header.map((h, k) =>
      Math.max(3, width(h), ...rows.map((r) => width(r[k] ?? ''))),
    );
    const render = (cells: string[]) =>
      `| ${widths
        .map((w, k) => {
          const cell = cells[k] ?? '';
          const pad = ' '.repeat(w - width(cell));
          return right[k] ? pad + cell : cell + pad;
        })
        .join(' | ')} |`;
    out.push(render(header));
    out.push(
      `| ${widths.map((w, k) => (right[k] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`,
    );
    for (const row of rows) out.push(render(row));
    i = j - 1;
  }
  return out.join('\n');
}

export const START_MARKER = '<!-- bench:start -->';
export const END_MARKER = '<!-- bench:end -->';

export function readmeSection(results: BenchResults, resultsDir: string): string {
  const section = [
    START_MARKER,
    `Latest \`npm run bench\` (${results.startedAt}, \`${resultsDir}\`; bench/README.md explains each number):`,
    '',
    mainTable(results),
    '',
    targetsTable(results.targets),
    '',
    setupText(results),
    END_MARKER,
  ].join('\n');
  return alignTables(section);
}

/**
 * Replaces the text between the markers in README.md (re-read right before writing, since
 * others edit the file), or appends the section when the markers are missing. Returns what
 * it did. A missing README.md is left alone.
 */
export function updateReadme(path: string, section: string): string {
  if (!existsSync(path)) return `${path} does not exist; section not written`;
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(START_MARKER);
  const end = text.indexOf(END_MARKER);
  let next: string;
  if (start !== -1 && end > start) {
    next = text.slice(0, start) + section + text.slice(end + END_MARKER.length);
  } else {
    next = `${text.replace(/\n*$/, '\n')}\n${section}\n`;
  }
  if (readFileSync(path, 'utf8') !== text) return `${path} changed while writing; try again`;
  writeFileSync(path, next);
  return start !== -1 && end > start
    ? `replaced the section between the markers in ${path}`
    : `appended the section to ${path}`;
}
