import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../test/support/api.js';
import { ConfigError, loadConfig } from '../config.js';

// Tokens of another deployment (AUTH_JWKS_URL): its key set is served here by a tiny HTTP
// server, and each token is signed with its private key.

const ISSUER = 'https://id.example.test';
const AUDIENCE = 'https://todo.example.test';
const SUBJECT = 'external-user-1';

describe('external JWTs (AUTH_JWKS_URL)', () => {
  let server: Server;
  let api: TestApi;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    privateKey = pair.privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'external-1', alg: 'EdDSA' };
    server = createServer((_, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    api = await startTestApi({
      env: {
        AUTH_JWKS_URL: `http://127.0.0.1:${port}/api/auth/jwks`,
        AUTH_JWT_ISSUER: ISSUER,
        AUTH_JWT_AUDIENCE: AUDIENCE,
        JWT_TTL_SECONDS: '900',
      },
    });
  });
  afterAll(async () => {
    await api?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  interface Claims {
    issuer?: string;
    audience?: string;
    /** Seconds from now; undefined: no exp claim at all. */
    expiresIn?: number;
  }

  const sign = ({ issuer = ISSUER, audience = AUDIENCE, expiresIn = 600 }: Claims = {}) => {
    const jwt = new SignJWT({ email: 'ext@example.test' })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'external-1' })
      .setSubject(SUBJECT)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt();
    if (expiresIn !== undefined) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn);
    return jwt.sign(privateKey);
  };
  const statusWith = async (token: string) =>
    (await api.request('/api/tasks', { headers: { authorization: `Bearer ${token}` } })).status;

  it('accepts a token with the configured issuer and audience and an exp within JWT_TTL_SECONDS', async () => {
    expect(await statusWith(await sign())).toBe(200);
  });

  it('refuses a JWT for another audience', async () => {
    expect(await statusWith(await sign({ audience: 'https://other-app.example.test' }))).toBe(401);
  });

  it('refuses a JWT from another issuer', async () => {
    expect(await statusWith(await sign({ issuer: 'https://evil.example.test' }))).toBe(401);
  });

  it('refuses a JWT without exp', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: 'external-1' })
      .setSubject(SUBJECT)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .sign(privateKey);
    expect(await statusWith(token)).toBe(401);
  });

  it('refuses a JWT whose exp is further ahead than JWT_TTL_SECONDS', async () => {
    expect(await statusWith(await sign({ expiresIn: 901 + 60 }))).toBe(401);
    expect(await statusWith(await sign({ expiresIn: 365 * 24 * 3600 }))).toBe(401);
  });
});

describe('external JWT configuration', () => {
  const configErrorFor = (env: NodeJS.ProcessEnv): string => {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('loadConfig accepted the environment');
  };
  const jwks = 'https://id.example.test/api/auth/jwks';

  it('requires AUTH_JWT_ISSUER when AUTH_JWKS_URL is set', () => {
    expect(configErrorFor({ AUTH_JWKS_URL: jwks, AUTH_JWT_AUDIENCE: AUDIENCE })).toMatch(
      /AUTH_JWT_ISSUER/,
    );
  });

  it('requires AUTH_JWT_AUDIENCE when AUTH_JWKS_URL is set', () => {
    expect(configErrorFor({ AUTH_JWKS_URL: jwks, AUTH_JWT_ISSUER: ISSUER })).toMatch(
      /AUTH_JWT_AUDIENCE/,
    );
  });

  it('accepts AUTH_JWKS_URL with both, and neither without it', () => {
    expect(
      loadConfig({ AUTH_JWKS_URL: jwks, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE }),
    ).toMatchObject({ AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE });
    expect(loadConfig({}).AUTH_JWT_ISSUER).toBeUndefined();
  });

  it('caps JWT_TTL_SECONDS at 3600', () => {
    expect(loadConfig({ JWT_TTL_SECONDS: '3600' }).JWT_TTL_SECONDS).toBe(3600);
    expect(configErrorFor({ JWT_TTL_SECONDS: '3601' })).toMatch(/JWT_TTL_SECONDS/);
  });
});
