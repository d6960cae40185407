import pg from 'pg';
import { createPostgresCluster } from '../../support/postgres-cluster.js';

// Once per `npm test`: the tests need a PostgreSQL server where they may create databases.
// TEST_DATABASE_URL names one; unset, the machine's server on 127.0.0.1:5432 is used when it
// answers, and otherwise a throwaway server is started from the packaged binaries and
// removed when the run ends. Test workers inherit the URL through the environment.

export const LOCAL_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.TEST_DATABASE_URL) return undefined;
  if (await answers(LOCAL_SERVER_URL)) {
    process.env.TEST_DATABASE_URL = LOCAL_SERVER_URL;
    return undefined;
  }
  const cluster = await createPostgresCluster({
    // Every test file opens its own pools; durability is not what these tests are about.
    settings: { max_connections: '300', fsync: 'off', synchronous_commit: 'off' },
  });
  await cluster.start();
  process.env.TEST_DATABASE_URL = cluster.url;
  const { rows } = await cluster.query('SHOW server_version');
  console.log(
    `No PostgreSQL at 127.0.0.1:5432 and TEST_DATABASE_URL unset: started a throwaway PostgreSQL ${rows[0]?.server_version} on port ${cluster.port} for this run.`,
  );
  return () => cluster.destroy();
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
