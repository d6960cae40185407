import type {
  RecurrenceMode,
  ReminderInput,
  TaskCreateInput,
  TaskJson,
  TaskPatchInput,
} from '../api/types';
import { sameReminders, withoutId } from '../notifications/reminder-choices';
import {
  allowsFromCompletion,
  choiceFor,
  dueDayOf,
  type RepeatChoice,
  ruleFor,
  ruleProblem,
  sameRule,
} from './repeat-choices';

// The schedule part of the task form: the due time, how the task repeats and its reminders,
// as the form holds them and as the API takes them.

export interface ScheduleValues {
  /** YYYY-MM-DD from <input type="date">, or empty. */
  due: string;
  /** HH:MM from <input type="time">, or empty: the end of the due day. */
  time: string;
  repeat: RepeatChoice;
  /** The custom rule, as typed. */
  rule: string;
  /** Count the next date from the day the task is done (rules without set days only). */
  fromCompletion: boolean;
  reminders: ReminderInput[];
}

export type ScheduleErrors = Partial<Record<keyof ScheduleValues, string>>;

export const emptySchedule: Omit<ScheduleValues, 'due'> = {
  time: '',
  repeat: 'none',
  rule: '',
  fromCompletion: false,
  reminders: [],
};

/** The schedule of a task whose due date the form shows as `due`. */
export function scheduleOf(task: TaskJson, due: string): Omit<ScheduleValues, 'due' | 'time'> {
  const { choice, custom } = choiceFor(task.recurrence, dueDayOf(due));
  return {
    repeat: choice,
    rule: custom,
    fromCompletion: task.recurrence_mode === 'from_completion',
    reminders: task.reminders.map(withoutId),
  };
}

/** The rule the form's choice stands for, on its due date; null: does not repeat. */
export const ruleOf = (values: ScheduleValues) =>
  ruleFor(values.repeat, dueDayOf(values.due), values.rule);

/** "From completion" counts only where the rule allows it: a checked box under set days does not. */
export function modeOf(values: ScheduleValues): RecurrenceMode {
  return values.fromCompletion && allowsFromCompletion(ruleOf(values))
    ? 'from_completion'
    : 'fixed';
}

/** What the server would refuse, said before sending. */
export function validateSchedule(values: ScheduleValues): ScheduleErrors {
  const errors: ScheduleErrors = {};
  const noDue = values.due === '';
  if (noDue && values.time !== '') errors.time = 'Choose a due date for this time.';
  if (values.repeat !== 'none' && noDue) errors.repeat = 'Choose a due date to repeat this task.';
  else if (values.repeat === 'custom') {
    const problem = ruleProblem(values.rule);
    if (problem) errors.rule = problem;
  }
  if (noDue && values.reminders.some((reminder) => 'before' in reminder)) {
    errors.reminders = 'A reminder before the due time needs a due date.';
  }
  return errors;
}

export function scheduleCreateInput(
  values: ScheduleValues,
): Pick<TaskCreateInput, 'recurrence' | 'recurrence_mode' | 'reminders'> {
  const input: Pick<TaskCreateInput, 'recurrence' | 'recurrence_mode' | 'reminders'> = {};
  const rule = ruleOf(values);
  if (rule !== null) {
    input.recurrence = rule;
    input.recurrence_mode = modeOf(values);
  }
  if (values.reminders.length > 0) input.reminders = values.reminders;
  return input;
}

/** Only what changed; a new rule always goes with its mode, which the server checks it by. */
export function schedulePatch(
  task: TaskJson,
  values: ScheduleValues,
): Pick<TaskPatchInput, 'recurrence' | 'recurrence_mode' | 'reminders'> {
  const patch: Pick<TaskPatchInput, 'recurrence' | 'recurrence_mode' | 'reminders'> = {};
  const rule = ruleOf(values);
  const mode = modeOf(values);
  if (!sameRule(rule, task.recurrence)) patch.recurrence = rule;
  if (rule !== null && (patch.recurrence !== undefined || mode !== task.recurrence_mode)) {
    patch.recurrence = rule;
    patch.recurrence_mode = mode;
  }
  if (!sameReminders(values.reminders, task.reminders.map(withoutId))) {
    patch.reminders = values.reminders;
  }
  return patch;
}

/** The server's field names for the schedule, onto the form's. */
export const scheduleFieldsFromServer: Record<string, keyof ScheduleValues> = {
  recurrence: 'repeat',
  recurrence_mode: 'fromCompletion',
  reminders: 'reminders',
};
