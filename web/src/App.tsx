import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { setUnauthorizedHandler } from './api/client';
import { AuthScreen } from './auth/AuthScreen';
import { authClient } from './auth/auth-client';
import { setSignedOutReason, signedOutReason, useSignedOutReason } from './auth/session-gate';
import { navigate, safeNext, useLocation } from './navigation';
import { dismissNotice } from './notices';
import { TasksPage } from './tasks/TasksPage';

const authPaths = ['/sign-in', '/sign-up'];
const here = () => `${window.location.pathname}${window.location.search}`;
const signInFor = (path: string) =>
  path === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(path)}`;

/** Signed out: the sign-in or sign-up screen. Signed in: the tasks. */
export function App() {
  const session = authClient.useSession();
  const reason = useSignedOutReason();
  const location = useLocation();
  const queryClient = useQueryClient();
  const signedIn = session.data != null && reason === null;
  const onAuthPage = authPaths.includes(location.pathname);

  // A 401 from the API means the session is gone: sign in again, then come back here.
  useEffect(() => {
    setUnauthorizedHandler(() => {
      if (signedOutReason() !== null) return;
      setSignedOutReason('expired');
      queryClient.clear();
      dismissNotice();
      authClient.$store.notify('$sessionSignal');
      if (!authPaths.includes(window.location.pathname)) navigate(signInFor(here()));
    });
  }, [queryClient]);

  const { href } = location;
  useEffect(() => {
    if (session.isPending) return;
    const url = new URL(href, window.location.origin);
    const onAuthPath = authPaths.includes(url.pathname);
    if (signedIn && onAuthPath) navigate(safeNext(url.searchParams.get('next')), { replace: true });
    if (!signedIn && !onAuthPath) navigate(signInFor(href), { replace: true });
  }, [session.isPending, signedIn, href]);

  async function signOut() {
    setSignedOutReason('signed-out');
    dismissNotice();
    navigate('/sign-in');
    await queryClient.cancelQueries();
    await authClient.signOut().catch(() => undefined);
    queryClient.clear();
  }

  if (session.isPending) {
    return (
      <p className="splash" role="status">
        Loading…
      </p>
    );
  }
  if (!signedIn) {
    const mode = location.pathname === '/sign-up' ? 'sign-up' : 'sign-in';
    return (
      <AuthScreen
        key={mode}
        mode={mode}
        next={safeNext(location.search.get('next'))}
        expired={reason === 'expired'}
      />
    );
  }
  // Signed in on /sign-in: the effect above is on its way to `next`.
  if (onAuthPage) return null;
  return <TasksPage onSignOut={signOut} />;
}
