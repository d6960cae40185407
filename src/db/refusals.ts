import { fail } from '../errors.js';

// The database enforces the rules of tasks and lists itself, whatever path a row takes; a
// refusal that is the client's doing comes back as an SQLSTATE of our own class TD (raised
// by the functions of migrations/) or a constraint, and leaves here as an application error.

const refusals = new Map([
  ['TDV01', fail.versionMismatch],
  ['TDK01', fail.idempotencyKeyReused],
  ['TDL01', fail.taskLimitReached],
  ['TDN01', fail.taskNotFound],
  ['TDN02', fail.listNotFound],
  ['TDN03', fail.invitationNotFound],
  ['TDN04', fail.memberNotFound],
  ['TDR01', fail.insufficientRole],
  ['TDO01', fail.ownerCannotLeave],
  ['TDO02', fail.ownerRoleFixed],
  ['TDI01', fail.inboxProtected],
  ['TDD01', fail.subtaskTooDeep],
  ['TDC01', fail.subtaskCycle],
  ['TDM01', fail.subtaskListMismatch],
  ['TDS01', fail.notASibling],
  ['TDNR1', fail.notRecurring],
  ['TDNX1', fail.noNextOccurrence],
  [
    'TDZ01',
    () => fail.validationFailed([{ path: 'timezone', message: 'is not a known time zone' }]),
  ],
  [
    'TDRM1',
    () =>
      fail.validationFailed([
        { path: 'reminders', message: 'a reminder before the due date needs a due_date' },
      ]),
  ],
]);

/** CHECK constraints a patch can break without knowing it (the rest of the task decides). */
const constraintRefusals = new Map([
  ['tasks_recurrence_due_check', { path: 'recurrence', message: 'needs a due_date' }],
  [
    'tasks_recurrence_by_check',
    { path: 'recurrence', message: 'from_completion allows no BY… parts in the rule' },
  ],
]);

/** The body field each CHECK constraint guards, so a refusal names a field, not a constraint. */
const constraintFields = new Map([
  ['tasks_title_check', 'title'],
  ['tasks_description_check', 'description'],
  ['tasks_status_check', 'status'],
  ['tasks_priority_check', 'priority'],
  ['tasks_tags_check', 'tags'],
  ['lists_name_check', 'name'],
  ['lists_color_check', 'color'],
]);

/** A database error that is the client's doing, as an application error; anything else as it is. */
export function refusalOf(error: unknown): unknown {
  const { code, constraint } = error as { code?: string; constraint?: string };
  const refusal = code === undefined ? undefined : refusals.get(code);
  if (refusal) return refusal();
  const broken = code === '23514' ? constraintRefusals.get(constraint ?? '') : undefined;
  if (broken) return fail.validationFailed([broken]);
  switch (code) {
    case '23503': // a foreign key: to a member of the list, or to users
      if (constraint === 'tasks_assignee_fkey') return fail.assigneeNotMember();
      // to users: the user was deleted after the token was issued
      return fail.unauthorized('The signed-in user no longer exists.');
    case '23514': // a CHECK constraint: the API validates first, so this is a backstop
    case '22001':
    case '22021': // invalid byte sequence (NUL)
    case '22P02':
      return fail.validationFailed(
        [
          {
            path: constraintFields.get(constraint ?? '') ?? '',
            message: 'breaks a rule of the database',
          },
        ],
        'The request breaks a rule of the database.',
      );
    default:
      return error;
  }
}
