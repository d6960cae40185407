import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import type { ListJson } from '../api/types';
import { showNotice } from '../notices';
import { canDeleteList, canManageList } from '../sharing/roles';
import { ShareDialog } from '../sharing/ShareDialog';
import { PeopleIcon } from '../sharing/SharedMark';
import { useDeleteList, useUpdateList } from './hooks';
import { ListForm } from './ListForm';

type Mode = 'view' | 'edit' | 'confirm-delete';

interface Props {
  list: ListJson;
  /** After the list is gone (deleted, or left): the page shows another. */
  onGone: () => void;
}

const tasksPhrase = (n: number) => (n === 1 ? '1 task' : `${n} tasks`);

/**
 * Share a list; rename or recolour it, or delete it with its tasks (after saying how many),
 * as far as the caller's role allows.
 */
export function ListActions({ list, onGone }: Props) {
  const [mode, setMode] = useState<Mode>('view');
  const [sharing, setSharing] = useState(false);
  const update = useUpdateList(list);
  const remove = useDeleteList(list);
  const editButton = useRef<HTMLButtonElement>(null);
  const cancelDelete = useRef<HTMLButtonElement>(null);
  const focusEdit = useRef(false);

  useEffect(() => {
    if (mode === 'confirm-delete') cancelDelete.current?.focus();
    if (mode === 'view' && focusEdit.current) editButton.current?.focus();
    focusEdit.current = false;
  }, [mode]);

  const close = () => {
    focusEdit.current = true;
    setMode('view');
  };

  if (mode === 'edit') {
    return (
      <div className="card list-editor">
        <ListForm
          label={`Edit list “${list.name}”`}
          submitLabel="Save"
          initial={{ name: list.name, color: list.color }}
          onCancel={close}
          onSubmit={async (values) => {
            try {
              await update.mutateAsync(values);
              close();
              return undefined;
            } catch (error) {
              if (error instanceof ApiError && error.status === 412) {
                return 'This list was changed elsewhere; its new name and colour are shown now. Try again.';
              }
              const why = error instanceof ApiError ? error.userMessage : 'Try again.';
              return `Could not save the list: ${why}`;
            }
          }}
        />
      </div>
    );
  }

  if (mode === 'confirm-delete') {
    const { total } = list.counts;
    const question =
      total === 0
        ? `Delete “${list.name}”? It has no tasks.`
        : `Delete “${list.name}” and its ${tasksPhrase(total)}?`;
    return (
      <fieldset
        className="list-actions confirm"
        onKeyDown={(event) => {
          if (event.key === 'Escape') close();
        }}
      >
        <legend className="confirm-question">{question}</legend>
        <div className="form-actions">
          <button
            type="button"
            className="danger"
            aria-disabled={remove.isPending || undefined}
            onClick={async () => {
              if (remove.isPending) return;
              try {
                await remove.mutateAsync();
                onGone();
              } catch (error) {
                const why = error instanceof ApiError ? error.userMessage : 'Try again.';
                showNotice(`Could not delete “${list.name}”: ${why}`);
                close();
              }
            }}
          >
            Yes, delete the list
          </button>
          <button type="button" ref={cancelDelete} onClick={close}>
            Cancel
          </button>
        </div>
      </fieldset>
    );
  }

  return (
    <div className="list-actions">
      <button
        type="button"
        className="share-button"
        aria-haspopup="dialog"
        onClick={() => setSharing(true)}
        aria-label={`Share “${list.name}”`}
      >
        <PeopleIcon /> Share
      </button>
      {canManageList(list.role) && (
        <button
          type="button"
          ref={editButton}
          onClick={() => setMode('edit')}
          aria-label={`Rename or recolour “${list.name}”`}
        >
          Rename or recolour
        </button>
      )}
      {canDeleteList(list.role) && (
        <button
          type="button"
          className="quiet-danger"
          onClick={() => setMode('confirm-delete')}
          aria-label={`Delete list “${list.name}”`}
        >
          Delete list
        </button>
      )}
      {sharing && <ShareDialog list={list} onClose={() => setSharing(false)} onLeft={onGone} />}
    </div>
  );
}
