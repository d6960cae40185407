import { describe, expect, it } from 'vitest';
import { timeZoneNames } from './time-zones';

describe('the time zones offered', () => {
  it('keeps the caller’s zone when the browser’s list lacks it, in order', () => {
    expect(timeZoneNames(['UTC', 'Europe/Paris'], ['Europe/Paris', 'America/New_York'])).toEqual([
      'America/New_York',
      'Europe/Paris',
      'UTC',
    ]);
  });

  it('lists what the runtime knows', () => {
    expect(timeZoneNames()).toContain('Europe/Berlin');
  });
});
