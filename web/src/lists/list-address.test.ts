import { describe, expect, it } from 'vitest';
import { listHref, listIdFromSearch } from './list-address';

describe('the list in the address', () => {
  it('reads the id that listHref writes', () => {
    expect(listIdFromSearch(new URL(listHref(7), 'http://x').searchParams)).toBe(7);
  });

  it.each(['', '?list=', '?list=0', '?list=-3', '?list=abc', '?list=1.5', '?list=07'])(
    'shows all tasks for %j',
    (search) => {
      expect(listIdFromSearch(new URLSearchParams(search))).toBeNull();
    },
  );
});
