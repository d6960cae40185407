// CPU profile of the server under the bench's load: one worker run with node --cpu-prof,
// the wrk mix for a warm-up and a measured window, then the top self-time functions.
// Usage: tsx bench/profile.ts [--seconds 20] [--entry path/to/dist/src/cli/main.js] [--out DIR]
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatSummary, summarise } from './cpuprofile-summary.js';
import { startWrk } from './lib/load.js';
import { log, prepare, runMain } from './lib/prepare.js';
import { repoRoot, startServer, stopServer, waitReady } from './lib/server.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    entry: { type: 'string' },
    out: { type: 'string' },
  },
});

runMain(async () => {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const out = values.out ?? join(repoRoot, 'bench', '.work', `profile-${stamp}`);
  mkdirSync(out, { recursive: true });
  const { db, workDir, port, dataFile, server: setupServer } = await prepare();
  await stopServer(setupServer);

  const server = startServer({
    port,
    databaseUrl: db.appUrl,
    cwd: workDir,
    entry: values.entry,
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${out}`],
  });
  await waitReady(server, port);
  log(
    `profiling ${values.entry ?? 'dist/src/cli/main.js'}: ${values.warmup} s warm-up, ${values.seconds} s measured`,
  );
  await startWrk({ port, seconds: Number(values.warmup), dataFile }).result;
  const result = await startWrk({ port, seconds: Number(values.seconds), dataFile }).result;
  log(
    `${result.throughput.toFixed(0)} req/s, p50 ${result.latencyMs.p50.toFixed(1)} ms, p99 ${result.latencyMs.p99.toFixed(1)} ms, errors ${JSON.stringify(result.errors)}`,
  );
  // A clean exit (SIGTERM → close → exit) is what makes node write the profile.
  await stopServer(server);
  const files = readdirSync(out).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile written in ${out}`);
  for (const file of files) {
    const summary = summarise(JSON.parse(readFileSync(join(out, file), 'utf8')), 40);
    const text = `## ${file}\n\n${formatSummary(summary)}\n`;
    writeFileSync(join(out, `${file}.md`), text);
    process.stdout.write(text);
  }
  log(`profile and summary in ${out}`);
});
