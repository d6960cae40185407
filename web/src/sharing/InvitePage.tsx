import { type MouseEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { announce } from '../announcements';
import { ApiError } from '../api/client';
import { useLists } from '../lists/hooks';
import { listHref } from '../lists/list-address';
import { navigate } from '../navigation';
import { useProfile } from '../tasks/hooks';
import { useAcceptInvitation, useInvitationPreview } from './hooks';
import { roleDescriptions, roleWithArticle } from './roles';

interface Props {
  token: string;
  onSignOut: () => void;
}

/** A link that stopped working, or one that never did (a token cut short in copying). */
const isDeadLink = (error: unknown) =>
  error instanceof ApiError && (error.status === 404 || error.status === 400);

/**
 * An invitation link's page: who invites the user to which list, as what, and Accept or
 * Decline. Signed out, the app shows sign-in first and comes back here.
 */
export function InvitePage({ token, onSignOut }: Props) {
  const preview = useInvitationPreview(token);
  const accept = useAcceptInvitation(token);
  const lists = useLists();
  const profile = useProfile();
  const heading = useRef<HTMLHeadingElement>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    document.title = 'Invitation · Tasks';
    return () => {
      document.title = 'Tasks';
    };
  }, []);

  // Each new state has a new heading: focus it, so a screen reader reads what happened.
  const member = preview.data && lists.data?.find((list) => list.id === preview.data.list.id);
  const state = preview.status + (member ? ' member' : '');
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the state changes
  useEffect(() => heading.current?.focus(), [state]);

  async function acceptInvitation() {
    if (accept.isPending) return;
    setError(null);
    try {
      const joined = await accept.mutateAsync();
      announce(`You joined “${joined.name}”.`);
      // Replace: Back must not lead to a link that is used up.
      navigate(listHref(joined.id), { replace: true });
    } catch (failure) {
      setError(
        isDeadLink(failure)
          ? 'This link stopped working meanwhile: it expired, was used up or was revoked. Ask for a new one.'
          : `Could not accept the invitation. ${failure instanceof ApiError ? failure.userMessage : 'Try again.'}`,
      );
    }
  }

  let body: ReactNode;
  if (preview.isPending) {
    body = (
      <p className="invite-loading" role="status">
        <span className="spinner" aria-hidden="true" /> Opening the invitation…
      </p>
    );
  } else if (preview.isError) {
    body = isDeadLink(preview.error) ? (
      <>
        <h1 ref={heading} tabIndex={-1}>
          This invitation link does not work
        </h1>
        <p>
          It may have expired, been used up or been revoked. Ask the person who sent it for a new
          link.
        </p>
        <HomeLink />
      </>
    ) : (
      <>
        <h1 ref={heading} tabIndex={-1}>
          Could not open the invitation
        </h1>
        <p className="error" role="alert">
          {preview.error instanceof ApiError
            ? preview.error.userMessage
            : 'Something went wrong. Try again.'}
        </p>
        <div className="form-actions">
          <button type="button" onClick={() => preview.refetch()}>
            Try again
          </button>
        </div>
        <HomeLink />
      </>
    );
  } else if (member) {
    const { list } = preview.data;
    body = (
      <>
        <h1 ref={heading} tabIndex={-1}>
          You already have access to “{list.name}”
        </h1>
        <p>
          {member.role === 'owner'
            ? 'It is your own list.'
            : `You are ${roleWithArticle(member.role)} of this list.`}
        </p>
        <div className="form-actions">
          <a className="button-link primary" href={listHref(list.id)} onClick={follow}>
            Open “{list.name}”
          </a>
        </div>
      </>
    );
  } else {
    const { list, role, invited_by } = preview.data;
    body = (
      <>
        <h1 ref={heading} tabIndex={-1}>
          Join “{list.name}”
        </h1>
        <p className="invite-message">
          {invited_by.name ?? 'Someone'} invites you to <strong>{list.name}</strong> as{' '}
          {roleWithArticle(role)}.
        </p>
        <p className="hint">
          As {roleWithArticle(role)}, you {roleDescriptions[role]}.
        </p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button
            type="button"
            className="primary"
            aria-disabled={accept.isPending || undefined}
            onClick={acceptInvitation}
          >
            {accept.isPending ? 'Joining…' : 'Accept'}
          </button>
          <button type="button" onClick={() => navigate('/', { replace: true })}>
            Decline
          </button>
        </div>
      </>
    );
  }

  return (
    <main className="auth">
      <div className="auth-card invite-card">
        <p className="brand" aria-hidden="true">
          Tasks
        </p>
        {body}
        {profile.data && (
          <p className="invite-account">
            Signed in as {profile.data.name}.{' '}
            <button type="button" className="link-button" onClick={onSignOut}>
              Not you? Sign out
            </button>
          </p>
        )}
      </div>
    </main>
  );
}

function follow(event: MouseEvent<HTMLAnchorElement>) {
  event.preventDefault();
  navigate(event.currentTarget.getAttribute('href') ?? '/');
}

function HomeLink() {
  return (
    <p>
      <a href="/" onClick={follow}>
        Go to your tasks
      </a>
    </p>
  );
}
