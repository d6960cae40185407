import { useId } from 'react';
import { ApiError } from '../api/client';
import { showNotice } from '../notices';
import { LIST_GONE, NO_RIGHTS } from '../sharing/access-messages';
import { useCreateTask } from './hooks';
import { type Assignee, TaskForm } from './TaskForm';
import { createInput, emptyValues, formErrorsFromServer } from './task-values';

interface Props {
  /** The list the task goes to; without one, the Inbox. */
  list?: { id: number; name: string };
  /** Who a new task can be assigned to, in a shared list. */
  assignees?: readonly Assignee[];
}

/** The add form: a new task goes to the end of the list shown. */
export function AddTaskCard({ list, assignees }: Props) {
  const create = useCreateTask();
  const headingId = useId();
  const label = list ? `Add a task to ${list.name}` : 'Add a task';
  return (
    <section className="card add-card" aria-labelledby={headingId}>
      <h2 id={headingId} className="visually-hidden">
        {label}
      </h2>
      <TaskForm
        mode="add"
        label={label}
        initial={emptyValues}
        assignees={assignees}
        onSubmit={async (values) => {
          try {
            await create.mutateAsync({ ...createInput(values), list_id: list?.id });
            return undefined;
          } catch (error) {
            if (!(error instanceof ApiError)) return { message: 'Could not add the task.' };
            // The role or the access changed: the page is about to change with it (no form,
            // or no list), so the reason goes where it stays, the notice.
            if (error.code === 'insufficient_role' || error.code === 'list_not_found') {
              showNotice(
                `Could not add “${values.title.trim()}”. ${error.code === 'insufficient_role' ? NO_RIGHTS : LIST_GONE}`,
              );
              return {};
            }
            return {
              errors: formErrorsFromServer(error.errors),
              message: `Could not add the task: ${error.detail}`,
            };
          }
        }}
      />
    </section>
  );
}
