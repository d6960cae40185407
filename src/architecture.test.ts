import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The shape of src/: app.ts assembles the features; features (account, auth, tasks, ops,
// cli) build on http/ and db/; nothing imports its way back up. Read from the import lines
// of every source file, type-only imports included.

const root = import.meta.dirname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Each file's imports of other files in src/, as paths relative to src/. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(root)) {
    const text = readFileSync(file, 'utf8');
    // `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')`.
    const specifiers = text.matchAll(
      /^\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'|\bimport\('(\.[^']+)'\)/gm,
    );
    const targets = [...specifiers].map((match) => {
      const specifier = match[1] ?? match[2] ?? match[3] ?? '';
      return relative(root, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts');
    });
    graph.set(relative(root, file), targets);
  }
  return graph;
}

/** src/tasks/handlers.ts → "tasks"; top-level files are not folders. */
const folderOf = (path: string) => (path.includes('/') ? path.split('/')[0]! : undefined);

describe('the import graph of src/', () => {
  const graph = importGraph();

  it('is read from every source file', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('app.ts')).toContain('tasks/handlers.ts');
  });

  it('has no cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('has no two folders importing each other', () => {
    const edges = new Set<string>();
    for (const [file, targets] of graph) {
      for (const target of targets) {
        const from = folderOf(file);
        const to = folderOf(target);
        if (from && to && from !== to) edges.add(`${from} → ${to}`);
      }
    }
    const bothWays = [...edges].filter((edge) => {
      const [from, to] = edge.split(' → ');
      return from! < to! && edges.has(`${to} → ${from}`);
    });
    expect(bothWays).toEqual([]);
  });

  it('keeps http/ free of the features it serves', () => {
    const features = ['account/', 'auth/', 'tasks/', 'ops/', 'cli/'];
    const reachingOut = [...graph]
      .filter(([file]) => file.startsWith('http/'))
      .flatMap(([file, targets]) =>
        targets.filter((t) => features.some((f) => t.startsWith(f))).map((t) => `${file} → ${t}`),
      );
    expect(reachingOut).toEqual([]);
  });
});
