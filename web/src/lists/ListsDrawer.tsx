import { type ReactNode, useEffect, useRef } from 'react';

interface Props {
  id: string;
  open: boolean;
  onClose: () => void;
  children: ReactNode;
}

/**
 * The sidebar on a phone: a modal dialog from the left edge. showModal() keeps focus inside
 * and the page behind inert, closes on Escape, and gives focus back to the menu button.
 */
export function ListsDrawer({ id, open, onClose, children }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);

  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the keyboard's way out is Escape, which the dialog handles itself
    <dialog
      id={id}
      ref={dialog}
      className="drawer"
      aria-label="Lists"
      onClose={onClose}
      // The dialog itself is hit only outside its panel: on the backdrop.
      onClick={(event) => {
        if (event.target === event.currentTarget) onClose();
      }}
    >
      <div className="drawer-panel">
        <div className="drawer-head">
          <span className="brand">Tasks</span>
          <button type="button" className="close-drawer" onClick={onClose}>
            Close<span className="visually-hidden"> lists</span>
          </button>
        </div>
        {children}
      </div>
    </dialog>
  );
}
