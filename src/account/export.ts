import { listToJson } from '../lists/list-json.js';
import type { ListRepository } from '../lists/repository.js';
import type { SharingRepository } from '../sharing/repository.js';
import type { TaskRepository } from '../tasks/repository.js';
import { taskToJson } from '../tasks/task-json.js';
import type { UserProfile } from './repository.js';

// The account export ({exported_at, user, lists: [...], memberships: [...], tasks: [...]}) for
// GET /api/me/export and `todo export`, written as it is read: a user has a handful of lists,
// which come in one read, but tasks come in keyset batches and leave as JSON text batch by
// batch, so a user with 100 000 tasks costs one batch of memory, not the whole document. The
// text is byte for byte what JSON.stringify(document, null, space) would give.
//
// Everything the user can read is in it: their own lists and tasks, and the lists others
// share with them (their role says so: not "owner"), with those lists' tasks after their own,
// list by list; "memberships" says since when and with which role they belong to each.

export const EXPORT_BATCH_SIZE = 1000;

export const userJson = (user: UserProfile) => ({
  id: user.id,
  email: user.email,
  name: user.name,
  timezone: user.timezone,
  email_reminders: user.emailReminders,
  created_at: user.createdAt.toISOString(),
});

/** Where the exported data is read from. */
export interface ExportSources {
  lists: ListRepository;
  tasks: TaskRepository;
  sharing: SharingRepository;
}

export interface ExportOptions {
  /** Indentation, as JSON.stringify's third argument: 0 for compact (the API), 2 (the CLI). */
  space?: number;
  batchSize?: number;
  exportedAt?: Date;
}

/** The export document as chunks of JSON text. */
export async function* exportJson(
  sources: ExportSources,
  profile: UserProfile,
  options: ExportOptions = {},
): AsyncGenerator<string> {
  const space = options.space ?? 0;
  const memberships = await sources.sharing.memberships(profile.id);
  const shell = JSON.stringify(
    {
      exported_at: (options.exportedAt ?? new Date()).toISOString(),
      user: userJson(profile),
      lists: (await sources.lists.all(profile.id)).map(listToJson),
      memberships: memberships.map((m) => ({
        list_id: m.listId,
        role: m.role,
        joined_at: m.joinedAt.toISOString(),
      })),
      tasks: [],
    },
    null,
    space,
  );
  // "tasks" is the last key, so the document's last "[]" is its array (whatever "[]" a name
  // before it holds): the tasks go between.
  const open = shell.lastIndexOf('[]') + 1;
  yield shell.slice(0, open);
  const itemIndent = `\n${' '.repeat(space * 2)}`;
  let first = true;
  const size = options.batchSize ?? EXPORT_BATCH_SIZE;
  const readers = [
    sources.tasks.batches(profile.id, size),
    ...memberships.map((m) => sources.tasks.batches(profile.id, size, m.listId)),
  ];
  for (const reader of readers) {
    for await (const batch of reader) {
      let text = '';
      for (const task of batch) {
        const json = JSON.stringify(taskToJson(task), null, space);
        text += `${first ? '' : ','}${space ? itemIndent + json.replaceAll('\n', itemIndent) : json}`;
        first = false;
      }
      yield text;
    }
  }
  yield `${!first && space ? `\n${' '.repeat(space)}` : ''}${shell.slice(open)}`;
}
