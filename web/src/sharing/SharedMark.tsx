import type { ListJson } from '../api/types';
import { sharedByMe, sharedWithMe } from './roles';

/** Beside a list's name: two heads when others share it with the caller, or the caller shares it. */
export function SharedMark({ list }: { list: ListJson }) {
  const label = sharedWithMe(list) ? 'Shared with you' : sharedByMe(list) ? 'Shared' : null;
  if (!label) return null;
  return (
    <span className="shared-mark" title={label}>
      <PeopleIcon />
      <span className="visually-hidden">{label}</span>
    </span>
  );
}

export function PeopleIcon() {
  return (
    <svg viewBox="0 0 20 16" width="16" height="13" aria-hidden="true" focusable="false">
      <circle cx="7" cy="4.5" r="3" fill="currentColor" />
      <path d="M1 15c0-3.3 2.7-5.5 6-5.5s6 2.2 6 5.5z" fill="currentColor" />
      <circle cx="14.5" cy="5" r="2.4" fill="currentColor" opacity="0.7" />
      <path
        d="M13.6 9.7c3 .1 5.4 2.1 5.4 5.3h-4.6c0-2-.3-3.8-.8-5.3z"
        fill="currentColor"
        opacity="0.7"
      />
    </svg>
  );
}

/** "Assigned to me" in the sidebar, where a list has its colour dot. */
export function PersonIcon() {
  return (
    <svg
      className="list-icon"
      viewBox="0 0 14 14"
      width="14"
      height="14"
      aria-hidden="true"
      focusable="false"
    >
      <circle cx="7" cy="4" r="3" fill="currentColor" />
      <path d="M1 14c0-3.6 2.7-6 6-6s6 2.4 6 6z" fill="currentColor" />
    </svg>
  );
}
