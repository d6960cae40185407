import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { TextField } from '../FormFields';
import { navigate } from '../navigation';
import {
  authClient,
  authErrorMessage,
  PASSWORD_MIN_LENGTH,
  SIGN_UP_NOT_SIGNED_IN,
} from './auth-client';
import { setSignedOutReason } from './session-gate';

export type AuthMode = 'sign-in' | 'sign-up';

interface Props {
  mode: AuthMode;
  /** Where to go afterwards (already checked to be a path of this app). */
  next: string;
  /** The API said the session ended: say so above the form. */
  expired: boolean;
  /** Why the user is asked to sign in, above the form (an invitation waits). */
  intro?: string;
}

/** Sign in or sign up with email and password; the server's own messages are shown. */
export function AuthScreen({ mode, next, expired, intro }: Props) {
  const signingUp = mode === 'sign-up';
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const ids = useId();

  // A new screen: say so to a screen reader by moving focus to its heading.
  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const missing = [
      signingUp && !name.trim() ? 'your name' : null,
      !email.trim() ? 'your email' : null,
      !password ? 'a password' : null,
    ].filter(Boolean);
    if (missing.length > 0) {
      setError(`Enter ${missing.join(' and ')}.`);
      return;
    }
    setBusy(true);
    setError(null);
    if (signingUp) {
      // Sign-up answers alike whether or not the email is taken and opens no session: the
      // app signs in next, which works for the account just made.
      // No session to refresh yet: refreshing would swap this screen for the splash and
      // lose a message about the sign-in below.
      const created = await authClient.signUp.email(
        { name: name.trim(), email: email.trim(), password },
        { disableSignal: true },
      );
      if (created.error) {
        setBusy(false);
        setError(authErrorMessage(created.error));
        return;
      }
    }
    const result = await authClient.signIn.email({ email: email.trim(), password });
    setBusy(false);
    if (result.error) {
      setError(
        signingUp && result.error.status === 401
          ? SIGN_UP_NOT_SIGNED_IN
          : authErrorMessage(result.error),
      );
      return;
    }
    // The session store refreshes itself after sign-in; the app then follows `next`.
    setSignedOutReason(null);
  }

  const other: AuthMode = signingUp ? 'sign-in' : 'sign-up';
  const otherHref = `/${other}${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`;

  return (
    <main className="auth">
      <div className="auth-card">
        <p className="brand" aria-hidden="true">
          Tasks
        </p>
        <h1 ref={headingRef} tabIndex={-1}>
          {signingUp ? 'Create your account' : 'Sign in'}
        </h1>
        {intro && <p className="auth-intro">{intro}</p>}
        {expired && !error && (
          <p className="notice" role="status">
            Your session has ended. Sign in again to continue where you were.
          </p>
        )}
        <form onSubmit={submit} noValidate aria-describedby={error ? `${ids}-error` : undefined}>
          {signingUp && (
            <TextField
              id={`${ids}-name`}
              label="Name"
              name="name"
              autoComplete="name"
              value={name}
              onChange={setName}
              required
            />
          )}
          <TextField
            id={`${ids}-email`}
            label="Email"
            name="email"
            type="email"
            autoComplete="email"
            inputMode="email"
            value={email}
            onChange={setEmail}
            required
          />
          <TextField
            id={`${ids}-password`}
            label="Password"
            name="password"
            type="password"
            autoComplete={signingUp ? 'new-password' : 'current-password'}
            aria-describedby={signingUp ? `${ids}-password-hint` : undefined}
            value={password}
            onChange={setPassword}
            required
          >
            {signingUp && (
              <p className="hint" id={`${ids}-password-hint`}>
                At least {PASSWORD_MIN_LENGTH} characters, and not a common password.
              </p>
            )}
          </TextField>
          {error && (
            <p className="error" role="alert" id={`${ids}-error`}>
              {error}
            </p>
          )}
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Please wait…' : signingUp ? 'Create account' : 'Sign in'}
          </button>
        </form>
        <p className="switch">
          {signingUp ? 'Already have an account?' : 'New here?'}{' '}
          <a
            href={otherHref}
            onClick={(e) => {
              e.preventDefault();
              navigate(otherHref);
            }}
          >
            {signingUp ? 'Sign in' : 'Create an account'}
          </a>
        </p>
      </div>
    </main>
  );
}
