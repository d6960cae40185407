import { useRef, useState } from 'react';
import { useAnnouncement } from '../announcements';
import { ListsDrawer } from '../lists/ListsDrawer';
import { ListView } from '../lists/ListView';
import { listIdFromSearch } from '../lists/list-address';
import { Sidebar } from '../lists/Sidebar';
import { useMediaQuery } from '../media-query';
import { useLocation } from '../navigation';
import { NotificationsBell } from '../notifications/NotificationsBell';
import { SettingsButton } from '../settings/SettingsButton';
import { AssignedView } from '../sharing/AssignedView';
import { isAssignedView } from '../sharing/addresses';
import { AllTasksView } from './AllTasksView';
import { useProfile } from './hooks';

/** Where the sidebar becomes a drawer behind a menu button (styles.css agrees). */
const PHONE = '(max-width: 40rem)';

interface Props {
  onSignOut: () => void;
}

/** The signed-in screen: who you are, the lists, and all tasks, one list or your assigned tasks. */
export function TasksPage({ onSignOut }: Props) {
  const location = useLocation();
  const listId = listIdFromSearch(location.search);
  const assigned = listId === null && isAssignedView(location.search);
  const profile = useProfile();
  const phone = useMediaQuery(PHONE);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  const announcement = useAnnouncement();

  const closeDrawer = () => {
    setDrawerOpen(false);
    menuButton.current?.focus();
  };
  const sidebar = (
    <Sidebar
      currentListId={listId}
      assignedCurrent={assigned}
      onNavigate={phone ? closeDrawer : undefined}
    />
  );

  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <div className="topbar-start">
            {phone && (
              <button
                type="button"
                ref={menuButton}
                className="menu-button"
                aria-expanded={drawerOpen}
                aria-controls="lists-drawer"
                onClick={() => setDrawerOpen(true)}
              >
                <MenuIcon /> Lists
              </button>
            )}
            <span className="brand">Tasks</span>
          </div>
          <div className="account">
            {profile.data && (
              <span className="user-name" title={profile.data.email}>
                {profile.data.name}
              </span>
            )}
            <NotificationsBell />
            <SettingsButton />
            <button type="button" onClick={onSignOut}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <div className="layout">
        {phone ? (
          <ListsDrawer id="lists-drawer" open={drawerOpen} onClose={closeDrawer}>
            {sidebar}
          </ListsDrawer>
        ) : (
          <aside className="sidebar-column">{sidebar}</aside>
        )}
        <main className="page">
          {listId !== null ? (
            <ListView listId={listId} />
          ) : assigned ? (
            <AssignedView />
          ) : (
            <AllTasksView />
          )}
        </main>
      </div>
      <p className="visually-hidden" role="status">
        {announcement}
      </p>
    </>
  );
}

function MenuIcon() {
  return (
    <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" focusable="false">
      <path d="M3 5h14M3 10h14M3 15h14" stroke="currentColor" strokeWidth="2" />
    </svg>
  );
}
