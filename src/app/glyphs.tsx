import type { StepCategory } from '../store';

/** A small shape per step category, so markers differ by shape as well as colour. */
export function CategoryGlyph({ cat, size = 9 }: { cat: StepCategory; size?: number }) {
  const r = size / 2;
  switch (cat) {
    case 'fault':
      return <path d={`M${-r},${-r} L${r},${-r} L0,${r} Z`} />;
    case 'cow':
      return <path d={`M0,${-r} L${r},0 L0,${r} L${-r},0 Z`} />;
    case 'writeback':
      return <circle r={r} />;
    case 'truncate':
      return <rect x={-r + 0.5} y={-r + 0.5} width={size - 1} height={size - 1} />;
    case 'failure': {
      const w = size / 4;
      return (
        <path
          d={`M${-r},${-r + w} L${-r + w},${-r} L0,${-w} L${r - w},${-r} L${r},${-r + w} L${w},0 L${r},${r - w} L${r - w},${r} L0,${w} L${-r + w},${r} L${-r},${r - w} L${-w},0 Z`}
        />
      );
    }
  }
}
