import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { PoolConfig } from 'pg';

// libpq semantics for the connection URL. node-postgres reads `sslmode=require` as
// verify-full; libpq (and Neon's docs) mean "encrypted, certificate not checked".

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
const sslModes: readonly SslMode[] = [
  'disable',
  'allow',
  'prefer',
  'require',
  'verify-ca',
  'verify-full',
];

export interface PgConnectionOptions
  extends Pick<PoolConfig, 'host' | 'port' | 'user' | 'password' | 'database' | 'options'> {
  ssl: false | ConnectionOptions;
  enableChannelBinding: boolean;
  /** channel_binding=require: refuse a server that does not bind the channel (libpq). */
  requireChannelBinding: boolean;
  /** A transaction-mode pooler (PgBouncer, Neon's -pooler endpoint) sits in front. */
  pooled: boolean;
  applicationName: string | undefined;
}

export class ConnectionUrlError extends Error {
  override name = 'ConnectionUrlError';
}

export function parseConnectionUrl(url: string): PgConnectionOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConnectionUrlError('is not a valid URL');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConnectionUrlError('must start with postgres:// or postgresql://');
  }
  const params = parsed.searchParams;
  const sslmode = (params.get('sslmode') ?? 'prefer') as SslMode;
  if (!sslModes.includes(sslmode)) {
    throw new ConnectionUrlError(`has an unknown sslmode (use one of ${sslModes.join(', ')})`);
  }
  const channelBinding = params.get('channel_binding') ?? 'prefer';
  if (!['disable', 'prefer', 'require'].includes(channelBinding)) {
    throw new ConnectionUrlError('has an unknown channel_binding (use disable, prefer or require)');
  }
  if (
    channelBinding === 'require' &&
    (sslmode === 'disable' || sslmode === 'allow' || sslmode === 'prefer')
  ) {
    // Channel binding binds SCRAM to the TLS channel: there is nothing to bind without TLS.
    throw new ConnectionUrlError(
      'has channel_binding=require, which needs sslmode=require or stricter',
    );
  }
  const host =
    decodeURIComponent(parsed.hostname.replace(/^\[(.*)\]$/, '$1')) ||
    params.get('host') ||
    'localhost';
  return {
    host,
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username) || params.get('user') || undefined,
    password: decodeURIComponent(parsed.password) || params.get('password') || undefined,
    database: decodeURIComponent(parsed.pathname.slice(1)) || params.get('dbname') || undefined,
    options: params.get('options') ?? undefined,
    ssl: sslOptions(sslmode, host, params),
    enableChannelBinding: channelBinding !== 'disable' && sslmode !== 'disable',
    requireChannelBinding: channelBinding === 'require',
    pooled: params.get('pgbouncer') === 'true' || /-pooler\./.test(host),
    applicationName: params.get('application_name') ?? undefined,
  };
}

function sslOptions(
  mode: SslMode,
  host: string,
  params: URLSearchParams,
): false | ConnectionOptions {
  // node-postgres cannot fall back from TLS to plain text, so allow/prefer mean plain text;
  // a server that insists on TLS (Neon) says so at once, and the URL should say require.
  if (mode === 'disable' || mode === 'allow' || mode === 'prefer') return false;
  const rootCertPath = params.get('sslrootcert');
  const ca =
    rootCertPath && rootCertPath !== 'system' ? readFileSync(rootCertPath, 'utf8') : undefined;
  if (mode === 'require') return { rejectUnauthorized: false };
  if (mode === 'verify-ca') {
    // Chain checked, host name not.
    return { rejectUnauthorized: true, ca, checkServerIdentity: () => undefined };
  }
  return { rejectUnauthorized: true, ca, servername: host };
}

/** The URL with its password replaced, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return url
      .replace(/^([a-z]+:\/\/[^:/@]*):.*@/i, '$1:***@')
      .replace(/([?&]password=)[^&]*/gi, '$1***');
  }
}
