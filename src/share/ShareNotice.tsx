import { useState } from 'react';

/**
 * Why part of the address could not be used (a damaged share link, one from a newer version of the
 * app, embed options that were ignored, an unknown scenario name): shown in the app's notices row,
 * in the app's theme, until the reader dismisses it. The app has opened what it could instead.
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
    <div className="dv-notice" data-kind="error" role="alert" data-testid={testId} data-newer={newer ? 'true' : 'false'}>
      <p>
        <strong>{heading}</strong> {message}
        {tail}
      </p>
      <button type="button" onClick={() => setOpen(false)} data-testid={`${testId}-close`} aria-label="Dismiss this notice">
        ✕
      </button>
    </div>
  );
}
