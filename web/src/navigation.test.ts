import { describe, expect, it } from 'vitest';
import { safeNext } from './navigation';

// Runs in Node: safeNext takes the origin, so no browser globals are needed.

const origin = 'http://localhost:3000';

describe('safeNext, the target after sign-in', () => {
  it.each([
    ['/', '/'],
    ['/?show=open', '/?show=open'],
    ['/?show=open&sort=due_date#top', '/?show=open&sort=due_date#top'],
    ['/sign-in', '/sign-in'],
    ['http://localhost:3000/?q=1', '/?q=1'],
    ['?show=done', '/?show=done'],
  ])('follows %j on this site to %j', (next, expected) => {
    expect(safeNext(next, origin)).toBe(expected);
  });

  it.each([
    null,
    '',
    '//evil.example',
    '/\\evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r\n/evil.example',
    '\t//evil.example',
    ' //evil.example',
    'https://evil.example/',
    'http://localhost:3001/',
    'javascript:alert(1)',
    'data:text/html,hi',
    'http://[::1',
  ])('falls back to / for %j', (next) => {
    expect(safeNext(next, origin)).toBe('/');
  });
});
