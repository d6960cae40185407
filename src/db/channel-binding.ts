import { TLSSocket } from 'node:tls';
import pg from 'pg';

// libpq's channel_binding=require: authenticate with SCRAM-SHA-256-PLUS over TLS or not at
// all. node-postgres only *offers* channel binding and accepts a server that skips it
// (trust, password, md5, or plain SCRAM), so this client refuses those on its own.

export class ChannelBindingRequiredError extends Error {
  override name = 'ChannelBindingRequiredError';
  // A connection-class failure, so callers treat it like any failure to connect.
  readonly code = '08004';
}

interface AuthSaslMessage {
  mechanisms: string[];
}

type Internals = {
  connection: { stream: unknown; emit(event: 'error', error: Error): void };
  _connecting: boolean;
};

const refuse = (client: Internals, why: string) =>
  client.connection.emit(
    'error',
    new ChannelBindingRequiredError(
      `channel_binding=require, but ${why}; the connection was refused`,
    ),
  );

export class ChannelBindingClient extends pg.Client {
  #bound = false;

  _handleAuthSASL(msg: AuthSaslMessage): void {
    const self = this as unknown as Internals & { _handleAuthSASL(msg: AuthSaslMessage): void };
    if (!(self.connection.stream instanceof TLSSocket)) {
      refuse(self, 'the connection is not encrypted');
      return;
    }
    if (!msg.mechanisms.includes('SCRAM-SHA-256-PLUS')) {
      refuse(self, 'the server did not offer SCRAM-SHA-256-PLUS');
      return;
    }
    this.#bound = true;
    (pg.Client.prototype as unknown as typeof self)._handleAuthSASL.call(this, msg);
  }

  _handleAuthCleartextPassword(): void {
    refuse(this as unknown as Internals, 'the server asked for a clear-text password');
  }

  _handleAuthMD5Password(): void {
    refuse(this as unknown as Internals, 'the server asked for an md5 password');
  }

  _handleReadyForQuery(msg: unknown): void {
    const self = this as unknown as Internals & { _handleReadyForQuery(msg: unknown): void };
    // Reaching "ready" while connecting without SCRAM-PLUS means the server let us in with
    // no authentication that could bind the channel (trust).
    if (self._connecting && !this.#bound) {
      refuse(self, 'the server did not authenticate with SCRAM');
      return;
    }
    (pg.Client.prototype as unknown as typeof self)._handleReadyForQuery.call(this, msg);
  }
}
