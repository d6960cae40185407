import { describe, expect, it } from 'vitest';
import { invitationToken, isAssignedView } from './addresses';

describe('the addresses of sharing', () => {
  it('reads the token of an invitation page', () => {
    expect(invitationToken('/invite/q3Vb0Jr1c9xHq7m2yZ8w_T4-kLpN')).toBe(
      'q3Vb0Jr1c9xHq7m2yZ8w_T4-kLpN',
    );
  });

  it.each(['/', '/invite/', '/invite/a/b', '/invite/a%20b', '/invites/abc', '/x/invite/abc'])(
    'finds no token in %j',
    (path) => {
      expect(invitationToken(path)).toBeNull();
    },
  );

  it('knows the assigned view by its parameter', () => {
    expect(isAssignedView(new URLSearchParams('view=assigned'))).toBe(true);
    expect(isAssignedView(new URLSearchParams('list=3'))).toBe(false);
  });
});
