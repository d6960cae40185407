import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { setUnauthorizedHandler } from './api/client';
import { AuthScreen } from './auth/AuthScreen';
import { authClient } from './auth/auth-client';
import { setSignedOutReason, signedOutReason, useSignedOutReason } from './auth/session-gate';
import { navigate, safeNext, useLocation } from './navigation';
import { dismissNotice } from './notices';
import { invitationToken, isInvitationPath } from './sharing/addresses';
import { InvitePage } from './sharing/InvitePage';
import { TasksPage } from './tasks/TasksPage';

const authPaths = ['/sign-in', '/sign-up'];
const here = () => `${window.location.pathname}${window.location.search}`;
const signInFor = (path: string) =>
  path === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(path)}`;

/** Signed out: the sign-in or sign-up screen. Signed in: the tasks, or an invitation's page. */
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
    // From an invitation's page (signed in as the wrong person): the next sign-in comes back.
    navigate(isInvitationPath(window.location.pathname) ? signInFor(here()) : '/sign-in');
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
    const next = safeNext(location.search.get('next'));
    return (
      <AuthScreen
        key={mode}
        mode={mode}
        next={next}
        expired={reason === 'expired'}
        intro={
          isInvitationPath(next)
            ? 'You are invited to a shared list. Sign in, or create an account, to see the invitation.'
            : undefined
        }
      />
    );
  }
  // Signed in on /sign-in: the effect above is on its way to `next`.
  if (onAuthPage) return null;
  const token = invitationToken(location.pathname);
  if (token !== null) return <InvitePage key={token} token={token} onSignOut={signOut} />;
  return <TasksPage onSignOut={signOut} />;
}
