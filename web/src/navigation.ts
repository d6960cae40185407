import { useSyncExternalStore } from 'react';

// The app has a few addresses (/, /sign-in, /sign-up, /invite/<token>) and keeps the view and
// its filters in the query string, so a reload, a bookmark or a trip through sign-in comes
// back to the same view. That needs no router library: the History API and one event.

const CHANGE = 'app:navigate';

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === currentPath()) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('popstate', listener);
  window.addEventListener(CHANGE, listener);
  return () => {
    window.removeEventListener('popstate', listener);
    window.removeEventListener(CHANGE, listener);
  };
}

const currentPath = () => `${window.location.pathname}${window.location.search}`;

/** The current path and query string, e.g. "/?show=open"; re-renders when it changes. */
export function useLocation(): { pathname: string; search: URLSearchParams; href: string } {
  const href = useSyncExternalStore(subscribe, currentPath);
  const url = new URL(href, window.location.origin);
  return { pathname: url.pathname, search: url.searchParams, href };
}

/**
 * A `next` parameter is only followed to a page of this app, never to another site: it must
 * resolve, the way the browser would resolve it, to this origin. A string check is not enough
 * (the URL parser drops tabs and newlines, so "/\t/evil.example" is "//evil.example").
 */
export function safeNext(next: string | null, origin: string = window.location.origin): string {
  if (!next) return '/';
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return '/';
  }
  return url.origin === origin ? `${url.pathname}${url.search}${url.hash}` : '/';
}
