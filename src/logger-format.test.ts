import { afterEach, describe, expect, it } from 'vitest';
import { terminalDestination } from './logger.js';

// A person at a terminal reads lines; anything else (a pipe, a file, production) gets JSON.

const wasTTY = process.stdout.isTTY;
afterEach(() => {
  process.stdout.isTTY = wasTTY;
});

describe('terminalDestination', () => {
  it('prints readable lines at a terminal outside production', () => {
    process.stdout.isTTY = true;
    expect(terminalDestination('development')).toBeDefined();
    expect(terminalDestination('test')).toBeDefined();
  });

  it('keeps JSON lines in production, even at a terminal', () => {
    process.stdout.isTTY = true;
    expect(terminalDestination('production')).toBeUndefined();
  });

  it('keeps JSON lines when the output is not a terminal', () => {
    process.stdout.isTTY = false;
    expect(terminalDestination('development')).toBeUndefined();
  });
});
