import { dictionary } from '@zxcvbn-ts/language-common';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/** The common-password list of @zxcvbn-ts/language-common (tens of thousands of entries). */
export const commonPasswords: readonly string[] = dictionary['passwords-common'];

// Only entries long enough to pass the length rule can matter; compared case-insensitively.
const common = new Set(
  commonPasswords.filter((p) => p.length >= PASSWORD_MIN_LENGTH).map((p) => p.toLowerCase()),
);

export function isCommonPassword(password: string): boolean {
  return common.has(password.toLowerCase());
}

export const PASSWORD_TOO_COMMON = {
  code: 'PASSWORD_TOO_COMMON',
  message: 'Password is too common; choose one that is harder to guess',
} as const;
