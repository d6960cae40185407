import { useId } from 'react';
import { ApiError } from '../api/client';
import { useCreateTask } from './hooks';
import { TaskForm } from './TaskForm';
import { createInput, emptyValues, formErrorsFromServer } from './task-values';

interface Props {
  /** The list the task goes to; without one, the Inbox. */
  list?: { id: number; name: string };
}

/** The add form: a new task goes to the end of the list shown. */
export function AddTaskCard({ list }: Props) {
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
        onSubmit={async (values) => {
          try {
            await create.mutateAsync({ ...createInput(values), list_id: list?.id });
            return undefined;
          } catch (error) {
            if (!(error instanceof ApiError)) return { message: 'Could not add the task.' };
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
