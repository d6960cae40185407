import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, snapshotCatalog } from '../../test/support/catalog.js';
import {
  createTestDatabase,
  openServerDatabase,
  silentLogger,
  type TestDatabase,
} from '../../test/support/test-database.js';
import type { Queryable } from './database.js';
import { openEmbeddedDatabase } from './embedded-database.js';
import {
  findMigrationsDirectory,
  loadMigrations,
  type Migration,
  MigrationError,
  Migrator,
} from './migrator.js';
import { createServerDatabase } from './server-database.js';

const migrations = loadMigrations();
const versions = migrations.map((m) => m.version);
const latest = versions.at(-1)!;

async function tableNames(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
  );
  return rows.map((r) => r.name);
}

async function appliedVersions(db: Queryable): Promise<number[]> {
  const rows = await db.query<{ version: number }>(
    'SELECT version FROM schema_migrations ORDER BY version',
  );
  return rows.map((r) => r.version);
}

describe('Migrator on the server', () => {
  const databases: TestDatabase[] = [];
  let reference: Catalog;

  /** A new, empty database that only this test uses. */
  async function emptyDatabase(): Promise<TestDatabase> {
    const database = await createTestDatabase({ migrate: false });
    databases.push(database);
    return database;
  }

  beforeAll(async () => {
    const migrated = await createTestDatabase();
    try {
      reference = await snapshotCatalog(migrated.db);
    } finally {
      await migrated.drop();
    }
  });
  afterEach(async () => {
    await Promise.all(databases.splice(0).map((d) => d.drop()));
  });

  it('has migrations numbered from 1 without gaps', () => {
    expect(versions).toEqual(versions.map((_, i) => i + 1));
  });

  it('leaves an identical catalog after up → down → up of every migration', async () => {
    const { db } = await emptyDatabase();
    const migrator = new Migrator(db);
    for (const version of versions) {
      expect(await migrator.migrate({ to: version })).toEqual([version]);
      const before = await snapshotCatalog(db);
      await migrator.migrate();
      expect(await migrator.rollback({ to: version - 1 })).toEqual(
        versions.filter((v) => v >= version).reverse(),
      );
      expect(await migrator.migrate({ to: version })).toEqual([version]);
      expect(await snapshotCatalog(db), `catalog at version ${version}`).toEqual(before);
    }
    expect(await snapshotCatalog(db)).toEqual(reference);
  });

  it('rolls back to version 0, leaving no table but schema_migrations', async () => {
    const { db } = await emptyDatabase();
    const migrator = new Migrator(db);
    await migrator.migrate();
    expect(await migrator.rollback({ to: 0 })).toEqual([...versions].reverse());
    const catalog = await snapshotCatalog(db);
    expect(await tableNames(db)).toEqual(['schema_migrations']);
    expect(catalog.functions).toEqual([]);
    expect(catalog.policies).toEqual([]);
    expect(catalog.triggers).toEqual([]);
    expect(await appliedVersions(db)).toEqual([]);
  });

  describe('when an applied migration file was changed', () => {
    const edited: Migration[] = migrations.map((m) => {
      if (m.version !== 1) return m;
      const up = `${m.up}\n-- edited after it was applied\n`;
      return { ...m, up, checksum: createHash('sha256').update(up).digest('hex') };
    });

    it('refuses to migrate or roll back', async () => {
      const database = await emptyDatabase();
      await new Migrator(database.db).migrate({ to: 1 });
      const migrator = new Migrator(database.db, edited);
      await expect(migrator.migrate()).rejects.toThrow(MigrationError);
      await expect(migrator.migrate()).rejects.toThrow(/0001_auth was changed/);
      await expect(migrator.rollback()).rejects.toThrow(/changed/);
      expect(await appliedVersions(database.db)).toEqual([1]);
      expect(await tableNames(database.db)).toContain('users');
    });

    it("reports it as 'changed' in status", async () => {
      const database = await emptyDatabase();
      await new Migrator(database.db).migrate();
      const status = await new Migrator(database.db, edited).status();
      expect(status.map((s) => [s.version, s.state])).toEqual(
        versions.map((v) => [v, v === 1 ? 'changed' : 'applied']),
      );
    });
  });

  it('leaves no trace of a migration that fails half-way', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'todo-migrations-'));
    try {
      const source = findMigrationsDirectory();
      for (const file of readdirSync(source)) {
        copyFileSync(join(source, file), join(directory, file));
      }
      writeFileSync(
        join(directory, '0099_broken.up.sql'),
        'CREATE TABLE broken_first_step (id integer);\nSELECT * FROM no_such_table;\n',
      );
      writeFileSync(join(directory, '0099_broken.down.sql'), 'DROP TABLE broken_first_step;\n');
      const { db } = await emptyDatabase();

      const failure = new Migrator(db, loadMigrations(directory)).migrate();
      await expect(failure).rejects.toThrow(MigrationError);
      await expect(failure).rejects.toThrow(/0099_broken.*relation "no_such_table" does not exist/);

      const [row] = await db.query<{ present: boolean }>(
        "SELECT to_regclass('broken_first_step') IS NOT NULL AS present",
      );
      expect(row?.present).toBe(false);
      expect(await appliedVersions(db)).toEqual(versions);
      expect(await snapshotCatalog(db)).toEqual(reference);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('lets exactly one of two concurrent migrators apply the migrations', async () => {
    const database = await emptyDatabase();
    const first = openServerDatabase(database.url);
    const second = openServerDatabase(database.url);
    try {
      const results = await Promise.all([
        new Migrator(first).migrate(),
        new Migrator(second).migrate(),
      ]);
      expect([...results].sort((a, b) => a.length - b.length)).toEqual([[], versions]);
      expect(await appliedVersions(database.db)).toEqual(versions);
      expect(await snapshotCatalog(database.db)).toEqual(reference);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('waits for another migrator longer than the statement timeout', async () => {
    const database = await emptyDatabase();
    const impatient = createServerDatabase({
      url: database.url,
      poolMax: 1,
      idleTimeoutMs: 1_000,
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 300,
      slowQueryMs: 10_000,
      prepare: 'auto',
      logger: silentLogger,
    });
    try {
      const applied = await database.db.withSession(async (holder) => {
        await holder.query('SELECT pg_advisory_lock($1)', [1953457263]);
        const waiting = new Migrator(impatient).migrate();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        await holder.query('SELECT pg_advisory_unlock($1)', [1953457263]);
        return waiting;
      });
      expect(applied).toEqual(versions);
      // The pool's own timeout is back in force afterwards.
      await expect(impatient.query('SELECT pg_sleep(1)')).rejects.toThrow(/statement timeout/);
    } finally {
      await impatient.close();
    }
  });

  it('lists applied and pending migrations after migrate({ to: 2 })', async () => {
    const { db } = await emptyDatabase();
    const migrator = new Migrator(db);
    expect(await migrator.migrate({ to: 2 })).toEqual([1, 2]);
    const status = await migrator.status();
    expect(status.map(({ version, name, state }) => ({ version, name, state }))).toEqual(
      migrations.map(({ version, name }) => ({
        version,
        name,
        state: version <= 2 ? 'applied' : 'pending',
      })),
    );
    for (const { state, appliedAt } of status) {
      if (state === 'applied') expect(appliedAt).toBeInstanceOf(Date);
      else expect(appliedAt).toBeNull();
    }
    expect(await migrator.currentVersion()).toEqual({ version: 2, pending: latest - 2 });
  });

  it('refuses a target version that does not exist', async () => {
    const { db } = await emptyDatabase();
    await expect(new Migrator(db).migrate({ to: latest + 1 })).rejects.toThrow(
      `there is no migration ${latest + 1}`,
    );
    expect(await tableNames(db)).toEqual([]);
  });
});

describe('Migrator on embedded', () => {
  it('migrates, rolls back to 0 and migrates again on PGlite', async () => {
    const db = await openEmbeddedDatabase(undefined);
    try {
      const migrator = new Migrator(db);
      expect(await migrator.migrate()).toEqual(versions);
      const migrated = await snapshotCatalog(db);
      expect(await migrator.rollback({ to: 0 })).toEqual([...versions].reverse());
      expect(await tableNames(db)).toEqual(['schema_migrations']);
      expect(await migrator.migrate()).toEqual(versions);
      expect(await snapshotCatalog(db)).toEqual(migrated);
      expect(await migrator.migrate()).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
