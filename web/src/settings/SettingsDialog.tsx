import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useMemo, useRef, useState } from 'react';
import { announce } from '../announcements';
import { ApiError, patchProfile } from '../api/client';
import { queryKeys } from '../api/query-cache';
import type { Profile, ProfilePatchInput } from '../api/types';
import { Field } from '../FormFields';
import { timeZoneNames } from './time-zones';

interface Props {
  profile: Profile;
  /** The dialog closed (Escape, Close, Save, a click on the backdrop). */
  onClose: () => void;
}

/**
 * The account's settings: the time zone that repeating tasks and reminders follow, and
 * whether reminders are e-mailed too. A modal <dialog>, like the Share dialog.
 */
export function SettingsDialog({ profile, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const id = useId();
  const queryClient = useQueryClient();
  const [timezone, setTimezone] = useState(profile.timezone);
  const [emailReminders, setEmailReminders] = useState(profile.email_reminders);
  const [error, setError] = useState<string | null>(null);
  const deviceZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zones = useMemo(
    () => timeZoneNames([profile.timezone, deviceZone]),
    [profile.timezone, deviceZone],
  );

  const save = useMutation({
    mutationFn: (input: ProfilePatchInput) => patchProfile(input),
    onSuccess: (saved) => queryClient.setQueryData(queryKeys.profile, saved),
  });

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    heading.current?.focus();
  }, []);

  const close = () => dialog.current?.close();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (save.isPending) return;
    const changes: ProfilePatchInput = {};
    if (timezone !== profile.timezone) changes.timezone = timezone;
    if (emailReminders !== profile.email_reminders) changes.email_reminders = emailReminders;
    if (Object.keys(changes).length === 0) {
      close();
      return;
    }
    setError(null);
    try {
      await save.mutateAsync(changes);
      announce('Settings saved.');
      close();
    } catch (failure) {
      setError(
        `Could not save the settings. ${failure instanceof ApiError ? failure.userMessage : 'Try again.'}`,
      );
    }
  }

  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the keyboard's way out is Escape, which the dialog handles itself
    <dialog
      ref={dialog}
      className="share-dialog settings-dialog"
      aria-labelledby={`${id}-heading`}
      onClose={onClose}
      onClick={(event) => {
        if (event.target === event.currentTarget) close();
      }}
    >
      <form className="share-panel" onSubmit={submit} noValidate>
        <div className="share-head">
          <h2 id={`${id}-heading`} ref={heading} tabIndex={-1}>
            Settings
          </h2>
          <button type="button" onClick={close}>
            Close
          </button>
        </div>
        <Field id={`${id}-zone`} label="Time zone">
          <select
            id={`${id}-zone`}
            value={timezone}
            onChange={(event) => setTimezone(event.target.value)}
            aria-describedby={`${id}-zone-hint`}
          >
            {zones.map((zone) => (
              <option key={zone} value={zone}>
                {zone.replaceAll('_', ' ')}
              </option>
            ))}
          </select>
          <p className="hint" id={`${id}-zone-hint`}>
            Repeating tasks and reminders follow this zone.
            {deviceZone !== timezone && (
              <>
                {' '}
                This device is on {deviceZone.replaceAll('_', ' ')}.{' '}
                <button
                  type="button"
                  className="link-button"
                  onClick={() => setTimezone(deviceZone)}
                >
                  Use it
                </button>
              </>
            )}
          </p>
        </Field>
        <div className="field check-field">
          <label>
            <input
              type="checkbox"
              checked={emailReminders}
              onChange={(event) => setEmailReminders(event.target.checked)}
            />
            Email me reminders
          </label>
          <p className="hint">
            Reminders always show under the bell; this sends them by email too.
          </p>
        </div>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="primary" aria-disabled={save.isPending || undefined}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
          <button type="button" onClick={close}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
