import { execFileSync } from 'node:child_process';
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresOsUser } from '../../support/postgres-binaries.js';
import { createPostgresCluster, type PostgresCluster } from '../../support/postgres-cluster.js';
import { openServerDatabase } from '../../test/support/test-database.js';

// channel_binding=require as in libpq, against a cluster of our own with TLS: SCRAM over TLS
// binds the channel and connects; a server that lets us in any other way is refused.

let cluster: PostgresCluster;

beforeAll(async () => {
  cluster = await createPostgresCluster({
    settings: { ssl: 'on', ssl_cert_file: 'server.crt', ssl_key_file: 'server.key' },
  });
  const crt = join(cluster.dataDir, 'server.crt');
  const key = join(cluster.dataDir, 'server.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      key,
      '-out',
      crt,
    ],
    { stdio: 'ignore' },
  );
  writeFileSync(
    join(cluster.dataDir, 'pg_hba.conf'),
    [
      'local all all trust',
      'hostssl all scram_user 127.0.0.1/32 scram-sha-256',
      'hostssl all trust_user 127.0.0.1/32 trust',
      'host all postgres 127.0.0.1/32 trust',
    ].join('\n'),
  );
  // As root the server runs as another OS user, who must own the files it reads.
  if (postgresOsUser) {
    const uid = Number(execFileSync('id', ['-u', postgresOsUser], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', postgresOsUser], { encoding: 'utf8' }));
    for (const file of [crt, key, join(cluster.dataDir, 'pg_hba.conf')]) chownSync(file, uid, gid);
  }
  execFileSync('chmod', ['600', key]);
  await cluster.start();
  await cluster.query("CREATE ROLE scram_user LOGIN PASSWORD 'not-a-real-password'");
  await cluster.query('CREATE ROLE trust_user LOGIN');
}, 60_000);

afterAll(() => cluster?.destroy());

const urlFor = (user: string, params: string) => {
  const url = new URL(cluster.urlFor('postgres', user));
  if (user === 'scram_user') url.password = 'not-a-real-password';
  return `${url.toString()}?${params}`;
};

async function whoAmI(url: string): Promise<string> {
  const db = openServerDatabase(url, 1);
  try {
    const rows = await db.query<{ user: string }>('SELECT current_user AS user');
    return rows[0]!.user;
  } finally {
    await db.close();
  }
}

describe('channel_binding=require', () => {
  it('connects when the server authenticates with SCRAM over TLS', async () => {
    expect(await whoAmI(urlFor('scram_user', 'sslmode=require&channel_binding=require'))).toBe(
      'scram_user',
    );
  });

  it('refuses a server that lets the client in without SCRAM (trust)', async () => {
    await expect(
      whoAmI(urlFor('trust_user', 'sslmode=require&channel_binding=require')),
    ).rejects.toThrow(/channel_binding=require/);
  });

  it('lets the same server in when channel binding is only preferred', async () => {
    expect(await whoAmI(urlFor('trust_user', 'sslmode=require'))).toBe('trust_user');
  });
});
