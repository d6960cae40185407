// Rewrites the bench section of README.md (and results.md) from a recorded results.json,
// without running anything: for when README.md was rewritten after the last run.
// Usage: tsx bench/readme.ts [bench/results/<time>]   (default: the latest)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type BenchResults, markdownReport, readmeSection, updateReadme } from './lib/report.js';
import { repoRoot } from './lib/server.js';

const resultsRoot = join(repoRoot, 'bench', 'results');
const dir =
  process.argv[2] ??
  join(
    resultsRoot,
    readdirSync(resultsRoot)
      .filter((d) => /^\d{8}T\d{6}Z$/.test(d))
      .sort()
      .at(-1) ?? '',
  );
const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as BenchResults;
results.failures ??= [];
const shown = relative(repoRoot, dir);
writeFileSync(join(dir, 'results.md'), markdownReport(results, shown));
process.stderr.write(
  `${updateReadme(join(repoRoot, 'README.md'), readmeSection(results, shown))}\n`,
);
