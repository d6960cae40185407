// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by module.
// Usage: tsx bench/cpuprofile-summary.ts FILE.cpuprofile [--top N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  byFunction: { name: string; where: string; selfMs: number; share: number }[];
  byModule: { module: string; selfMs: number; share: number }[];
}

/** node_modules/<package> (or @scope/package), node:internal, our src file, or V8's own. */
export function moduleOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const src = /\/(dist\/)?(src\/.+)$/.exec(url);
  if (src) return src[2]!.replace(/\.js$/, '');
  return url.replace(/^file:\/\//, '');
}

export function summarise(profile: CpuProfile, top = 30): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; attribute each interval to the sample it ends.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const functions = new Map<string, { name: string; where: string; us: number }>();
  const modules = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const module = moduleOf(url, name);
    const where = url ? `${module}:${lineNumber + 1}` : module;
    const key = `${name}@${where}`;
    const entry = functions.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    modules.set(module, (modules.get(module) ?? 0) + us);
  }
  return {
    totalMs: total / 1000,
    byFunction: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, share: f.us / total })),
    byModule: [...modules.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([module, us]) => ({ module, selfMs: us / 1000, share: us / total })),
  };
}

export function formatSummary(summary: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    `total sampled: ${(summary.totalMs / 1000).toFixed(1)} s`,
    '',
    '| self | share | module |',
    '|---:|---:|---|',
    ...summary.byModule.map((m) => `| ${m.selfMs.toFixed(0)} ms | ${pct(m.share)} | ${m.module} |`),
    '',
    '| self | share | function | where |',
    '|---:|---:|---|---|',
    ...summary.byFunction.map(
      (f) => `| ${f.selfMs.toFixed(0)} ms | ${pct(f.share)} | ${f.name} | ${f.where} |`,
    ),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    options: { top: { type: 'string', default: '30' } },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    process.stderr.write('usage: tsx bench/cpuprofile-summary.ts FILE.cpuprofile [--top N]\n');
    process.exit(1);
  }
  for (const file of positionals) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    process.stdout.write(
      `## ${file}\n\n${formatSummary(summarise(profile, Number(values.top)))}\n`,
    );
  }
}
