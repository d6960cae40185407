import type { ReactNode } from 'react';

// Small line icons, drawn in the text's colour; always beside text that says the same.

function LineIcon({ size, children }: { size: number; children: ReactNode }) {
  return (
    <svg
      className="icon"
      viewBox="0 0 20 20"
      width={size}
      height={size}
      aria-hidden="true"
      focusable="false"
      fill="none"
      stroke="currentColor"
      strokeLinejoin="round"
    >
      {children}
    </svg>
  );
}

export function BellIcon({ size = 16 }: { size?: number }) {
  return (
    <LineIcon size={size}>
      <path
        d="M10 2.5a5 5 0 0 0-5 5v3.2L3.5 13.5h13L15 10.7V7.5a5 5 0 0 0-5-5zM8 15.5a2 2 0 0 0 4 0"
        strokeWidth="1.6"
      />
    </LineIcon>
  );
}

export function RepeatIcon({ size = 14 }: { size?: number }) {
  return (
    <LineIcon size={size}>
      <path
        d="M4 9V8a3 3 0 0 1 3-3h9m-3-3 3 3-3 3M16 11v1a3 3 0 0 1-3 3H4m3 3-3-3 3-3"
        strokeWidth="1.6"
        strokeLinecap="round"
      />
    </LineIcon>
  );
}

export function GearIcon({ size = 18 }: { size?: number }) {
  return (
    <LineIcon size={size}>
      <path
        d="M16.28 7.96L18.43 8.32L18.43 11.68L16.28 12.04L15.88 13L17.15 14.78L14.78 17.15L13 15.88L12.04 16.28L11.68 18.43L8.32 18.43L7.96 16.28L7 15.88L5.22 17.15L2.85 14.78L4.12 13L3.72 12.04L1.57 11.68L1.57 8.32L3.72 7.96L4.12 7L2.85 5.22L5.22 2.85L7 4.12L7.96 3.72L8.32 1.57L11.68 1.57L12.04 3.72L13 4.12L14.78 2.85L17.15 5.22L15.88 7Z"
        strokeWidth="1.5"
      />
      <circle cx="10" cy="10" r="2.5" strokeWidth="1.5" />
    </LineIcon>
  );
}
