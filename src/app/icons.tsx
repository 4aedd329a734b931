/** Transport icons as inline SVG (the usual media-control characters are missing from many fonts). */
const paths = {
  start: 'M2 2h2v12H2zM14 2v12L5 8z',
  prevOp: 'M8 2v12L1 8zM15 2v12L8 8z',
  back: 'M12 2v12L4 8z',
  play: 'M4 2v12l10-6z',
  pause: 'M3 2h4v12H3zM9 2h4v12H9z',
  forward: 'M4 2v12l8-6z',
  nextOp: 'M1 2v12l7-6zM8 2v12l7-6z',
  end: 'M2 2v12l9-6zM12 2h2v12h-2z',
} as const;

export type IconName = keyof typeof paths;

export function Icon({ name }: { name: IconName }) {
  return (
    <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true">
      <path d={paths[name]} />
    </svg>
  );
}
