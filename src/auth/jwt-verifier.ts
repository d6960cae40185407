import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
} from 'jose';

// JWTs are checked locally against cached key sets: no database round trip per request.
// Our own keys come from Better Auth once and again only when a token names an unknown key
// (rotation), at most every 30 s; an external deployment's keys (AUTH_JWKS_URL) are fetched
// and cached by jose.

export interface VerifiedClaims {
  sub: string;
  email?: string;
  name?: string;
}

export interface JwtVerifierOptions {
  loadOwnKeys: () => Promise<JSONWebKeySet>;
  issuer: string;
  audience: string;
  /** Another deployment's JWKS URL; its tokens must also name externalIssuer and externalAudience. */
  externalJwksUrl?: string;
  externalIssuer?: string;
  externalAudience?: string;
  /** An external token's exp may be at most this far ahead (JWT_TTL_SECONDS). */
  externalMaxLifetimeSeconds?: number;
}

const REFRESH_INTERVAL_MS = 30_000;
/** JWT_TTL_SECONDS's default. */
const DEFAULT_MAX_LIFETIME_SECONDS = 900;
/** Tokens remembered as verified; a client sends the same one on every request. */
const VERIFIED_CACHE_SIZE = 10_000;

export class JwtVerifier {
  #own: ReturnType<typeof createLocalJWKSet> | undefined;
  // token → its claims and expiry (ms). Verifying EdDSA costs ~0.25 ms of CPU, a quarter of a
  // list request; a JWT cannot change, so one that verified stays valid until it expires.
  // Emptied whenever the key set is reloaded, so a rotated-out key stops working at once.
  readonly #verified = new Map<string, { claims: VerifiedClaims; expiresAt: number }>();
  #loadedAt = 0;
  #loading: Promise<void> | undefined;
  readonly #external: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(private readonly options: JwtVerifierOptions) {
    if (options.externalJwksUrl && (!options.externalIssuer || !options.externalAudience)) {
      // Signature alone would accept that deployment's tokens for any audience.
      throw new Error('an external JWKS needs the issuer and the audience its tokens must name');
    }
    this.#external = options.externalJwksUrl
      ? createRemoteJWKSet(new URL(options.externalJwksUrl))
      : undefined;
  }

  /** The token's claims, or undefined when it is not valid (signature, expiry, issuer, audience). */
  async verify(token: string): Promise<VerifiedClaims | undefined> {
    const remembered = this.#verified.get(token);
    if (remembered) {
      if (remembered.expiresAt > Date.now()) return remembered.claims;
      this.#verified.delete(token);
    }
    const payload = (await this.verifyOwn(token)) ?? (await this.verifyExternal(token));
    if (!payload || typeof payload.sub !== 'string' || payload.sub === '') return undefined;
    const claims: VerifiedClaims = {
      sub: payload.sub,
      email: typeof payload.email === 'string' ? payload.email : undefined,
      name: typeof payload.name === 'string' ? payload.name : undefined,
    };
    if (typeof payload.exp === 'number') this.remember(token, claims, payload.exp * 1000);
    return claims;
  }

  private remember(token: string, claims: VerifiedClaims, expiresAt: number): void {
    if (this.#verified.size >= VERIFIED_CACHE_SIZE) {
      // Maps keep insertion order: drop the oldest entry.
      this.#verified.delete(this.#verified.keys().next().value!);
    }
    this.#verified.set(token, { claims, expiresAt });
  }

  private async verifyOwn(token: string): Promise<JWTPayload | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const keys = await this.ownKeys(attempt > 0);
      if (!keys) return undefined;
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: this.options.issuer,
          audience: this.options.audience,
          algorithms: ['EdDSA'],
        });
        return payload;
      } catch (error) {
        if (!(error instanceof errors.JWKSNoMatchingKey)) return undefined;
      }
    }
    return undefined;
  }

  private async verifyExternal(token: string): Promise<JWTPayload | undefined> {
    if (!this.#external) return undefined;
    try {
      const { payload } = await jwtVerify(token, this.#external, {
        algorithms: ['EdDSA', 'ES256', 'RS256'],
        issuer: this.options.externalIssuer,
        audience: this.options.externalAudience,
        requiredClaims: ['exp'],
      });
      // A token valid for longer than we would issue one is refused, not trusted for a year.
      const maxLifetime = this.options.externalMaxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;
      if (payload.exp! > Math.floor(Date.now() / 1000) + maxLifetime) return undefined;
      return payload;
    } catch {
      return undefined;
    }
  }

  private async ownKeys(refresh: boolean) {
    const stale = refresh && Date.now() - this.#loadedAt > REFRESH_INTERVAL_MS;
    if (!this.#own || stale) {
      this.#loading ??= this.options
        .loadOwnKeys()
        .then((set) => {
          this.#own = createLocalJWKSet(set);
          this.#loadedAt = Date.now();
          this.#verified.clear();
        })
        .finally(() => {
          this.#loading = undefined;
        });
      await this.#loading;
    }
    return this.#own;
  }
}

/** Cheap shape test: three base64url segments, the first a JSON header with "alg". */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  try {
    return typeof JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')).alg === 'string';
  } catch {
    return false;
  }
}
