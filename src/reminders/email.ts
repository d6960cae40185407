import nodemailer, { type NodemailerError, type SMTPTransportOptions } from 'nodemailer';

export interface ReminderEmail {
  to: string; // recipient address
  name: string; // recipient's display name
  title: string; // task title (user text: never trusted as HTML)
  dueDate: Date | null; // the task's due date (null when none)
  fireAt: Date; // when the reminder was due
  late: boolean; // fired late (the server was down at the time)
  timeZone: string; // the recipient's IANA zone, used to write the due time
  taskUrl: string; // absolute link to the task in the web app
}

export interface ReminderMailer {
  /** Sends one reminder; rejects with an Error whose message never contains credentials when delivery fails. */
  send(email: ReminderEmail): Promise<void>;
  close(): void;
}

/** Longest title the subject carries, in code points; the body always has the whole title. */
const subjectTitleLength = 100;
const defaultTimeoutMs = 30_000;

/** A failed delivery: `code` is nodemailer's (EAUTH, ECONNECTION, ETIMEDOUT, EMESSAGE…), `permanent` is set from the SMTP reply when there was one. */
class ReminderDeliveryError extends Error {
  override name = 'ReminderDeliveryError';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly permanent: boolean | undefined,
  ) {
    super(message);
  }
}

/** A mailer for SMTP_URL (smtp:// or smtps://, user:password optional, e.g. smtp://user:pass@host:587), sending from `from` (e.g. 'Tasks <tasks@localhost>'). */
export function createReminderMailer(
  smtpUrl: string,
  from: string,
  options?: { timeoutMs?: number },
): ReminderMailer {
  const timeoutMs = options?.timeoutMs ?? defaultTimeoutMs;
  const connection = parseSmtpUrl(smtpUrl);
  const transportOptions: SMTPTransportOptions = {
    host: connection.host,
    port: connection.port,
    secure: connection.secure,
    auth: connection.hasCredentials ? { user: connection.user, pass: connection.pass } : undefined,
    // A relay on this machine is reached without leaving it, so plain SMTP is fine there
    // (local relays often offer STARTTLS with a certificate nothing can verify).
    ignoreTLS: !connection.secure && connection.loopback,
    // Elsewhere STARTTLS is used whenever offered, and is a must before a password crosses the network.
    requireTLS: !connection.secure && !connection.loopback && connection.hasCredentials,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
    // Reminders carry no attachments; nothing should ever make the mailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  const transport = nodemailer.createTransport(transportOptions);
  const secrets = connection.secrets;
  let closed = false;

  return {
    async send(email) {
      if (closed) {
        throw new ReminderDeliveryError(
          'Reminder email not sent: the mailer is closed',
          'ECLOSED',
          true,
        );
      }
      const address = checkedAddress(email.to);
      const message = reminderMessage(email);
      try {
        await transport.sendMail({
          from,
          to: { name: oneLine(email.name), address },
          subject: message.subject,
          text: message.text,
          html: message.html,
          // Bounds the whole send, not only each wait, so a server that trickles replies cannot hold it.
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw deliveryError(error, timeoutMs, secrets);
      }
    },
    close() {
      closed = true;
      transport.close();
    },
  };
}

/** The message as sent (exported for tests and previews): subject, plain text and HTML body. */
export function reminderMessage(email: ReminderEmail): {
  subject: string;
  text: string;
  html: string;
} {
  const title = oneLine(email.title) || '(untitled)';
  const name = oneLine(email.name);
  const link = checkedTaskUrl(email.taskUrl);
  const due = email.dueDate ? zonedTime(email.dueDate, email.timeZone) : 'no due date';
  const lateNote = email.late
    ? `This reminder is late: it was due at ${zonedTime(email.fireAt, email.timeZone)}.`
    : null;
  const greeting = name ? `Hi ${name},` : 'Hello,';

  const text = [
    greeting,
    '',
    `Reminder: ${title}`,
    `Due: ${due}`,
    ...(lateNote ? ['', lateNote] : []),
    '',
    `Open the task: ${link}`,
    '',
  ].join('\n');

  const html = [
    '<!doctype html>',
    '<html><body>',
    `<p>${escapeHtml(greeting)}</p>`,
    `<p>Reminder: <strong>${escapeHtml(title)}</strong></p>`,
    `<p>Due: ${escapeHtml(due)}</p>`,
    ...(lateNote ? [`<p><em>${escapeHtml(lateNote)}</em></p>`] : []),
    `<p><a href="${escapeHtml(link)}">Open the task</a></p>`,
    '</body></html>',
    '',
  ].join('\n');

  return { subject: `Reminder: ${truncate(title, subjectTitleLength)}`, text, html };
}

interface SmtpConnection {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  pass: string;
  hasCredentials: boolean;
  loopback: boolean;
  /** Every form the credentials could take in an error message, to scrub them out. */
  secrets: string[];
}

function parseSmtpUrl(smtpUrl: string): SmtpConnection {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    // The URL itself is never repeated: it may hold a password.
    throw new Error('SMTP URL is not a valid URL');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new Error(`SMTP URL must start with smtp:// or smtps://, not ${url.protocol}//`);
  }
  if (!url.hostname) throw new Error('SMTP URL has no host');
  let user: string;
  let pass: string;
  try {
    user = decodeURIComponent(url.username);
    pass = decodeURIComponent(url.password);
  } catch {
    throw new Error('SMTP URL has badly encoded credentials');
  }
  const secure = url.protocol === 'smtps:';
  // WHATWG URL keeps the brackets of an IPv6 literal; sockets want the bare address.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const credentials = [user, pass, url.username, url.password].filter((part) => part !== '');
  const hasCredentials = user !== '' || pass !== '';
  const saslForms = hasCredentials ? [`\u0000${user}\u0000${pass}`, user, pass] : [];
  return {
    host,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    user,
    pass,
    hasCredentials,
    loopback: isLoopbackHost(host),
    secrets: [
      smtpUrl,
      ...credentials,
      ...saslForms
        .filter((form) => form !== '')
        .map((form) => Buffer.from(form).toString('base64')),
    ],
  };
}

function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase();
  return (
    lower === 'localhost' ||
    lower.endsWith('.localhost') ||
    lower === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(lower)
  );
}

/** An Error fit for logs: nodemailer's reason with every credential scrubbed, and no cause chain that could carry them. */
function deliveryError(
  error: unknown,
  timeoutMs: number,
  secrets: string[],
): ReminderDeliveryError {
  const failure = (error instanceof Error ? error : new Error(String(error))) as NodemailerError;
  const reason =
    failure.code === 'EABORT'
      ? `timed out after ${timeoutMs} ms`
      : failure.message || 'unknown error';
  const scrubbed = [...secrets]
    // Longest first, so a URL is scrubbed whole before the password inside it.
    .sort((a, b) => b.length - a.length)
    .reduce((text, secret) => text.split(secret).join('***'), reason);
  const code = failure.code === 'EABORT' ? 'ETIMEDOUT' : failure.code;
  return new ReminderDeliveryError(`Reminder email not sent: ${scrubbed}`, code, failure.permanent);
}

/** One mailbox, nothing that could turn into a second recipient or a header. */
function checkedAddress(to: string): string {
  const address = to.trim();
  if (!/^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+$/.test(address)) {
    throw new ReminderDeliveryError(
      'Reminder email not sent: the recipient is not a single email address',
      'EENVELOPE',
      true,
    );
  }
  return address;
}

function checkedTaskUrl(taskUrl: string): string {
  let url: URL;
  try {
    url = new URL(taskUrl);
  } catch {
    throw new Error('The task link is not an absolute URL');
  }
  // Anything else (javascript:, data:) would be a live link in someone's mail client.
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error('The task link must be an http(s) URL');
  }
  return url.href;
}

/** User text on one line: control characters and line breaks become spaces, so nothing ends a header. */
function oneLine(value: string): string {
  return value.replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ').trim();
}

/** Cut by code points, so a character outside the BMP is never split in half. */
function truncate(value: string, maxLength: number): string {
  const codePoints = Array.from(value);
  return codePoints.length <= maxLength
    ? value
    : `${codePoints
        .slice(0, maxLength - 1)
        .join('')
        .trimEnd()}…`;
}

const dateTimeFields: Intl.DateTimeFormatOptions = {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
};

/** E.g. "Tue, 1 Dec 2026, 09:00 (Europe/Berlin)"; an unknown zone falls back to UTC rather than losing the reminder. */
function zonedTime(date: Date, timeZone: string): string {
  let format: Intl.DateTimeFormat;
  let zoneName = timeZone;
  try {
    format = new Intl.DateTimeFormat('en-GB', { ...dateTimeFields, timeZone });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    format = new Intl.DateTimeFormat('en-GB', { ...dateTimeFields, timeZone: 'UTC' });
    zoneName = 'UTC';
  }
  // The zone as the user chose it: ICU would write some by older names (Asia/Kolkata as Asia/Calcutta).
  return `${format.format(date)} (${zoneName})`;
}

function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
