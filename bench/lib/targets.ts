import { CONNECTIONS } from './load.js';
import type { BenchResults, ConfigSummary, Target } from './report.js';

// The figures the service is held to: one declared row per target (its name, its threshold,
// how the run's results give the figure), and the evaluator that checks a run against them.

type Measured = Pick<BenchResults, 'summary' | 'roundTrips' | 'scale'>;

type Threshold = { atLeast: number } | { atMost: number } | { exactly: number };

interface Figure {
  /** What the figure is of, added to the target's name when one target gives several. */
  of?: string;
  value: number;
  shown: string;
}

interface TargetRule {
  name: string;
  threshold: Threshold;
  unit?: string;
  /** The run's figures for this target; none when the run did not measure it. */
  measure: (results: Measured) => Figure[];
}

const servers = (results: Measured): ConfigSummary[] =>
  results.summary.filter((s) => s.config !== 'pgbench');

/** Each server configuration's requests/s over pgbench's transactions/s. */
const ratios = (results: Measured) =>
  servers(results).flatMap((s) =>
    s.ratioToPgbench === undefined ? [] : [{ config: s.config, ratio: s.ratioToPgbench }],
  );

const TARGETS: TargetRule[] = [
  {
    name: 'requests/s vs pgbench, best --workers',
    threshold: { atLeast: 0.45 },
    measure: (results) =>
      ratios(results)
        .sort((a, b) => b.ratio - a.ratio)
        .slice(0, 1)
        .map((best) => ({ value: best.ratio, shown: `${best.ratio.toFixed(2)} (${best.config})` })),
  },
  {
    name: 'requests/s vs pgbench, 1 worker',
    threshold: { atLeast: 0.3 },
    measure: (results) =>
      ratios(results)
        .filter((r) => r.config === '1 worker')
        .map((r) => ({ value: r.ratio, shown: r.ratio.toFixed(2) })),
  },
  {
    name: `p99 at ${CONNECTIONS} connections`,
    threshold: { atMost: 50 },
    unit: ' ms',
    measure: (results) =>
      servers(results).map((s) => ({
        of: s.config,
        value: s.latencyMs.p99,
        shown: `${s.latencyMs.p99.toFixed(1)} ms`,
      })),
  },
  {
    name: 'errors (non-2xx, socket errors, failed transactions)',
    threshold: { exactly: 0 },
    measure: (results) => {
      const count = results.summary.reduce(
        (n, s) => n + Object.values(s.errors).reduce((a, b) => a + b, 0),
        0,
      );
      return [{ value: count, shown: String(count) }];
    },
  },
  {
    name: 'RSS per worker (peak)',
    threshold: { atMost: 200 },
    unit: ' MB',
    measure: (results) => {
      if (servers(results).length === 0) return [];
      const rss = Math.max(...servers(results).map((s) => s.rssPeakPerProcessMB ?? 0));
      return [{ value: rss, shown: `${rss.toFixed(0)} MB` }];
    },
  },
  {
    name: 'database round trips per API request (JWT)',
    threshold: { atMost: 1 },
    measure: (results) => {
      const jwt = results.roundTrips.filter((r) => r.auth === 'jwt');
      if (jwt.length === 0) return [];
      const shown = jwt.map((r) => `${r.operation}=${Number(r.perRequest.toFixed(2))}`).join(', ');
      return [{ value: Math.max(...jwt.map((r) => r.perRequest)), shown }];
    },
  },
  {
    name: 'list p50, 100 000 vs 1 000 tasks of one user',
    threshold: { atMost: 1.5 },
    unit: '×',
    measure: ({ scale }) => {
      if (!scale) return [];
      const underLoad =
        scale.ratioUnderLoadP50 === undefined
          ? ''
          : ` (under load ${scale.ratioUnderLoadP50.toFixed(2)}×)`;
      return [{ value: scale.ratioP50, shown: `${scale.ratioP50.toFixed(2)}×${underLoad}` }];
    },
  },
  {
    name: 'list p50 of one list (list_id), 100 000 vs 1 000 tasks in it',
    threshold: { atMost: 1.5 },
    unit: '×',
    measure: ({ scale }) =>
      scale?.ratioOneListP50 === undefined
        ? []
        : [{ value: scale.ratioOneListP50, shown: `${scale.ratioOneListP50.toFixed(2)}×` }],
  },
];

export function evaluateTargets(results: Measured): Target[] {
  return TARGETS.flatMap((rule) =>
    rule.measure(results).map((figure) => ({
      name: figure.of ? `${rule.name}, ${figure.of}` : rule.name,
      target: wanted(rule),
      measured: figure.shown,
      pass: meets(rule.threshold, figure.value),
    })),
  );
}

function wanted({ threshold, unit = '' }: TargetRule): string {
  if ('atLeast' in threshold) return `≥ ${threshold.atLeast}${unit}`;
  if ('atMost' in threshold) return `≤ ${threshold.atMost}${unit}`;
  return `${threshold.exactly}${unit}`;
}

function meets(threshold: Threshold, value: number): boolean {
  if ('atLeast' in threshold) return value >= threshold.atLeast;
  if ('atMost' in threshold) return value <= threshold.atMost;
  return value === threshold.exactly;
}
