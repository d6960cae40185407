import { useRef, useState } from 'react';
import { GearIcon } from '../notifications/icons';
import { useProfile } from '../tasks/hooks';
import { SettingsDialog } from './SettingsDialog';

/** The header's gear: opens the settings, and takes focus back when they close. */
export function SettingsButton() {
  const profile = useProfile();
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  return (
    <>
      <button
        type="button"
        ref={button}
        className="icon-button"
        aria-label="Settings"
        title="Settings"
        aria-haspopup="dialog"
        disabled={!profile.data}
        onClick={() => setOpen(true)}
      >
        <GearIcon />
      </button>
      {open && profile.data && (
        <SettingsDialog
          profile={profile.data}
          onClose={() => {
            setOpen(false);
            button.current?.focus();
          }}
        />
      )}
    </>
  );
}
