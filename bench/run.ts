// npm run bench: the service under wrk against the same SQL under pgbench, on a throwaway
// PostgreSQL cluster. bench/README.md says what runs and what each number means.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type ColdStart,
  coldStart,
  measureRoundTrips,
  type RoundTrips,
  type ScaleCheck,
  scaleCheck,
} from './lib/checks.js';
import {
  CONNECTIONS,
  MIX,
  measureLoad,
  pgbenchStatements,
  startPgbench,
  startWrk,
  THREADS,
  writePgbenchScripts,
} from './lib/load.js';
import { describeMachine, type Machine, requireTools } from './lib/machine.js';
import {
  log,
  type Prepared,
  postmasterPid,
  prepare,
  runMain,
  secondsSinceStart,
} from './lib/prepare.js';
import {
  type BenchResults,
  type ConfigName,
  markdownReport,
  type RoundResult,
  readmeSection,
  updateReadme,
} from './lib/report.js';
import { recordedServerEnv, repoRoot, startServer, stopServer, waitReady } from './lib/server.js';
import { LISTS_PER_USER, TASKS_PER_USER, USERS } from './lib/setup.js';
import { summarise } from './lib/summary.js';
import { evaluateTargets } from './lib/targets.js';

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
    'readme-from': { type: 'string' },
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
  --readme-from DIR  run nothing: write DIR/results.md and README.md's section again from
                     DIR/results.json (e.g. bench/results/<time>, after README.md was rewritten)
`);
  process.exit(0);
}
const ROUNDS = Number(options.rounds);
const WARMUP = Number(options.warmup);
const DURATION = Number(options.duration);
const CONFIGS: ConfigName[] = ['1 worker', '2 workers', 'pgbench'];

async function main(): Promise<void> {
  if (options['readme-from']) {
    const recorded = resolve(options['readme-from']);
    const results: BenchResults = JSON.parse(readFileSync(join(recorded, 'results.json'), 'utf8'));
    writeReports(results, recorded);
    return;
  }
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

/** A prepared cluster with the tokens minted, and where this run's files go. */
interface Bench extends Omit<Prepared, 'server'> {
  resultsDir: string;
  machine: Machine;
  roundTrips: RoundTrips[];
  /** See BenchDatabase: this bench needs a build with lists. */
  firstListId: number;
}

/** The checks after the rounds, each reported even when another fails: the rounds stand. */
interface Checks {
  scale?: ScaleCheck;
  coldStart?: ColdStart;
  failures: string[];
}

async function measure(startedAt: Date, resultsDir: string): Promise<void> {
  const bench = await prepareCluster(resultsDir);
  const rounds = await runRounds(bench);
  const checks = await runChecks(bench);
  const results = summariseRun(bench, startedAt, rounds, checks);
  writeResults(results, resultsDir);
  if (checks.failures.length > 0) {
    throw new Error(`some checks failed: ${checks.failures.join('; ')}`);
  }
}

/** The seeded cluster and the tokens, then the statements per request on the setup server. */
async function prepareCluster(resultsDir: string): Promise<Bench> {
  const { server, ...prepared } = await prepare({
    serverLog: join(resultsDir, 'server-setup.log'),
    entry: options.entry,
  });
  const { firstListId } = prepared.db;
  if (firstListId === undefined) {
    throw new Error(
      "the build under test has no lists, and pgbench and the scale check send this checkout's statements: compare it with bench/compare.ts",
    );
  }
  const machine = describeMachine(prepared.db.serverVersion);
  log('counting database statements per request (pg_stat_statements)');
  const roundTrips = await measureRoundTrips(
    prepared.db,
    prepared.baseUrl,
    prepared.users[USERS - 1]!,
  );
  for (const r of roundTrips) {
    log(`  ${r.operation} (${r.auth}): ${r.perRequest.toFixed(2)} statements/request`);
  }
  await stopServer(server);
  return { ...prepared, resultsDir, machine, roundTrips, firstListId };
}

/** A fresh server of the build under test, its log in the results directory. */
async function serve(bench: Bench, workers: number, logName: string) {
  const server = startServer({
    port: bench.port,
    workers,
    databaseUrl: bench.db.appUrl,
    cwd: bench.workDir,
    entry: options.entry,
    logFile: join(bench.resultsDir, `${logName}.log`),
  });
  const readyMs = await waitReady(server, bench.port);
  return { server, readyMs };
}

async function runRounds(bench: Bench): Promise<RoundResult[]> {
  const pgbenchScripts = writePgbenchScripts(bench.workDir, {
    firstTaskId: bench.db.firstTaskId,
    firstListId: bench.firstListId,
    sharedListsPerUser: bench.db.sharedListsPerUser,
  });
  const rounds: RoundResult[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const config of CONFIGS) rounds.push(await runRound(bench, round, config, pgbenchScripts));
  }
  return rounds;
}

async function runRound(
  bench: Bench,
  round: number,
  config: ConfigName,
  pgbenchScripts: string[],
): Promise<RoundResult> {
  log(`round ${round}/${ROUNDS}: ${config}: ${WARMUP} s warm-up, ${DURATION} s measured`);
  const served =
    config === 'pgbench'
      ? undefined
      : await serve(
          bench,
          config === '1 worker' ? 1 : 2,
          `server-r${round}-${config.replace(' ', '')}`,
        );
  try {
    const launch = (seconds: number) =>
      config === 'pgbench'
        ? startPgbench({
            cluster: bench.db.cluster,
            seconds,
            scriptArgs: pgbenchScripts,
            logDir: bench.workDir,
          })
        : startWrk({ port: bench.port, seconds, dataFile: bench.dataFile });
    const { warmup, measured, usage } = await measureLoad(launch, {
      warmupSeconds: WARMUP,
      seconds: DURATION,
      serverPid: () => served?.server.pid,
      postmasterPid: () => postmasterPid(bench.db),
    });
    log(
      `  ${measured.throughput.toFixed(0)} ${config === 'pgbench' ? 'tps' : 'req/s'}, p50 ${measured.latencyMs.p50.toFixed(1)} ms, p99 ${measured.latencyMs.p99.toFixed(1)} ms, errors ${JSON.stringify(measured.errors)}`,
    );
    return { round, config, warmup, measured, usage, serverReadyMs: served?.readyMs };
  } finally {
    if (served) await stopServer(served.server);
  }
}

async function runChecks(bench: Bench): Promise<Checks> {
  const checks: Checks = { failures: [] };
  const attempt = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      checks.failures.push(`${name}: ${message.split('\n').slice(0, 3).join(' ')}`);
      log(`${name} failed: ${message}`);
      return undefined;
    }
  };
  if (!options['skip-scale']) {
    log('scale check: one user with 1 000, then 100 000 tasks');
    checks.scale = await attempt('scale check', async () => {
      const scaleServer = await serve(bench, 1, 'server-scale');
      try {
        return await scaleCheck(
          bench.db,
          bench.baseUrl,
          bench.port,
          bench.workDir,
          bench.users[0]!,
          {
            loadSeconds: 5,
          },
        );
      } finally {
        await stopServer(scaleServer.server);
      }
    });
    if (checks.scale) {
      log(
        `  list p50 ratio 100k/1k: ${checks.scale.ratioP50.toFixed(2)} sequential, one list ${checks.scale.ratioOneListP50?.toFixed(2)}`,
      );
    }
  }
  if (!options['skip-cold']) {
    log('cold start: embedded (empty DATA_DIR) and server database');
    checks.coldStart = await attempt('cold start', () =>
      coldStart(bench.db, bench.workDir, options.entry),
    );
  }
  return checks;
}

function summariseRun(
  bench: Bench,
  startedAt: Date,
  rounds: RoundResult[],
  checks: Checks,
): BenchResults {
  const { db } = bench;
  const measured = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationSeconds: secondsSinceStart(),
    machine: bench.machine,
    setup: {
      postgresSettings: db.settings,
      pgStatStatements: db.pgStatStatements,
      users: USERS,
      tasksPerUser: TASKS_PER_USER,
      listsPerUser: LISTS_PER_USER,
      sharedListsPerUser: db.sharedListsPerUser,
      migrateSeconds: db.migrateSeconds,
      seedSeconds: db.seedSeconds,
      tokens: bench.mint,
      serverEnv: recordedServerEnv(bench.port),
      serverEntry: options.entry ?? 'dist/src/cli/main.js',
      load: {
        connections: CONNECTIONS,
        threads: THREADS,
        warmupSeconds: WARMUP,
        measuredSeconds: DURATION,
      },
      pgbenchStatements: pgbenchStatements(),
      mix: MIX,
      rounds: ROUNDS,
    },
    rounds,
    summary: summarise(rounds),
    roundTrips: bench.roundTrips,
    scale: checks.scale,
    coldStart: checks.coldStart,
    failures: checks.failures,
  };
  return { ...measured, targets: evaluateTargets(measured) };
}

/** results.json, results.md and README.md's section; the report on stdout. */
function writeResults(results: BenchResults, resultsDir: string): void {
  writeFileSync(join(resultsDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const markdown = writeReports(results, resultsDir);
  pruneResultsDir(resultsDir);
  process.stdout.write(`\n${markdown}\n`);
  log(`results in ${relative(repoRoot, resultsDir)}/results.json and results.md`);
}

/** results.md beside results.json, and README.md's section unless told not to; the markdown. */
function writeReports(results: BenchResults, resultsDir: string): string {
  const shownDir = relative(repoRoot, resultsDir);
  const markdown = markdownReport(results, shownDir);
  writeFileSync(join(resultsDir, 'results.md'), markdown);
  if (options.entry) {
    log("--entry given: README.md left alone (it shows this checkout's build)");
  } else if (!options['no-readme']) {
    log(updateReadme(join(repoRoot, 'README.md'), readmeSection(results, shownDir)));
  }
  return markdown;
}

runMain(main);
