import { accessSync, constants } from 'node:fs';

// Some suites drive a program from the machine (Chromium, PgBouncer). Where it is missing,
// a developer's `npm test` skips those suites with one line that says what to install;
// under CI=true a missing program fails the run, so CI never passes by skipping.

export function toolAvailable(path: string, installHint: string, suite: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    const message = `${path} not found: ${installHint} (needed by ${suite})`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`skipped ${suite}: ${message}`);
    return false;
  }
}
