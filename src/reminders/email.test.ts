import { createServer, type Server, type Socket } from 'node:net';
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createReminderMailer,
  type ReminderEmail,
  type ReminderMailer,
  reminderMessage,
} from './email.js';

const from = 'Tasks <tasks@localhost>';

function reminder(overrides: Partial<ReminderEmail> = {}): ReminderEmail {
  return {
    to: 'ada@example.com',
    name: 'Ada Lovelace',
    title: 'Pay rent',
    dueDate: new Date('2026-12-01T08:00:00Z'),
    fireAt: new Date('2026-12-01T07:45:00Z'),
    late: false,
    timeZone: 'Europe/Berlin',
    taskUrl: 'https://tasks.example.com/tasks/42',
    ...overrides,
  };
}

interface CapturedMessage {
  parsed: ParsedMail;
  recipients: string[];
}

interface TestSmtpServer {
  port: number;
  messages: CapturedMessage[];
  close(): Promise<void>;
}

// Everything a test opens is closed after it, so the run leaves no socket behind.
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function mailer(smtpUrl: string, options?: { timeoutMs?: number }): ReminderMailer {
  const created = createReminderMailer(smtpUrl, from, options);
  cleanups.push(() => created.close());
  return created;
}

/** An in-process SMTP server on 127.0.0.1 that keeps every message it accepts, parsed. */
async function startSmtpServer(options: SMTPServerOptions = {}): Promise<TestSmtpServer> {
  const messages: CapturedMessage[] = [];
  const server = new SMTPServer({
    authOptional: true,
    // Quiet, and no warning about its built-in test certificate on stderr.
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        simpleParser(Buffer.concat(chunks)).then(
          (parsed) => {
            messages.push({ parsed, recipients: session.envelope.rcptTo.map((r) => r.address) });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
    ...options,
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
    return closed;
  };
  cleanups.push(close);
  return { port: address.port, messages, close };
}

/** A TCP server that accepts connections and never says a word, like a hung relay. */
async function startSilentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects.flatMap((object) => object.value.map((entry) => entry.address ?? ''));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected a rejection');
}

function openTcpSockets(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length;
}

describe('reminderMessage', () => {
  it('names the task in the subject, the text and the HTML, with the link', () => {
    const message = reminderMessage(reminder());
    expect(message.subject).toBe('Reminder: Pay rent');
    expect(message.text).toContain('Pay rent');
    expect(message.text).toContain('https://tasks.example.com/tasks/42');
    expect(message.html).toContain('Pay rent');
    expect(message.html).toContain('href="https://tasks.example.com/tasks/42"');
  });

  it('writes the due time in the recipient zone, with the zone name', () => {
    const message = reminderMessage(reminder());
    expect(message.text).toContain('Tue, 1 Dec 2026, 09:00 (Europe/Berlin)');
    expect(message.html).toContain('Tue, 1 Dec 2026, 09:00 (Europe/Berlin)');
  });

  it('follows daylight saving time: 09:00 in Berlin is 07:00Z in July and 08:00Z in January', () => {
    const summer = reminderMessage(reminder({ dueDate: new Date('2026-07-07T07:00:00Z') }));
    const winter = reminderMessage(reminder({ dueDate: new Date('2026-01-13T08:00:00Z') }));
    expect(summer.text).toContain('Tue, 7 Jul 2026, 09:00 (Europe/Berlin)');
    expect(winter.text).toContain('Tue, 13 Jan 2026, 09:00 (Europe/Berlin)');
  });

  it('handles a zone with a 30-minute offset (Asia/Kolkata)', () => {
    const message = reminderMessage(
      reminder({ dueDate: new Date('2026-12-01T03:30:00Z'), timeZone: 'Asia/Kolkata' }),
    );
    expect(message.text).toContain('Tue, 1 Dec 2026, 09:00 (Asia/Kolkata)');
  });

  it('says "no due date" when the task has none', () => {
    const message = reminderMessage(reminder({ dueDate: null }));
    expect(message.text).toContain('no due date');
    expect(message.html).toContain('no due date');
  });

  it('falls back to UTC for a zone it does not know', () => {
    const message = reminderMessage(reminder({ timeZone: 'Nowhere/Atlantis' }));
    expect(message.text).toContain('Tue, 1 Dec 2026, 08:00 (UTC)');
  });

  it('notes a late reminder with the time it was due, and only then', () => {
    const late = reminderMessage(reminder({ late: true }));
    expect(late.text).toContain(
      'This reminder is late: it was due at Tue, 1 Dec 2026, 08:45 (Europe/Berlin).',
    );
    expect(late.html).toContain('This reminder is late: it was due at Tue, 1 Dec 2026, 08:45');
    const onTime = reminderMessage(reminder({ late: false }));
    expect(onTime.text).not.toContain('late');
    expect(onTime.html).not.toContain('late');
  });

  it('escapes the title in the HTML', () => {
    const message = reminderMessage(reminder({ title: '<script>alert("x")</script> & co' }));
    expect(message.html).not.toContain('<script>');
    expect(message.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
    expect(message.text).toContain('<script>alert("x")</script> & co');
  });

  it('keeps the subject to one line of sane length, and the whole title in the body', () => {
    const title = `${'long '.repeat(80)}end`;
    const message = reminderMessage(reminder({ title }));
    expect(Array.from(message.subject).length).toBeLessThanOrEqual('Reminder: '.length + 100);
    expect(message.subject.endsWith('…')).toBe(true);
    expect(message.text).toContain(title);
    expect(reminderMessage(reminder({ title: 'Pay\r\nBcc: x@y\u2028rent' })).subject).toBe(
      'Reminder: Pay Bcc: x@y rent',
    );
  });

  it('refuses a task link that is not http(s)', () => {
    expect(() => reminderMessage(reminder({ taskUrl: 'javascript:alert(1)' }))).toThrow(/http/);
    expect(() => reminderMessage(reminder({ taskUrl: '/tasks/42' }))).toThrow(/absolute/);
  });
});

describe('createReminderMailer against a real SMTP server', () => {
  it('delivers the reminder: To, From, Subject, text body and link', async () => {
    // The server offers STARTTLS with a certificate nothing trusts: a loopback relay is spoken to in plain SMTP.
    const server = await startSmtpServer();
    await mailer(`smtp://127.0.0.1:${server.port}`).send(reminder({ late: true }));

    expect(server.messages).toHaveLength(1);
    const { parsed, recipients } = server.messages[0]!;
    expect(recipients).toEqual(['ada@example.com']);
    expect(addresses(parsed.to)).toEqual(['ada@example.com']);
    expect(Array.isArray(parsed.to) ? undefined : parsed.to?.value[0]?.name).toBe('Ada Lovelace');
    expect(parsed.from?.value[0]).toMatchObject({ address: 'tasks@localhost', name: 'Tasks' });
    expect(parsed.subject).toBe('Reminder: Pay rent');
    expect(parsed.text).toContain('Pay rent');
    expect(parsed.text).toContain('Tue, 1 Dec 2026, 09:00 (Europe/Berlin)');
    expect(parsed.text).toContain('This reminder is late');
    expect(parsed.text).toContain('https://tasks.example.com/tasks/42');
    expect(parsed.html).toContain('href="https://tasks.example.com/tasks/42"');
  });

  it('lets no header in through the title, and no recipient through the address', async () => {
    const server = await startSmtpServer();
    const sender = mailer(`smtp://127.0.0.1:${server.port}`);
    await sender.send(reminder({ title: 'Pay rent\r\nBcc: x@y\r\n\r\n<script>alert(1)</script>' }));

    const { parsed, recipients } = server.messages[0]!;
    expect(recipients).toEqual(['ada@example.com']);
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(parsed.subject).toBe('Reminder: Pay rent Bcc: x@y <script>alert(1)</script>');
    expect(parsed.html).not.toContain('<script>');
    expect(parsed.html).toContain('&lt;script&gt;');

    const injected = await rejection(
      sender.send(reminder({ to: 'ada@example.com, eve@example.com' })),
    );
    expect(injected.message).toMatch(/single email address/);
    expect(server.messages).toHaveLength(1);
  });

  it('logs in with the credentials in the URL', async () => {
    const password = 'p@ss w0rd:/';
    const server = await startSmtpServer({
      authOptional: false,
      // The test server has no TLS of its own; the client only speaks plain SMTP to loopback.
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === 'mailer' && auth.password === password) {
          callback(null, { user: auth.username });
        } else {
          // Echoes the password back, as a careless relay might, to prove it is scrubbed.
          callback(new Error(`Invalid credentials ${auth.username}:${auth.password}`));
        }
      },
    });
    const url = (pass: string) =>
      `smtp://mailer:${encodeURIComponent(pass)}@127.0.0.1:${server.port}`;

    await mailer(url(password)).send(reminder());
    expect(server.messages).toHaveLength(1);

    const wrongPassword = 'hunter2 wrong';
    const error = await rejection(mailer(url(wrongPassword)).send(reminder()));
    expect(error.message).toMatch(/^Reminder email not sent: .*535/);
    expect(error.message).not.toContain(wrongPassword);
    expect(error.message).not.toContain(encodeURIComponent(wrongPassword));
    expect(error.message).not.toContain(url(wrongPassword));
    expect(error.message).not.toContain('mailer:');
    expect(server.messages).toHaveLength(1);

    const anonymous = await rejection(mailer(`smtp://127.0.0.1:${server.port}`).send(reminder()));
    expect(anonymous.message).toMatch(/^Reminder email not sent: .*530/);
  });

  it('rejects when the server refuses the message (451, temporary)', async () => {
    const server = await startSmtpServer({
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () =>
          callback(Object.assign(new Error('Try again later'), { responseCode: 451 })),
        );
      },
    });
    const error = await rejection(mailer(`smtp://127.0.0.1:${server.port}`).send(reminder()));
    expect(error.message).toMatch(/^Reminder email not sent: .*451 Try again later/);
    expect(error).toMatchObject({ code: 'EMESSAGE', permanent: false });
  });

  it('rejects at once when nothing listens on the port', async () => {
    const port = await closedPort();
    const started = Date.now();
    const error = await rejection(
      mailer(`smtp://127.0.0.1:${port}`, { timeoutMs: 2000 }).send(reminder()),
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.message).toMatch(/^Reminder email not sent: .*ECONNREFUSED/);
  });

  it('rejects within the timeout when the server never answers', async () => {
    const port = await startSilentServer();
    const started = Date.now();
    const error = await rejection(
      mailer(`smtp://127.0.0.1:${port}`, { timeoutMs: 500 }).send(reminder()),
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.message).toMatch(/^Reminder email not sent: .*(greeting|timed out)/i);
  });

  it('refuses a URL that is not smtp:// or smtps://, without repeating its credentials', () => {
    expect(() => createReminderMailer('https://user:s3cret@mail.example.com', from)).toThrow(
      /smtp:\/\/ or smtps:\/\//,
    );
    try {
      createReminderMailer('https://user:s3cret@mail.example.com', from);
    } catch (error) {
      expect(String(error)).not.toContain('s3cret');
    }
    expect(() => createReminderMailer('not a url s3cret', from)).toThrow(/not a valid URL$/);
  });

  it('close() releases the transport: no socket stays open, and later sends reject', async () => {
    const baseline = openTcpSockets();
    const server = await startSmtpServer();
    const sender = createReminderMailer(`smtp://127.0.0.1:${server.port}`, from);
    await sender.send(reminder());
    sender.close();
    await server.close();

    // The client's socket ends just after the reply to QUIT; give it a moment, not a hang.
    const deadline = Date.now() + 2000;
    while (openTcpSockets() > baseline && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(openTcpSockets()).toBe(baseline);
    await expect(sender.send(reminder())).rejects.toThrow(/closed/);
  });
});
