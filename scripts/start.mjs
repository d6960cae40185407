#!/usr/bin/env node
// `npm start` / `npm run todo -- …`: compiles the server when dist/ is missing or older than
// the sources, then runs the `todo` command with the given arguments.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const entry = join(root, 'dist/src/cli/main.js');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (!existsSync(entry) || newest(join(root, 'src')) > statSync(entry).mtimeMs) {
  console.error('building the server (npm run build:server)…');
  run('npm', ['run', '--silent', 'build:server']);
}
const web = join(root, 'web');
const webIndex = join(root, 'dist/web/index.html');
if (
  existsSync(join(web, 'index.html')) &&
  (!existsSync(webIndex) || newest(web) > statSync(webIndex).mtimeMs)
) {
  console.error('building the web app (npm run build:web)…');
  run('npm', ['run', '--silent', 'build:web']);
}
const child = spawnSync(process.execPath, [entry, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(child.status ?? 1);
