import { useState } from 'react';

/**
 * Why a share link could not be opened (damaged, or made by a newer version of the app). Shown
 * above the app, which has opened its default scenario instead; the reader can dismiss it.
 */
export function ShareNotice({
  message,
  newer = false,
  heading = 'The shared link could not be opened.',
  tail = ' The default scenario is shown instead.',
  testId = 'share-notice',
}: {
  message: string;
  newer?: boolean;
  heading?: string;
  tail?: string;
  testId?: string;
}) {
  const [open, setOpen] = useState(true);
  if (!open) return null;
  return (
    <div
      role="alert"
      data-testid={testId}
      data-newer={newer ? 'true' : 'false'}
      style={{
        position: 'fixed',
        top: 8,
        left: '50%',
        transform: 'translateX(-50%)',
        zIndex: 1000,
        maxWidth: 'min(90vw, 720px)',
        display: 'flex',
        gap: 12,
        alignItems: 'center',
        padding: '8px 12px',
        borderRadius: 6,
        border: '1px solid #b45309',
        background: '#fff7ed',
        color: '#431407',
        font: '14px/1.4 system-ui, sans-serif',
        boxShadow: '0 2px 8px rgba(0,0,0,0.25)',
      }}
    >
      <p style={{ margin: 0 }}>
        <strong>{heading}</strong> {message}
        {tail}
      </p>
      <button type="button" onClick={() => setOpen(false)} data-testid={`${testId}-close`} aria-label="Dismiss this notice">
        ✕
      </button>
    </div>
  );
}
