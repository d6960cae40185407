import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Database, inTransaction, type Queryable } from './database.js';

// Versioned SQL migrations: migrations/NNNN_name.up.sql and NNNN_name.down.sql, applied in
// order, one transaction each, recorded with a checksum in schema_migrations. A session-level
// advisory lock lets two instances start at once: one migrates, the other waits and finds
// nothing left to do.

export interface Migration {
  version: number;
  name: string;
  up: string;
  down: string;
  checksum: string;
}

export type MigrationState = 'applied' | 'pending' | 'changed' | 'unknown';

export interface MigrationStatus {
  version: number;
  name: string;
  state: MigrationState;
  appliedAt: Date | null;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

// Arbitrary but fixed: "todo" in ASCII. Shared by every instance of this service.
const LOCK_KEY = 1953457263;

export function findMigrationsDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(dir, 'migrations');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new MigrationError('cannot find the migrations directory');
}

export function loadMigrations(directory = findMigrationsDirectory()): Migration[] {
  const files = readdirSync(directory);
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = /^(\d{4})_([a-z0-9_]+)\.up\.sql$/.exec(file);
    if (!match) continue;
    const [, digits, name] = match as unknown as [string, string, string];
    const downFile = `${digits}_${name}.down.sql`;
    if (!files.includes(downFile)) throw new MigrationError(`migration ${file} has no ${downFile}`);
    const up = readFileSync(join(directory, file), 'utf8');
    migrations.push({
      version: Number(digits),
      name,
      up,
      down: readFileSync(join(directory, downFile), 'utf8'),
      checksum: createHash('sha256').update(up).digest('hex'),
    });
  }
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (i > 0 && migrations[i - 1]!.version === m.version) {
      throw new MigrationError(`two migrations have version ${m.version}`);
    }
  });
  return migrations;
}

interface AppliedRow {
  [key: string]: unknown;
  version: number;
  name: string;
  checksum: string;
  applied_at: Date;
}

export interface MigratorEvents {
  onApply?(migration: Migration, direction: 'up' | 'down', ms: number): void;
}

export class Migrator {
  constructor(
    private readonly db: Database,
    private readonly migrations: Migration[] = loadMigrations(),
    private readonly events: MigratorEvents = {},
  ) {}

  get latestVersion(): number {
    return this.migrations.at(-1)?.version ?? 0;
  }

  /** Applies pending migrations up to `to` (default: all). Returns the versions applied. */
  migrate(options: { to?: number } = {}): Promise<number[]> {
    const target = options.to ?? this.latestVersion;
    if (target !== 0 && !this.migrations.some((m) => m.version === target)) {
      return Promise.reject(new MigrationError(`there is no migration ${target}`));
    }
    return this.locked(async (session) => {
      const applied = await this.checkedApplied(session);
      const done: number[] = [];
      for (const migration of this.migrations) {
        if (migration.version > target || applied.has(migration.version)) continue;
        await this.run(session, migration, 'up');
        done.push(migration.version);
      }
      return done;
    });
  }

  /** Reverts the newest `steps` migrations (default 1), or every one above `to`. */
  rollback(options: { steps?: number; to?: number } = {}): Promise<number[]> {
    return this.locked(async (session) => {
      const applied = await this.checkedApplied(session);
      const versions = [...applied.keys()].sort((a, b) => b - a);
      const chosen =
        options.to !== undefined
          ? versions.filter((v) => v > options.to!)
          : versions.slice(0, options.steps ?? 1);
      for (const version of chosen) {
        const migration = this.migrations.find((m) => m.version === version)!;
        await this.run(session, migration, 'down');
      }
      return chosen;
    });
  }

  async status(): Promise<MigrationStatus[]> {
    const applied = await this.db.withSession((session) => this.readApplied(session));
    const rows: MigrationStatus[] = this.migrations.map((m) => {
      const record = applied.get(m.version);
      const state: MigrationState = !record
        ? 'pending'
        : record.checksum === m.checksum
          ? 'applied'
          : 'changed';
      return { version: m.version, name: m.name, state, appliedAt: record?.applied_at ?? null };
    });
    for (const record of applied.values()) {
      if (!this.migrations.some((m) => m.version === record.version)) {
        rows.push({
          version: record.version,
          name: record.name,
          state: 'unknown',
          appliedAt: record.applied_at,
        });
      }
    }
    return rows.sort((a, b) => a.version - b.version);
  }

  /** The newest applied version, and whether anything is pending (for /readyz). */
  async currentVersion(): Promise<{ version: number; pending: number }> {
    const statuses = await this.status();
    const applied = statuses.filter((s) => s.state !== 'pending');
    return {
      version: applied.at(-1)?.version ?? 0,
      pending: statuses.filter((s) => s.state === 'pending').length,
    };
  }

  private async locked<T>(fn: (session: Queryable) => Promise<T>): Promise<T> {
    return this.db.withSession(async (session) => {
      // Waiting for another migrator, or a long DDL statement, must not hit the pool's
      // statement_timeout; RESET below before the connection goes back to the pool.
      await session.exec('SET statement_timeout = 0');
      await session.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
      try {
        // Only when missing: CREATE needs a right on the schema that the runtime role lacks,
        // and it may still check that nothing is pending (MIGRATE_ON_START with one URL).
        if (!(await this.ledgerExists(session)))
          await session.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
          )`);
        return await fn(session);
      } finally {
        await session.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
        await session.exec('RESET statement_timeout').catch(() => {});
      }
    });
  }

  private async ledgerExists(session: Queryable): Promise<boolean> {
    const exists = await session.query<{ present: boolean }>(
      "SELECT to_regclass('schema_migrations') IS NOT NULL AS present",
    );
    return exists[0]?.present === true;
  }

  private async readApplied(session: Queryable): Promise<Map<number, AppliedRow>> {
    if (!(await this.ledgerExists(session))) return new Map();
    const rows = await session.query<AppliedRow>(
      'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
    );
    return new Map(rows.map((r) => [r.version, r]));
  }

  /** Applied migrations, refusing to go on when an applied file changed or is gone. */
  private async checkedApplied(session: Queryable): Promise<Map<number, AppliedRow>> {
    const applied = await this.readApplied(session);
    for (const record of applied.values()) {
      const migration = this.migrations.find((m) => m.version === record.version);
      if (!migration) {
        throw new MigrationError(
          `the database has migration ${record.version} (${record.name}), which this version of the code does not have`,
        );
      }
      if (migration.checksum !== record.checksum) {
        throw new MigrationError(
          `migration ${pad(migration.version)}_${migration.name} was changed after it was applied (checksum differs); restore the file or add a new migration`,
        );
      }
    }
    return applied;
  }

  private async run(
    session: Queryable,
    migration: Migration,
    direction: 'up' | 'down',
  ): Promise<void> {
    const started = performance.now();
    try {
      await inTransaction(session, async (tx) => {
        await tx.exec(direction === 'up' ? migration.up : migration.down);
        if (direction === 'up') {
          await tx.query(
            'INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
            [migration.version, migration.name, migration.checksum],
          );
        } else {
          await tx.query('DELETE FROM schema_migrations WHERE version = $1', [migration.version]);
        }
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new MigrationError(
        `migration ${pad(migration.version)}_${migration.name} (${direction}) failed and was rolled back: ${reason}`,
        { cause: error },
      );
    }
    this.events.onApply?.(migration, direction, performance.now() - started);
  }
}

export const pad = (version: number) => String(version).padStart(4, '0');
