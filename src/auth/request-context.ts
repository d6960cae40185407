import { AsyncLocalStorage } from 'node:async_hooks';

/** What an auth log line needs to know about the request it belongs to. */
export interface AuthRequestContext {
  requestId: string;
  clientAddress: string;
}

// Better Auth calls its logger with a message only: the request it belongs to travels here.
const storage = new AsyncLocalStorage<AuthRequestContext>();

export function runInAuthRequest<T>(context: AuthRequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentAuthRequest(): AuthRequestContext | undefined {
  return storage.getStore();
}
