import { type FormEvent, type RefObject, useEffect, useId, useRef, useState } from 'react';
import { announce } from '../announcements';
import type { CreatedInvitationJson, ListJson, MemberJson } from '../api/types';
import { Field, SelectField } from '../FormFields';
import { useProfile } from '../tasks/hooks';
import { sharingErrorMessage } from './access-messages';
import {
  useChangeRole,
  useCreateInvitation,
  useInvitations,
  useLeaveList,
  useMembers,
  useRemoveMember,
  useRevokeInvitation,
} from './hooks';
import {
  canManageList,
  canManageMember,
  invitableRoles,
  roleDescriptions,
  roleLabels,
  roleWithArticle,
} from './roles';

interface Props {
  list: ListJson;
  /** The dialog closed (Escape, Close, a click on the backdrop). */
  onClose: () => void;
  /** The caller left the list: the page shows another. */
  onLeft: () => void;
}

/**
 * Who has access to a list, and, for its owner and admins, invitation links and the members'
 * roles. A modal <dialog>: showModal() keeps focus inside and the page behind inert, Escape
 * closes it, and closing gives focus back to the button that opened it.
 */
export function ShareDialog({ list, onClose, onLeft }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const headingId = useId();
  const manager = canManageList(list.role);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    // The title first, so a screen reader says what opened before the first control.
    heading.current?.focus();
  }, []);

  const close = () => dialog.current?.close();

  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the keyboard's way out is Escape, which the dialog handles itself
    <dialog
      ref={dialog}
      className="share-dialog"
      aria-labelledby={headingId}
      onClose={onClose}
      // The dialog itself is hit only outside its panel: on the backdrop.
      onClick={(event) => {
        if (event.target === event.currentTarget) close();
      }}
    >
      <div className="share-panel">
        <div className="share-head">
          <h2 id={headingId} ref={heading} tabIndex={-1}>
            Share “{list.name}”
          </h2>
          <button type="button" onClick={close}>
            Close
          </button>
        </div>
        <p className="share-role">
          {list.role === 'owner'
            ? 'You own this list'
            : `You are ${roleWithArticle(list.role)} of this list`}
          : you {roleDescriptions[list.role]}.
        </p>
        {manager ? (
          <>
            <InviteSection list={list} />
            <PendingLinks list={list} />
          </>
        ) : (
          <p className="hint">Only the owner and admins of this list can invite people.</p>
        )}
        <MembersSection list={list} />
        {list.role !== 'owner' && (
          <LeaveSection
            list={list}
            onLeft={() => {
              close();
              onLeft();
            }}
          />
        )}
      </div>
    </dialog>
  );
}

/** "7 May, 14:05": when a link stops working. */
const formatWhen = (iso: string) =>
  new Date(iso).toLocaleString(undefined, {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const people = (n: number) => (n === 1 ? '1 person' : `${n} people`);

const useChoices = ['1', '5', '25'] as const;
type UseChoice = (typeof useChoices)[number];
const useLabels: Record<UseChoice, string> = {
  '1': '1 person',
  '5': '5 people',
  '25': '25 people',
};

const hourChoices = ['24', '168', '720'] as const;
type HourChoice = (typeof hourChoices)[number];
const hourLabels: Record<HourChoice, string> = { '24': '1 day', '168': '7 days', '720': '30 days' };

function InviteSection({ list }: { list: ListJson }) {
  const id = useId();
  const roles = invitableRoles(list.role);
  const [role, setRole] = useState(roles.includes('editor') ? 'editor' : roles[0]);
  const [uses, setUses] = useState<UseChoice>('1');
  const [hours, setHours] = useState<HourChoice>('168');
  const [created, setCreated] = useState<CreatedInvitationJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  const create = useCreateInvitation(list.id);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (create.isPending || !role) return;
    setError(null);
    try {
      setCreated(
        await create.mutateAsync({
          role,
          max_uses: Number(uses),
          expires_in_hours: Number(hours),
        }),
      );
    } catch (failure) {
      setCreated(null);
      setError(`Could not make the link. ${sharingErrorMessage(failure)}`);
    }
  }

  return (
    <section className="share-section" aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>Invite with a link</h3>
      <form className="invite-form" aria-label="New invitation link" onSubmit={submit} noValidate>
        <div className="invite-fields">
          {role && (
            <SelectField
              id={`${id}-role`}
              label="Role"
              options={roles}
              labels={roleLabels}
              value={role}
              onChange={setRole}
            />
          )}
          <SelectField
            id={`${id}-uses`}
            label="Can join"
            options={useChoices}
            labels={useLabels}
            value={uses}
            onChange={setUses}
          />
          <SelectField
            id={`${id}-hours`}
            label="Expires after"
            options={hourChoices}
            labels={hourLabels}
            value={hours}
            onChange={setHours}
          />
        </div>
        {role && (
          <p className="hint">
            {capitalised(roleWithArticle(role))} {roleDescriptions[role]}.
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="primary" aria-disabled={create.isPending || undefined}>
            {create.isPending ? 'Making the link…' : 'Create link'}
          </button>
        </div>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {created && <NewLink key={created.id} invitation={created} />}
    </section>
  );
}

/** The link just made: its token is in this answer only, so it is shown here and now. */
function NewLink({ invitation }: { invitation: CreatedInvitationJson }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'yes' | 'select' | null>(null);

  // Focus on the link, so the keyboard is where the next step (copying) is.
  useEffect(() => input.current?.select(), []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(invitation.url);
      setCopied('yes');
    } catch {
      // No clipboard (not a secure context, or permission refused): select it for the keyboard.
      input.current?.focus();
      input.current?.select();
      setCopied('select');
    }
  }

  return (
    <div className="new-link">
      <Field id={`${id}-url`} label={`Invitation link for ${roleWithArticle(invitation.role)}`}>
        <div className="copy-row">
          <input
            id={`${id}-url`}
            ref={input}
            readOnly
            value={invitation.url}
            onFocus={(event) => event.currentTarget.select()}
            aria-describedby={`${id}-once`}
          />
          <button type="button" onClick={copy}>
            Copy link
          </button>
        </div>
      </Field>
      <p className="hint" role="status">
        {copied === 'yes'
          ? 'Copied.'
          : copied === 'select'
            ? 'The link is selected: press Ctrl+C (⌘C on a Mac) to copy it.'
            : ''}
      </p>
      <p className="new-link-once" id={`${id}-once`}>
        This link is shown only once: copy it now. It lets {people(invitation.max_uses)} join until{' '}
        {formatWhen(invitation.expires_at)}.
      </p>
    </div>
  );
}

function PendingLinks({ list }: { list: ListJson }) {
  const id = useId();
  const links = useInvitations(list.id, true);
  const revoke = useRevokeInvitation(list.id);
  const heading = useRef<HTMLHeadingElement>(null);
  const [error, setError] = useState<string | null>(null);

  return (
    <section className="share-section" aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`} ref={heading} tabIndex={-1}>
        Pending links
      </h3>
      {links.isPending && (
        <p className="hint" role="status">
          Loading the links…
        </p>
      )}
      {links.isError && (
        <p className="error" role="alert">
          Could not load the links. {sharingErrorMessage(links.error)}
        </p>
      )}
      {links.data?.length === 0 && <p className="hint">No link is waiting to be used.</p>}
      {links.data && links.data.length > 0 && (
        <ul className="share-rows">
          {links.data.map((link) => {
            const expires = formatWhen(link.expires_at);
            return (
              <li key={link.id} className="share-row">
                <div className="share-row-main">
                  <span className="share-row-name">{roleLabels[link.role]}</span>
                  <span className="share-row-detail">
                    {link.uses} of {link.max_uses} used · expires {expires}
                  </span>
                </div>
                <button
                  type="button"
                  className="quiet-danger"
                  aria-label={`Revoke the ${link.role} link that expires ${expires}`}
                  aria-disabled={(revoke.isPending && revoke.variables === link.id) || undefined}
                  onClick={async () => {
                    if (revoke.isPending) return;
                    setError(null);
                    try {
                      await revoke.mutateAsync(link.id);
                      announce(`Revoked the ${link.role} link.`);
                    } catch (failure) {
                      setError(`Could not revoke the link. ${sharingErrorMessage(failure)}`);
                    }
                    // The row is gone: keep focus in the section.
                    heading.current?.focus();
                  }}
                >
                  Revoke
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function MembersSection({ list }: { list: ListJson }) {
  const id = useId();
  const members = useMembers(list.id);
  const profile = useProfile();
  const heading = useRef<HTMLHeadingElement>(null);

  return (
    <section className="share-section" aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`} ref={heading} tabIndex={-1}>
        People with access
      </h3>
      {members.isPending && (
        <p className="hint" role="status">
          Loading the members…
        </p>
      )}
      {members.isError && (
        <p className="error" role="alert">
          Could not load the members. {sharingErrorMessage(members.error)}
        </p>
      )}
      {members.data && (
        <ul className="share-rows">
          {members.data.map((member) => (
            <MemberRow
              key={member.user_id}
              list={list}
              member={member}
              isMe={member.user_id === profile.data?.id}
              sectionHeading={heading}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

interface MemberRowProps {
  list: ListJson;
  member: MemberJson;
  isMe: boolean;
  /** Where focus goes once the row is gone. */
  sectionHeading: RefObject<HTMLHeadingElement | null>;
}

function MemberRow({ list, member, isMe, sectionHeading }: MemberRowProps) {
  const id = useId();
  const manageable = canManageMember(list.role, member);
  const roles = invitableRoles(list.role);
  const change = useChangeRole(list.id);
  const remove = useRemoveMember(list.id);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const removeButton = useRef<HTMLButtonElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const focusRemove = useRef(false);

  useEffect(() => {
    if (confirming) cancelButton.current?.focus();
    else if (focusRemove.current) removeButton.current?.focus();
    focusRemove.current = false;
  }, [confirming]);

  const cancel = () => {
    focusRemove.current = true;
    setConfirming(false);
  };
  // While a change is on its way, the select shows the role asked for.
  const shownRole = change.isPending ? change.variables.role : member.role;
  const name = isMe ? `${member.name} (you)` : member.name;

  return (
    <li className="share-row member-row">
      <div className="share-row-main">
        <span className="share-row-name">{name}</span>
        {!manageable && <span className="share-row-detail">{roleLabels[member.role]}</span>}
      </div>
      {manageable && !confirming && (
        <div className="member-controls">
          <label className="visually-hidden" htmlFor={`${id}-role`}>
            Role of {member.name}
          </label>
          <select
            id={`${id}-role`}
            value={shownRole}
            onChange={(event) => {
              const role = roles.find((r) => r === event.target.value);
              if (!role || role === member.role) return;
              setError(null);
              change.mutate(
                { userId: member.user_id, role },
                {
                  onSuccess: () => announce(`${member.name} is now ${roleWithArticle(role)}.`),
                  onError: (failure) =>
                    setError(`Could not change the role. ${sharingErrorMessage(failure)}`),
                },
              );
            }}
          >
            {roles.map((role) => (
              <option key={role} value={role}>
                {roleLabels[role]}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="quiet-danger"
            ref={removeButton}
            aria-label={`Remove ${member.name}`}
            onClick={() => setConfirming(true)}
          >
            Remove
          </button>
        </div>
      )}
      {manageable && confirming && (
        <fieldset
          className="member-confirm"
          onKeyDown={(event) => {
            // Escape here cancels the removal only, not the whole dialog.
            if (event.key === 'Escape') {
              event.preventDefault();
              event.stopPropagation();
              cancel();
            }
          }}
        >
          <legend className="visually-hidden">
            Remove {member.name} from “{list.name}”?
          </legend>
          <span aria-hidden="true">Remove from the list?</span>
          <button
            type="button"
            className="danger"
            aria-disabled={remove.isPending || undefined}
            onClick={async () => {
              if (remove.isPending) return;
              setError(null);
              try {
                await remove.mutateAsync(member.user_id);
                announce(`Removed ${member.name} from “${list.name}”.`);
                sectionHeading.current?.focus();
              } catch (failure) {
                cancel();
                setError(`Could not remove ${member.name}. ${sharingErrorMessage(failure)}`);
              }
            }}
          >
            Yes, remove
          </button>
          <button type="button" ref={cancelButton} onClick={cancel}>
            Cancel
          </button>
        </fieldset>
      )}
      {error && (
        <p className="error share-row-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

function LeaveSection({ list, onLeft }: { list: ListJson; onLeft: () => void }) {
  const profile = useProfile();
  const leave = useLeaveList(list);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const leaveButton = useRef<HTMLButtonElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const focusLeave = useRef(false);

  useEffect(() => {
    if (confirming) cancelButton.current?.focus();
    else if (focusLeave.current) leaveButton.current?.focus();
    focusLeave.current = false;
  }, [confirming]);

  const cancel = () => {
    focusLeave.current = true;
    setConfirming(false);
  };

  return (
    <section className="share-section leave-section" aria-label="Leave this list">
      {confirming ? (
        <fieldset
          className="list-actions confirm"
          onKeyDown={(event) => {
            if (event.key === 'Escape') {
              event.preventDefault();
              event.stopPropagation();
              cancel();
            }
          }}
        >
          <legend className="confirm-question">
            Leave “{list.name}”? You lose access to it and its tasks until someone invites you
            again.
          </legend>
          <div className="form-actions">
            <button
              type="button"
              className="danger"
              aria-disabled={leave.isPending || !profile.data || undefined}
              onClick={async () => {
                if (leave.isPending || !profile.data) return;
                setError(null);
                try {
                  await leave.mutateAsync(profile.data.id);
                  announce(`You left “${list.name}”.`);
                  onLeft();
                } catch (failure) {
                  cancel();
                  setError(`Could not leave the list. ${sharingErrorMessage(failure)}`);
                }
              }}
            >
              Yes, leave the list
            </button>
            <button type="button" ref={cancelButton} onClick={cancel}>
              Cancel
            </button>
          </div>
        </fieldset>
      ) : (
        <button
          type="button"
          className="quiet-danger"
          ref={leaveButton}
          onClick={() => setConfirming(true)}
        >
          Leave list
        </button>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
