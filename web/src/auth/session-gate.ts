import { useSyncExternalStore } from 'react';

// Why the app shows sign-in although Better Auth's session store may still hold a session:
// the user just signed out, or the API answered 401 (the session expired or was revoked)
// and the store has not caught up yet. Cleared when the user signs in again.

export type SignedOutReason = 'expired' | 'signed-out' | null;

let reason: SignedOutReason = null;
const listeners = new Set<() => void>();

export const signedOutReason = () => reason;

export function setSignedOutReason(value: SignedOutReason): void {
  if (reason === value) return;
  reason = value;
  for (const listener of listeners) listener();
}

export function useSignedOutReason(): SignedOutReason {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => reason,
  );
}
