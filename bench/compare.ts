// A/B/… of builds of the server under the bench's load, on one seeded cluster: each round
// runs every build, in an order rotated from round to round, and the report gives, besides
// requests/s and latency, the CPU time per request of the server and of PostgreSQL, which
// other load on the machine disturbs much less than requests/s.
// Usage: tsx bench/compare.ts --variant before=/tmp/a/dist/src/cli/main.js
//          --variant after=/tmp/b/dist/src/cli/main.js [--variant …]
//          (a variant may add node flags and environment: 'pool32=current|DB_POOL_MAX=32',
//          'semi32=current|--max-semi-space-size=32', or a CPU profile of each server
//          process: 'profiled=current|--cpu-prof|--cpu-prof-dir=/tmp/profile')
//          [--rounds 4] [--seconds 15] [--warmup 5] [--workers 1]
// (a build of another tree: copy src/, migrations/, package.json, tsconfig*.json, link
// node_modules, change it, npx tsc -p tsconfig.build.json; bench/README.md shows how)
import { parseArgs } from 'node:util';
import { type LoadResult, measureLoad, startWrk } from './lib/load.js';
import { requireTools } from './lib/machine.js';
import { log, postmasterPid, prepare, runMain } from './lib/prepare.js';
import { cliEntry, median, startServer, stopServer, waitReady } from './lib/server.js';

const { values } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '5' },
    workers: { type: 'string', default: '1' },
  },
});

interface Sample {
  label: string;
  load: LoadResult;
  serverCpuMsPerRequest: number;
  postgresCpuMsPerRequest: number;
  otherCores: number;
  rssPeakMB: number;
}

runMain(async () => {
  requireTools();
  // LABEL=ENTRY[|--node-flag|NAME=value…]; ENTRY "current" is this checkout's dist/.
  const variants = (values.variant ?? []).map((v) => {
    const at = v.indexOf('=');
    const [entry = '', ...extras] = (at > 0 ? v.slice(at + 1) : v).split('|');
    const env = Object.fromEntries(
      extras.filter((x) => /^[A-Z_][A-Z0-9_]*=/.test(x)).map((x) => x.split(/=(.*)/s).slice(0, 2)),
    ) as Record<string, string>;
    return {
      label: at > 0 ? v.slice(0, at) : v,
      entry: entry === 'current' ? cliEntry : entry,
      nodeArgs: extras.filter((x) => x.startsWith('--')),
      env,
    };
  });
  if (variants.length < 2) {
    throw new Error('give at least two --variant LABEL=ENTRY (ENTRY a built dist/src/cli/main.js)');
  }
  const { db, workDir, port, dataFile, server: setupServer } = await prepare();
  await stopServer(setupServer);
  const samples: Sample[] = [];
  const rounds = Number(values.rounds);
  for (let round = 0; round < rounds; round++) {
    // Rotated (and reversed every other round): drift during the run (table growth, other
    // load) falls on every variant alike.
    const rotated = variants.map((_, i) => variants[(i + round) % variants.length]!);
    const order = round % 2 === 0 ? rotated : rotated.reverse();
    for (const variant of order) {
      const server = startServer({
        port,
        databaseUrl: db.appUrl,
        cwd: workDir,
        entry: variant.entry,
        nodeArgs: variant.nodeArgs,
        env: variant.env,
        workers: Number(values.workers),
      });
      try {
        await waitReady(server, port);
        const { measured: load, usage } = await measureLoad(
          (seconds) => startWrk({ port, seconds, dataFile }),
          {
            warmupSeconds: Number(values.warmup),
            seconds: Number(values.seconds),
            serverPid: () => server.pid,
            postmasterPid: () => postmasterPid(db),
          },
        );
        const ours =
          usage.groups.server!.cpuSeconds +
          usage.groups.postgres!.cpuSeconds +
          usage.groups.loadGenerator!.cpuSeconds;
        const sample: Sample = {
          label: variant.label,
          load,
          serverCpuMsPerRequest: (usage.groups.server!.cpuSeconds * 1000) / load.requests,
          postgresCpuMsPerRequest: (usage.groups.postgres!.cpuSeconds * 1000) / load.requests,
          otherCores: (usage.machineBusySeconds - ours) / usage.seconds,
          rssPeakMB: usage.groups.server!.rssPeakProcess / 2 ** 20,
        };
        samples.push(sample);
        log(
          `round ${round + 1} ${variant.label}: ${load.throughput.toFixed(0)} req/s, p50 ${load.latencyMs.p50.toFixed(1)} ms, p99 ${load.latencyMs.p99.toFixed(1)} ms, server ${sample.serverCpuMsPerRequest.toFixed(3)} ms CPU/req, postgres ${sample.postgresCpuMsPerRequest.toFixed(3)} ms CPU/req, RSS peak ${sample.rssPeakMB.toFixed(0)} MB, other load ${sample.otherCores.toFixed(2)} cores, errors ${JSON.stringify(load.errors)}`,
        );
      } finally {
        await stopServer(server);
      }
    }
  }
  const rows = variants.map((v) => {
    const mine = samples.filter((s) => s.label === v.label);
    return {
      label: v.label,
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
  const change = (x: number, y: number) =>
    `${y >= x ? '+' : ''}${(((y - x) / x) * 100).toFixed(0)} %`;
  process.stdout.write(
    [
      '',
      `| variant | req/s | p50 ms | p99 ms | server CPU ms/req | postgres CPU ms/req | RSS peak MB (highest) | other load (cores) |`,
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map(
        (r, i) =>
          `| ${r.label} | ${r.rps.toFixed(0)}${i ? ` (${change(base.rps, r.rps)})` : ''} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.server.toFixed(3)}${i ? ` (${change(base.server, r.server)})` : ''} | ${r.postgres.toFixed(3)} | ${r.rss.toFixed(0)} | ${r.other.toFixed(2)} |`,
      ),
      '',
      `medians of ${rounds} rounds each, ${values.seconds} s measured after ${values.warmup} s warm-up, --workers ${values.workers}`,
      '',
    ].join('\n'),
  );
});
