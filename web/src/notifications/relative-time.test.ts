import { describe, expect, it } from 'vitest';
import { relativeTime } from './relative-time';

const now = Date.parse('2026-11-29T12:00:00Z');
const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();

describe('how long ago', () => {
  it.each([
    [10, 'just now'],
    [90, '2 minutes ago'],
    [60 * 60, '1 hour ago'],
    [5 * 60 * 60, '5 hours ago'],
    [26 * 60 * 60, 'yesterday'],
    [3 * 24 * 60 * 60, '3 days ago'],
    [15 * 24 * 60 * 60, '2 weeks ago'],
    [400 * 24 * 60 * 60, 'last year'],
  ])('says %i seconds ago as %j', (seconds, words) => {
    expect(relativeTime(ago(seconds), now, 'en')).toBe(words);
  });

  it('says a time still to come as such', () => {
    expect(relativeTime(ago(-120), now, 'en')).toBe('in 2 minutes');
  });
});
