import type { Queryable, Row } from '../db/database.js';
import { functionCaller } from '../db/function-call.js';

export interface UserProfile {
  id: string;
  email: string;
  name: string;
  /** IANA zone that recurring tasks and reminders of the user's lists are computed in. */
  timezone: string;
  /** Whether reminders are also sent by email (when the server sends email). */
  emailReminders: boolean;
  createdAt: Date;
}

/** What PATCH /api/me changes; absent fields stay. */
export interface ProfileChanges {
  name?: string;
  timezone?: string;
  emailReminders?: boolean;
}

interface UserRow extends Row {
  id: string;
  email: string;
  name: string;
  timezone: string;
  email_reminders: boolean;
  created_at: Date;
}

interface AccountFunctions {
  user_settings_update: {
    args: [
      userId: string,
      setName: boolean,
      name: string | null,
      setTimezone: boolean,
      timezone: string | null,
      setEmailReminders: boolean,
      emailReminders: boolean | null,
    ];
    row: UserRow;
  };
}

const profileColumns = 'id, email, name, timezone, email_reminders, created_at';

const toProfile = (row: UserRow): UserProfile => ({
  id: row.id,
  email: row.email,
  name: row.name,
  timezone: row.timezone,
  emailReminders: row.email_reminders,
  createdAt: row.created_at,
});

/** The users table is Better Auth's; we only read a profile and delete an account. */
export class AccountRepository {
  private readonly call;

  constructor(private readonly db: Queryable) {
    this.call = functionCaller<AccountFunctions>(db);
  }

  async profile(userId: string): Promise<UserProfile | undefined> {
    const [row] = await this.db.query<UserRow>(
      `SELECT ${profileColumns} FROM users WHERE id = $1`,
      [userId],
      { name: 'user_profile' },
    );
    return row && toProfile(row);
  }

  /** The profile of the user with this email, whatever its case: emails are unique that way. */
  async profileByEmail(email: string): Promise<UserProfile | undefined> {
    const [row] = await this.db.query<UserRow>(
      `SELECT ${profileColumns} FROM users WHERE lower(email) = lower($1)`,
      [email],
      { name: 'user_profile_by_email' },
    );
    return row && toProfile(row);
  }

  /**
   * Changes the name, time zone or email preference; the user's recurring tasks follow a new
   * zone. Undefined when the user is gone; a zone the database does not know is a 422.
   */
  async update(userId: string, changes: ProfileChanges): Promise<UserProfile | undefined> {
    const [row] = await this.call('user_settings_update', [
      userId,
      changes.name !== undefined,
      changes.name ?? null,
      changes.timezone !== undefined,
      changes.timezone ?? null,
      changes.emailReminders !== undefined,
      changes.emailReminders ?? null,
    ]);
    return row && toProfile(row);
  }

  /** Deletes the user; sessions, accounts, tasks and idempotency keys go with it (ON DELETE CASCADE). */
  async delete(userId: string): Promise<boolean> {
    const rows = await this.db.query('DELETE FROM users WHERE id = $1 RETURNING id', [userId], {
      name: 'user_delete',
    });
    return rows.length > 0;
  }
}
