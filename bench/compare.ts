// A/B/… of builds of the server under the bench's load: each round runs every build, in an
// order rotated from round to round, and the report gives, besides requests/s, latency and
// errors, the CPU time per request of the server and of PostgreSQL, which other load on the
// machine disturbs much less than requests/s. Builds with the same migrations share one
// seeded cluster; a build with other migrations (from before a schema change) gets a cluster
// of its own, migrated and seeded by its own CLI.
// Usage: tsx bench/compare.ts --variant before=/tmp/a/dist/src/cli/main.js
//          --variant after=/tmp/b/dist/src/cli/main.js [--variant …]
//          (after the entry and a |: node flags, environment variables, or workload=MODE, a
//          mode of bench/workload.lua: 'pool32=current|DB_POOL_MAX=32',
//          'semi32=current|--max-semi-space-size=32', 'old-mix=current|workload=mix-without-lists',
//          'no-shared-pages=current|workload=mix-without-sharing',
//          or a CPU profile of each server process: 'profiled=current|--cpu-prof|--cpu-prof-dir=/tmp/profile')
//          [--rounds 4] [--seconds 15] [--warmup 5] [--workers 1 | --workers 1,2] [--no-record]
// (a build of another tree: copy src/, migrations/, package.json, tsconfig*.json, link
// node_modules, change it, npx tsc -p tsconfig.build.json; bench/README.md shows how)
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type LoadResult, measureLoad, startWrk, type WorkloadMode } from './lib/load.js';
import { describeMachine, machineLine, requireTools } from './lib/machine.js';
import { log, type Prepared, postmasterPid, prepare, runMain } from './lib/prepare.js';
import { cliEntry, median, repoRoot, startServer, stopServer, waitReady } from './lib/server.js';
import { query } from './lib/setup.js';

const { values } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '5' },
    workers: { type: 'string', default: '1' },
    'no-record': { type: 'boolean', default: false },
  },
});

const workloadModes: readonly WorkloadMode[] = [
  'mix',
  'mix-without-sharing',
  'mix-without-lists',
  'list',
];

interface Variant {
  label: string;
  entry: string;
  nodeArgs: string[];
  env: Record<string, string>;
  workload: WorkloadMode;
  /** Digest of the migrations the build applies: builds that share it share a cluster. */
  migrations: string;
}

/** LABEL=ENTRY[|--node-flag|NAME=value|workload=MODE…]; ENTRY "current" is this checkout's dist/. */
function parseVariant(text: string): Variant {
  const at = text.indexOf('=');
  const [entryText = '', ...extras] = (at > 0 ? text.slice(at + 1) : text).split('|');
  const entry = entryText === 'current' ? cliEntry : resolve(entryText);
  const env: Record<string, string> = {};
  const nodeArgs: string[] = [];
  let workload: WorkloadMode = 'mix';
  for (const extra of extras) {
    const [name = '', value = ''] = extra.split(/=(.*)/s);
    const mode = name === 'workload' ? workloadModes.find((m) => m === value) : undefined;
    if (extra.startsWith('--')) nodeArgs.push(extra);
    else if (mode) workload = mode;
    else if (/^[A-Z_][A-Z0-9_]*$/.test(name) && extra.includes('=')) env[name] = value;
    else throw new Error(`--variant ${text}: cannot read "${extra}"`);
  }
  return {
    label: at > 0 ? text.slice(0, at) : text,
    entry,
    nodeArgs,
    env,
    workload,
    migrations: migrationsDigest(entry),
  };
}

/**
 * The migrations a build of the CLI applies, found as its migrator finds them (the first
 * directory above the entry with migrations/ and package.json), as one digest.
 */
function migrationsDigest(entry: string): string {
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const migrations = join(dir, 'migrations');
    if (!existsSync(migrations) || !existsSync(join(dir, 'package.json'))) continue;
    const hash = createHash('sha256');
    for (const file of readdirSync(migrations).sort()) {
      hash
        .update(file)
        .update('\0')
        .update(readFileSync(join(migrations, file)))
        .update('\0');
    }
    return hash.digest('hex').slice(0, 12);
  }
  throw new Error(`no migrations directory above ${entry}`);
}

interface Sample {
  label: string;
  workers: number;
  round: number;
  load: LoadResult;
  serverCpuMsPerRequest: number;
  postgresCpuMsPerRequest: number;
  otherCores: number;
  rssPeakMB: number;
  /** Mean execution time (µs) of each database function the server called, when known. */
  statementMicros: Record<string, number>;
}

/** Non-2xx responses by status and socket errors, counted. */
const errorsOf = (load: LoadResult): Record<string, number> =>
  Object.fromEntries(
    Object.entries({ ...load.errors, ...load.socketErrors }).filter(([, n]) => n > 0),
  );

const errorsText = (samples: Sample[]) => {
  const total: Record<string, number> = {};
  for (const s of samples) {
    for (const [k, n] of Object.entries(errorsOf(s.load))) total[k] = (total[k] ?? 0) + n;
  }
  const entries = Object.entries(total);
  return entries.length === 0 ? '0' : entries.map(([k, n]) => `${n}× ${k}`).join(', ');
};

runMain(async () => {
  requireTools();
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const variants = (values.variant ?? []).map(parseVariant);
  if (variants.length < 2) {
    throw new Error('give at least two --variant LABEL=ENTRY (ENTRY a built dist/src/cli/main.js)');
  }
  const workerCounts = values.workers.split(',').map(Number);
  if (!workerCounts.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error('--workers takes worker counts: 1, or 1,2');
  }

  // One seeded cluster per set of migrations, migrated and seeded by the first build with it.
  const clusters = new Map<string, Prepared>();
  for (const variant of variants) {
    if (clusters.has(variant.migrations)) continue;
    const prepared = await prepare({ entry: variant.entry });
    await stopServer(prepared.server);
    clusters.set(variant.migrations, prepared);
  }
  const clusterNumber = (v: Variant) => [...clusters.keys()].indexOf(v.migrations) + 1;
  for (const v of variants) {
    const { firstListId, sharedListsPerUser } = clusters.get(v.migrations)!.db;
    const data =
      firstListId === undefined
        ? 'no lists'
        : sharedListsPerUser
          ? `${sharedListsPerUser} shared lists per user`
          : 'no shared lists (their pages read own lists)';
    log(`${v.label}: cluster ${clusterNumber(v)}, workload ${v.workload}, ${data}`);
  }

  const samples: Sample[] = [];
  const rounds = Number(values.rounds);
  for (let round = 0; round < rounds; round++) {
    // Rotated by one each round, so that each variant runs first as often as the others:
    // drift during the run (table growth, other load) falls on every variant alike.
    const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
    for (const workers of workerCounts) {
      for (const variant of order) {
        const sample = await measureVariant(variant, clusters.get(variant.migrations)!, workers);
        samples.push({ ...sample, round: round + 1 });
        log(
          `round ${round + 1} ${variant.label}, ${workers} worker(s): ${sample.load.throughput.toFixed(0)} req/s, p50 ${sample.load.latencyMs.p50.toFixed(1)} ms, p99 ${sample.load.latencyMs.p99.toFixed(1)} ms, server ${sample.serverCpuMsPerRequest.toFixed(3)} ms CPU/req, postgres ${sample.postgresCpuMsPerRequest.toFixed(3)} ms CPU/req, RSS peak ${sample.rssPeakMB.toFixed(0)} MB, other load ${sample.otherCores.toFixed(2)} cores, errors ${JSON.stringify(errorsOf(sample.load))}`,
        );
      }
    }
  }

  const table = `${summaryTable(variants, workerCounts, samples)}\n\n${statementTable(variants, workerCounts, samples)}`;
  const note = `medians of ${rounds} rounds each, ${values.seconds} s measured after ${values.warmup} s warm-up; load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`;
  process.stdout.write(`\n${table}\n\n${note}\n\n`);
  if (!values['no-record']) {
    const serverVersion = [...clusters.values()][0]!.db.serverVersion;
    record(startedAt, {
      machine: describeMachine(serverVersion),
      loadAverageAtStart: loadAtStart,
      options: {
        rounds,
        seconds: Number(values.seconds),
        warmup: Number(values.warmup),
        workers: workerCounts,
      },
      variants: variants.map((v) => ({ ...v, cluster: clusterNumber(v) })),
      samples,
      table,
      note,
    });
  }
});

async function measureVariant(
  variant: Variant,
  cluster: Prepared,
  workers: number,
): Promise<Omit<Sample, 'round'>> {
  const server = startServer({
    port: cluster.port,
    databaseUrl: cluster.db.appUrl,
    cwd: cluster.workDir,
    entry: variant.entry,
    nodeArgs: variant.nodeArgs,
    env: variant.env,
    workers,
  });
  try {
    await waitReady(server, cluster.port);
    if (cluster.db.pgStatStatements) {
      await query(cluster.db.adminUrl, 'SELECT pg_stat_statements_reset()');
    }
    const { measured: load, usage } = await measureLoad(
      (seconds) =>
        startWrk({
          port: cluster.port,
          seconds,
          dataFile: cluster.dataFile,
          mode: variant.workload,
        }),
      {
        warmupSeconds: Number(values.warmup),
        seconds: Number(values.seconds),
        serverPid: () => server.pid,
        postmasterPid: () => postmasterPid(cluster.db),
      },
    );
    const ours =
      usage.groups.server!.cpuSeconds +
      usage.groups.postgres!.cpuSeconds +
      usage.groups.loadGenerator!.cpuSeconds;
    return {
      label: variant.label,
      workers,
      load,
      serverCpuMsPerRequest: (usage.groups.server!.cpuSeconds * 1000) / load.requests,
      postgresCpuMsPerRequest: (usage.groups.postgres!.cpuSeconds * 1000) / load.requests,
      otherCores: (usage.machineBusySeconds - ours) / usage.seconds,
      rssPeakMB: usage.groups.server!.rssPeakProcess / 2 ** 20,
      statementMicros: cluster.db.pgStatStatements ? await statementMicros(cluster) : {},
    };
  } finally {
    await stopServer(server);
  }
}

/** Each variant's median time in each database function (µs per call). */
function statementTable(variants: Variant[], workerCounts: number[], samples: Sample[]): string {
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.statementMicros)))].sort();
  if (names.length === 0) return '(no pg_stat_statements: no time per database function)';
  const lines = [
    `| variant | workers | ${names.map((n) => `${n} µs`).join(' | ')} |`,
    `|---|---:|${names.map(() => '---:').join('|')}|`,
  ];
  for (const workers of workerCounts) {
    for (const v of variants) {
      const mine = samples.filter((s) => s.label === v.label && s.workers === workers);
      const cells = names.map((name) => {
        const values = mine.flatMap((s) => s.statementMicros[name] ?? []);
        return values.length ? median(values).toFixed(0) : '–';
      });
      lines.push(`| ${v.label} | ${workers} | ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/**
 * What PostgreSQL spent on each function the server calls (task_list, task_create…), as
 * its mean execution time over the window (warm-up included): wall time in the database,
 * so a wait on a lock counts too. A function called with different argument lists (a
 * page of one list and of all) is one entry, weighted by its calls.
 */
async function statementMicros(cluster: Prepared): Promise<Record<string, number>> {
  const rows = await query<{ name: string; micros: number }>(
    cluster.db.adminUrl,
    `SELECT substring(query FROM 'FROM\\s+(\\w+)\\s*\\(') AS name,
            1000 * sum(total_exec_time) / sum(calls) AS micros
       FROM pg_stat_statements
      WHERE query ~ '^SELECT \\* FROM \\w+\\(' AND calls >= 100
      GROUP BY 1 ORDER BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.micros)]));
}

/** One row per variant and worker count, the first variant's row the base of the changes. */
function summaryTable(variants: Variant[], workerCounts: number[], samples: Sample[]): string {
  const change = (x: number, y: number) =>
    `${y >= x ? '+' : ''}${(((y - x) / x) * 100).toFixed(0)} %`;
  const lines = [
    '| variant | workers | req/s | p50 ms | p99 ms | errors | server CPU ms/req | postgres CPU ms/req | RSS peak MB (highest) | other load (cores) |',
    '|---|---:|---:|---:|---:|---|---:|---:|---:|---:|',
  ];
  for (const workers of workerCounts) {
    const rows = variants.map((v) => {
      const mine = samples.filter((s) => s.label === v.label && s.workers === workers);
      return {
        label: v.label,
        errors: errorsText(mine),
        rps: median(mine.map((s) => s.load.throughput)),
        p50: median(mine.map((s) => s.load.latencyMs.p50)),
        p99: median(mine.map((s) => s.load.latencyMs.p99)),
        server: median(mine.map((s) => s.serverCpuMsPerRequest)),
        postgres: median(mine.map((s) => s.postgresCpuMsPerRequest)),
        other: median(mine.map((s) => s.otherCores)),
        rss: Math.max(...mine.map((s) => s.rssPeakMB)),
      };
    });
    const base = rows[0]!;
    lines.push(
      ...rows.map(
        (r, i) =>
          `| ${r.label} | ${workers} | ${r.rps.toFixed(0)}${i ? ` (${change(base.rps, r.rps)})` : ''} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} | ${r.server.toFixed(3)}${i ? ` (${change(base.server, r.server)})` : ''} | ${r.postgres.toFixed(3)}${i ? ` (${change(base.postgres, r.postgres)})` : ''} | ${r.rss.toFixed(0)} | ${r.other.toFixed(2)} |`,
      ),
    );
  }
  return lines.join('\n');
}

/** A path inside the checkout relative to it, any other one absolute. */
const shownPath = (path: string) => {
  const inside = relative(repoRoot, path);
  return inside.startsWith('..') ? path : inside;
};

/** bench/results/<UTC time>/compare.json (every sample) and compare.md, as npm run bench records. */
function record(
  startedAt: Date,
  results: {
    machine: ReturnType<typeof describeMachine>;
    loadAverageAtStart: number[];
    options: { rounds: number; seconds: number; warmup: number; workers: number[] };
    variants: (Variant & { cluster: number })[];
    samples: Sample[];
    table: string;
    note: string;
  },
): void {
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const dir = join(repoRoot, 'bench', 'results', stamp);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'compare.json'), `${JSON.stringify(results, null, 2)}\n`);
  const variantLines = results.variants.map(
    (v) =>
      `- **${v.label}**: \`${shownPath(v.entry)}\`${v.nodeArgs.length ? `, node ${v.nodeArgs.join(' ')}` : ''}${
        Object.keys(v.env).length
          ? `, ${Object.entries(v.env)
              .map(([k, x]) => `${k}=${x}`)
              .join(' ')}`
          : ''
      }; workload \`${v.workload}\`; cluster ${v.cluster} (migrations ${v.migrations})`,
  );
  const roundLines = results.samples.map(
    (s) =>
      `| ${s.round} | ${s.label} | ${s.workers} | ${s.load.throughput.toFixed(0)} | ${s.load.latencyMs.p50.toFixed(1)} | ${s.load.latencyMs.p99.toFixed(1)} | ${errorsText([s])} | ${s.serverCpuMsPerRequest.toFixed(3)} | ${s.postgresCpuMsPerRequest.toFixed(3)} | ${s.otherCores.toFixed(2)} |`,
  );
  const markdown = [
    `# Comparison ${startedAt.toISOString()}`,
    '',
    `Machine: ${machineLine(results.machine)}.`,
    '',
    ...variantLines,
    '',
    results.table,
    '',
    results.note,
    '',
    '## Rounds',
    '',
    '| round | variant | workers | req/s | p50 ms | p99 ms | errors | server CPU ms/req | postgres CPU ms/req | other load (cores) |',
    '|---:|---|---:|---:|---:|---:|---|---:|---:|---:|',
    ...roundLines,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'compare.md'), markdown);
  log(`results in ${relative(repoRoot, dir)}/compare.json and compare.md`);
}
