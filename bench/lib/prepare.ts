import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/postgres-cluster.js';
import { killAll, type Spawned } from './processes.js';
import { startServer, waitReady } from './server.js';
import {
  type BenchDatabase,
  type BenchUser,
  createBenchDatabase,
  type MintReport,
  mintUsers,
  writeDataFile,
} from './setup.js';

// What every bench script needs first: the cluster, seeded; a port for the servers (fixed,
// since the JWTs name it as issuer and audience); one JWT per user in the wrk data file.
// (compare.ts prepares one such cluster per schema.) And the cleanup that runs whatever
// happens, Ctrl-C included.

export const log = (line: string) => process.stderr.write(`[bench ${elapsed()}] ${line}\n`);
const began = performance.now();
export const elapsed = () => `${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s`;
export const secondsSinceStart = () => (performance.now() - began) / 1000;

const databases: BenchDatabase[] = [];
const workDirs: string[] = [];
let cleaning: Promise<void> | undefined;
let interrupted = false;

/** Stops every child, destroys the clusters, removes the work directories; once, whoever asks. */
export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await killAll();
    for (const database of databases) await database.cluster.destroy();
    for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
  })();
  return cleaning;
}

/** SIGINT / SIGTERM: stop servers and load, remove the cluster, exit 130. */
export function cleanupOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      log(`${signal}: stopping servers and load, removing the cluster`);
      cleanup().finally(() => process.exit(130));
    });
  }
}

/** Runs main, always cleans up, exits 0 or 1 (130 after a signal). */
export function runMain(main: () => Promise<void>): void {
  cleanupOnSignals();
  main()
    .then(
      () => 0,
      (error: unknown) => {
        // After Ctrl-C the load generators die under main: that is no failure to report.
        if (interrupted) return 130;
        log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        return 1;
      },
    )
    .then(async (code) => {
      await cleanup();
      process.exit(code);
    });
}

export interface Prepared {
  db: BenchDatabase;
  workDir: string;
  port: number;
  baseUrl: string;
  dataFile: string;
  users: BenchUser[];
  mint: MintReport;
  /** The 1-worker server the tokens were minted through, still running. */
  server: Spawned;
}

export async function prepare(
  options: { serverLog?: string; entry?: string } = {},
): Promise<Prepared> {
  const workDir = mkdtempSync(join(tmpdir(), 'todo-bench-'));
  workDirs.push(workDir);
  log(`creating a PostgreSQL cluster, migrating, seeding with ${options.entry ?? 'dist/'}`);
  const db = await createBenchDatabase(log, workDir, options.entry);
  databases.push(db);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = startServer({
    port,
    databaseUrl: db.appUrl,
    cwd: workDir,
    entry: options.entry,
    logFile: options.serverLog,
  });
  await waitReady(server, port);
  log('minting one JWT per user');
  const { users, report: mint } = await mintUsers(db, baseUrl);
  const dataFile = join(workDir, 'users.txt');
  writeDataFile(dataFile, users);
  log(
    `tokens: ${mint.signedIn} real sign-ins (median ${mint.signInMsMedian.toFixed(0)} ms), ${mint.fromSessionRows} via session rows + /api/auth/token; ${mint.seconds.toFixed(1)} s`,
  );
  return { db, workDir, port, baseUrl, dataFile, users, mint, server };
}

/** The postmaster's pid (first line of postmaster.pid). */
export function postmasterPid(db: BenchDatabase): number | undefined {
  try {
    const text = readFileSync(join(db.cluster.dataDir, 'postmaster.pid'), 'utf8');
    return Number(text.split('\n')[0]) || undefined;
  } catch {
    return undefined;
  }
}
