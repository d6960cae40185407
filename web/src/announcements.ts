import { useSyncExternalStore } from 'react';

// What the page says to screen readers, politely, after a change that a sighted person sees
// happen (a task moved up, or to another list): the live region that reads it is always on
// the page, so each new text is announced.

let current = '';
const listeners = new Set<() => void>();

export function announce(text: string): void {
  current = text;
  for (const listener of listeners) listener();
}

export function useAnnouncement(): string {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
}
