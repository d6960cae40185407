import { dismissNotice, useNotice } from './notices';

/** The current notice, as an alert that stays until dismissed or replaced. */
export function NoticeBar() {
  const notice = useNotice();
  if (!notice) return null;
  return (
    <div className="notice-bar" role="alert" key={notice.id}>
      <p>{notice.text}</p>
      <button type="button" className="link-button" onClick={dismissNotice}>
        Dismiss
      </button>
    </div>
  );
}
