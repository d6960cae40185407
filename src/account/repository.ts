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

/** The users table is Better Auth's; we only read a profile and delete an account. */
export class AccountRepository {
  constructor(private readonly db: Queryable) {}

  async profile(userId: string): Promise<UserProfile | undefined> {
    const rows = await this.db.query<UserRow>(
      'SELECT id, email, name, created_at FROM users WHERE id = $1',
      [userId],
      {
        name: 'user_profile',
      },
    );
    const row = rows[0];
    return row && { id: row.id, email: row.email, name: row.name, createdAt: row.created_at };
  }

  /** Deletes the user; sessions, accounts, tasks and idempotency keys go with it (ON DELETE CASCADE). */
  async delete(userId: string): Promise<boolean> {
    const rows = await this.db.query('DELETE FROM users WHERE id = $1 RETURNING id', [userId], {
      name: 'user_delete',
    });
    return rows.length > 0;
  }
}
