import { ApiError } from '../api/client';

// The refusals that sharing brings, said the same way wherever they happen: someone changed
// the caller's role, removed them, or deleted the list since the page was drawn.

export const NO_RIGHTS = 'You no longer have the rights to do that.';
export const LIST_GONE = 'This list is gone, or you no longer have access to it.';

/** The message for a failed sharing request. */
export function sharingErrorMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Try again.';
  switch (error.code) {
    case 'insufficient_role':
      return NO_RIGHTS;
    case 'list_not_found':
      return LIST_GONE;
    case 'member_not_found':
      return 'That person is no longer a member of this list.';
    case 'invitation_not_found':
      return 'That link no longer works: it was revoked, used up or has expired.';
    default:
      return error.userMessage;
  }
}

/** The caller's role or access changed: what the page knows of their lists is out of date. */
export const accessChanged = (error: unknown) =>
  error instanceof ApiError &&
  (error.code === 'insufficient_role' || error.code === 'list_not_found');
