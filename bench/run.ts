// npm run bench: the service under wrk against the same SQL under pgbench, on a throwaway
// PostgreSQL cluster. bench/README.md says what runs and what each number means.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { coldStart, measureRoundTrips, scaleCheck } from './lib/checks.js';
import {
  CONNECTIONS,
  type LoadResult,
  measureLoad,
  pgbenchStatements,
  startPgbench,
  startWrk,
  THREADS,
  writePgbenchScripts,
} from './lib/load.js';
import { describeMachine } from './lib/machine.js';
import { log, postmasterPid, prepare, runMain, secondsSinceStart } from './lib/prepare.js';
import {
  type BenchResults,
  type ConfigName,
  type ConfigSummary,
  markdownReport,
  type RoundResult,
  readmeSection,
  type Target,
  updateReadme,
} from './lib/report.js';
import { median, repoRoot, serverEnv, startServer, stopServer, waitReady } from './lib/server.js';
import { postgresBinDir, TASKS_PER_USER, USERS } from './lib/setup.js';

const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '5' },
    duration: { type: 'string', default: '20' },
    'skip-scale': { type: 'boolean', default: false },
    'skip-cold': { type: 'boolean', default: false },
    'no-readme': { type: 'boolean', default: false },
    // Another build of the server (e.g. a copy with a proposed change); default dist/.
    entry: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (options.help) {
  process.stdout.write(`Usage: npm run bench [-- options]   (bench/README.md)
  --rounds N         rounds of (1 worker, 2 workers, pgbench) (default 3; 0: only the other checks)
  --warmup S         warm-up seconds per configuration (default 5)
  --duration S       measured seconds per configuration (default 20)
  --skip-scale       leave out the 1 000 vs 100 000 tasks check
  --skip-cold        leave out the cold-start check
  --no-readme        do not rewrite the bench section of README.md
  --entry PATH       bench another build of the CLI (README.md is then left alone)
`);
  process.exit(0);
}
const ROUNDS = Number(options.rounds);
const WARMUP = Number(options.warmup);
const DURATION = Number(options.duration);

function requireTools(): void {
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
  try {
    statSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'));
  } catch {
    throw new Error('dist/ is missing: run npm run bench (it builds first) or npm run build');
  }
}

async function main(): Promise<void> {
  requireTools();
  const startedAt = new Date();
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const resultsDir = join(repoRoot, 'bench', 'results', stamp);
  mkdirSync(resultsDir, { recursive: true });
  try {
    await measure(startedAt, resultsDir);
  } finally {
    pruneResultsDir(resultsDir);
  }
}

/** Server logs that stayed empty go; a run that wrote nothing leaves no directory. */
function pruneResultsDir(dir: string): void {
  for (const file of readdirSync(dir)) {
    if (file.endsWith('.log') && statSync(join(dir, file)).size === 0) rmSync(join(dir, file));
  }
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

async function measure(startedAt: Date, resultsDir: string): Promise<void> {
  const {
    db,
    workDir,
    port,
    baseUrl,
    dataFile,
    users,
    mint,
    server: setupServer,
  } = await prepare({
    serverLog: join(resultsDir, 'server-setup.log'),
    entry: options.entry,
  });
  const pgPid = () => postmasterPid(db);
  const machine = describeMachine(db.serverVersion);
  const serve = async (workers: number, logName: string) => {
    const server = startServer({
      port,
      workers,
      databaseUrl: db.appUrl,
      cwd: workDir,
      entry: options.entry,
      logFile: join(resultsDir, `${logName}.log`),
    });
    const readyMs = await waitReady(server, port);
    return { server, readyMs };
  };

  log('counting database statements per request (pg_stat_statements)');
  const roundTrips = await measureRoundTrips(db, baseUrl, users[USERS - 1]!);
  for (const r of roundTrips) {
    log(`  ${r.operation} (${r.auth}): ${r.perRequest.toFixed(2)} statements/request`);
  }
  await stopServer(setupServer);

  const pgbenchScripts = writePgbenchScripts(workDir, db.firstTaskId);
  const rounds: RoundResult[] = [];
  const configs: ConfigName[] = ['1 worker', '2 workers', 'pgbench'];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const config of configs) {
      log(`round ${round}/${ROUNDS}: ${config}: ${WARMUP} s warm-up, ${DURATION} s measured`);
      let server: Awaited<ReturnType<typeof serve>> | undefined;
      if (config !== 'pgbench') {
        server = await serve(
          config === '1 worker' ? 1 : 2,
          `server-r${round}-${config.replace(' ', '')}`,
        );
      }
      try {
        const launch = (seconds: number) =>
          config === 'pgbench'
            ? startPgbench({
                cluster: db.cluster,
                seconds,
                scriptArgs: pgbenchScripts,
                logDir: workDir,
              })
            : startWrk({ port, seconds, dataFile });
        const { warmup, measured, usage } = await measureLoad(launch, {
          warmupSeconds: WARMUP,
          seconds: DURATION,
          serverPid: () => server?.server.pid,
          postmasterPid: pgPid,
        });
        rounds.push({ round, config, warmup, measured, usage, serverReadyMs: server?.readyMs });
        log(
          `  ${measured.throughput.toFixed(0)} ${config === 'pgbench' ? 'tps' : 'req/s'}, p50 ${measured.latencyMs.p50.toFixed(1)} ms, p99 ${measured.latencyMs.p99.toFixed(1)} ms, errors ${JSON.stringify(measured.errors)}`,
        );
      } finally {
        if (server) await stopServer(server.server);
      }
    }
  }

  // The checks after the rounds are reported even when one fails: the rounds stand.
  const failures: string[] = [];
  const attempt = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push(`${name}: ${message.split('\n').slice(0, 3).join(' ')}`);
      log(`${name} failed: ${message}`);
      return undefined;
    }
  };

  let scale: BenchResults['scale'];
  if (!options['skip-scale']) {
    log('scale check: one user with 1 000, then 100 000 tasks');
    scale = await attempt('scale check', async () => {
      const scaleServer = await serve(1, 'server-scale');
      try {
        return await scaleCheck(db, baseUrl, port, workDir, { loadSeconds: 5 });
      } finally {
        await stopServer(scaleServer.server);
      }
    });
    if (scale) log(`  list p50 ratio 100k/1k: ${scale.ratioP50.toFixed(2)} sequential`);
  }

  let cold: BenchResults['coldStart'];
  if (!options['skip-cold']) {
    log('cold start: embedded (empty DATA_DIR) and server database');
    cold = await attempt('cold start', () => coldStart(db, workDir, options.entry));
  }

  const summary = summarise(rounds);
  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationSeconds: secondsSinceStart(),
    machine,
    setup: {
      postgresSettings: db.settings,
      pgStatStatements: db.pgStatStatements,
      users: USERS,
      tasksPerUser: TASKS_PER_USER,
      migrateSeconds: db.migrateSeconds,
      seedSeconds: db.seedSeconds,
      tokens: mint,
      serverEnv: redactedEnv(port),
      serverEntry: options.entry ? options.entry : 'dist/src/cli/main.js',
      load: {
        connections: CONNECTIONS,
        threads: THREADS,
        warmupSeconds: WARMUP,
        measuredSeconds: DURATION,
      },
      pgbenchStatements: pgbenchStatements(),
      rounds: ROUNDS,
    },
    rounds,
    summary,
    roundTrips,
    scale,
    coldStart: cold,
    failures,
    targets: [],
  };
  results.targets = evaluateTargets(results);

  const shownDir = relative(repoRoot, resultsDir);
  writeFileSync(join(resultsDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const markdown = markdownReport(results, shownDir);
  writeFileSync(join(resultsDir, 'results.md'), markdown);
  pruneResultsDir(resultsDir);
  process.stdout.write(`\n${markdown}\n`);
  if (options.entry) {
    log("--entry given: README.md left alone (it shows this checkout's build)");
  } else if (!options['no-readme']) {
    log(updateReadme(join(repoRoot, 'README.md'), readmeSection(results, shownDir)));
  }
  log(`results in ${shownDir}/results.json and results.md`);
  if (failures.length > 0) throw new Error(`some checks failed: ${failures.join('; ')}`);
}

function summarise(rounds: RoundResult[]): ConfigSummary[] {
  const byConfig = new Map<ConfigName, RoundResult[]>();
  for (const r of rounds) byConfig.set(r.config, [...(byConfig.get(r.config) ?? []), r]);
  const sum = (records: Record<string, number>[]) => {
    const total: Record<string, number> = {};
    for (const r of records) for (const [k, v] of Object.entries(r)) total[k] = (total[k] ?? 0) + v;
    return total;
  };
  const summaries: ConfigSummary[] = [];
  for (const [config, list] of byConfig) {
    const cores = (group: string) =>
      median(list.map((r) => (r.usage.groups[group]?.cpuSeconds ?? 0) / r.usage.seconds));
    const isServer = config !== 'pgbench';
    summaries.push({
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
    });
  }
  const pgbench = summaries.find((s) => s.config === 'pgbench');
  for (const s of summaries) {
    if (s.config !== 'pgbench' && pgbench) s.ratioToPgbench = s.throughput / pgbench.throughput;
  }
  return summaries;
}

function socketErrors(result: LoadResult): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const [k, v] of Object.entries(result.socketErrors ?? {})) {
    if (v > 0) errors[`socket ${k}`] = v;
  }
  return errors;
}

function evaluateTargets(results: BenchResults): Target[] {
  const targets: Target[] = [];
  const servers = results.summary.filter((s) => s.config !== 'pgbench');
  const one = servers.find((s) => s.config === '1 worker');
  const best = [...servers].sort((a, b) => (b.ratioToPgbench ?? 0) - (a.ratioToPgbench ?? 0))[0];
  if (best?.ratioToPgbench !== undefined) {
    targets.push({
      name: 'requests/s vs pgbench, best --workers',
      target: '≥ 0.45',
      measured: `${best.ratioToPgbench.toFixed(2)} (${best.config})`,
      pass: best.ratioToPgbench >= 0.45,
    });
  }
  if (one?.ratioToPgbench !== undefined) {
    targets.push({
      name: 'requests/s vs pgbench, 1 worker',
      target: '≥ 0.30',
      measured: one.ratioToPgbench.toFixed(2),
      pass: one.ratioToPgbench >= 0.3,
    });
  }
  for (const s of servers) {
    targets.push({
      name: `p99 at ${CONNECTIONS} connections, ${s.config}`,
      target: '≤ 50 ms',
      measured: `${s.latencyMs.p99.toFixed(1)} ms`,
      pass: s.latencyMs.p99 <= 50,
    });
  }
  const errorCount = results.summary.reduce(
    (n, s) => n + Object.values(s.errors).reduce((a, b) => a + b, 0),
    0,
  );
  targets.push({
    name: 'errors (non-2xx, socket errors, failed transactions)',
    target: '0',
    measured: String(errorCount),
    pass: errorCount === 0,
  });
  if (servers.length > 0) {
    const rss = Math.max(...servers.map((s) => s.rssPeakPerProcessMB ?? 0));
    targets.push({
      name: 'RSS per worker (peak)',
      target: '≤ 200 MB',
      measured: `${rss.toFixed(0)} MB`,
      pass: rss <= 200,
    });
  }
  const jwt = results.roundTrips.filter((r) => r.auth === 'jwt');
  if (jwt.length > 0) {
    const worst = Math.max(...jwt.map((r) => r.perRequest));
    targets.push({
      name: 'database round trips per API request (JWT)',
      target: '1',
      measured: jwt.map((r) => `${r.operation}=${Number(r.perRequest.toFixed(2))}`).join(', '),
      pass: worst <= 1,
    });
  }
  if (results.scale) {
    targets.push({
      name: 'list p50, 100 000 vs 1 000 tasks of one user',
      target: '≤ 1.5×',
      measured: `${results.scale.ratioP50.toFixed(2)}×${
        results.scale.ratioUnderLoadP50 === undefined
          ? ''
          : ` (under load ${results.scale.ratioUnderLoadP50.toFixed(2)}×)`
      }`,
      pass: results.scale.ratioP50 <= 1.5,
    });
  }
  return targets;
}

function redactedEnv(port: number): Record<string, string> {
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

runMain(main);
