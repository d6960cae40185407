/** The signed-in caller, as the auth middleware found it. */
export interface CurrentUser {
  id: string;
  email: string | undefined;
  name: string | undefined;
  via: 'cookie' | 'session-token' | 'jwt';
}

/** Hono's typed per-request variables. */
export interface AppEnv {
  Variables: {
    requestId: string;
    user: CurrentUser;
  };
}
