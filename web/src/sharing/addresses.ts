// The addresses sharing adds: an invitation link's page (/invite/<token>, the `url` the API
// gives when a link is made) and the view of the tasks assigned to the caller (/?view=assigned).

const INVITE_PREFIX = '/invite/';

/** The token of an invitation page's path, or null for any other path. */
export function invitationToken(pathname: string): string | null {
  if (!pathname.startsWith(INVITE_PREFIX)) return null;
  const token = pathname.slice(INVITE_PREFIX.length);
  return /^[A-Za-z0-9_-]+$/.test(token) ? token : null;
}

export const isInvitationPath = (path: string) => path.startsWith(INVITE_PREFIX);

export const assignedHref = '/?view=assigned';

export const isAssignedView = (search: URLSearchParams) => search.get('view') === 'assigned';
