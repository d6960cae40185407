import { useSyncExternalStore } from 'react';

// The one message the list shows in its alert region: why an optimistic change was undone,
// or why something could not be saved. It stays until dismissed or replaced, since a
// message that vanishes on a timer may never be read.

export interface Notice {
  id: number;
  text: string;
}

let current: Notice | null = null;
let nextId = 1;
const listeners = new Set<() => void>();

function set(notice: Notice | null): void {
  current = notice;
  for (const listener of listeners) listener();
}

export const showNotice = (text: string) => set({ id: nextId++, text });
export const dismissNotice = () => set(null);

export function useNotice(): Notice | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
}
