import type { Queryable, Row } from '../db/database.js';

export interface UserProfile {
  id: string;
  email: string;
  name: string;
  createdAt: Date;
}

interface UserRow extends Row {
  id: string;
  email: string;
  name: string;
  created_at: Date;
}

const toProfile = (row: UserRow): UserProfile => ({
  id: row.id,
  email: row.email,
  name: row.name,
  createdAt: row.created_at,
});

/** The users table is Better Auth's; we only read a profile and delete an account. */
export class AccountRepository {
  constructor(private readonly db: Queryable) {}

  async profile(userId: string): Promise<UserProfile | undefined> {
    const [row] = await this.db.query<UserRow>(
      'SELECT id, email, name, created_at FROM users WHERE id = $1',
      [userId],
      { name: 'user_profile' },
    );
    return row && toProfile(row);
  }

  /** The profile of the user with this email, whatever its case: emails are unique that way. */
  async profileByEmail(email: string): Promise<UserProfile | undefined> {
    const [row] = await this.db.query<UserRow>(
      'SELECT id, email, name, created_at FROM users WHERE lower(email) = lower($1)',
      [email],
      { name: 'user_profile_by_email' },
    );
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
