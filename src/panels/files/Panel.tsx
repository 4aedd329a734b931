/**
 * Files and extents: every file with its inode, size and DAX flag, and its extents as a bar along
 * the file offset (file block → device block, written or unwritten, shared with a reference
 * count). A copy-on-write remap made by the current operation is marked old block → new block
 * and, unless the user prefers reduced motion, the new piece slides in from where the old one was.
 * Everything comes from the trace (keyframes + steps), never from the engine.
 */
import { useMemo } from 'react';
import { useSim, useSimShallow } from '../../store';
import { timelineOf, useHighlight, usePickProps, useWorld } from '../highlight/hooks';
import type { PanelProps } from '../types';
import { BAR_GAP, BAR_H, COW_H, layoutFileBar, remapsBetween, type PieceLayout, type Remap } from './layout';
import { sortedFiles } from './state';
import '../highlight/highlight.css';

const BAR_W = 300;

function sizeText(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 4096 && n % 4096 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

export function FilesPanel({ reducedMotion }: PanelProps) {
  const world = useWorld();
  const hl = useHighlight(world);
  const pick = usePickProps();
  const { steps, opStarts, machine } = useSimShallow((s) => ({ steps: s.steps, opStarts: s.opStarts, machine: s.machine }));
  const cursor = useSim((s) => s.cursor);

  // The files at the start of the current operation: built once per operation, not on every step.
  const op = cursor > 0 ? (steps[cursor - 1]?.op ?? -1) : -1;
  const opStart = useMemo(
    () => (machine && op >= 0 ? timelineOf({ steps, opStarts, machine }).filesAtBoundary(op) : null),
    [machine, steps, opStarts, op],
  );
  // Remaps of the current operation so far: extents at the op's start vs now.
  const remaps = useMemo((): Remap[] => {
    if (!world || !opStart) return [];
    const out: Remap[] = [];
    for (const f of world.files.files.values()) {
      const was = opStart.files.get(f.ino)?.extents ?? [];
      out.push(...remapsBetween(f.ino, was, f.extents).filter((r) => r.from !== null));
    }
    return out;
  }, [world, opStart]);

  if (!world) return <div className="dv-files dv-empty">No machine in this scenario: the files panel needs a machine run.</div>;
  const files = sortedFiles(world.files);
  const shared = [...world.files.refcount.entries()].sort((a, b) => a[0] - b[0]);

  return (
    <div className="dv-files" data-testid="files-panel">
      <div className="dv-files-key">
        <span className="dv-key">
          <svg width="12" height="12" aria-hidden="true"><rect width="11" height="11" x="0.5" y="0.5" className="dv-ext" data-state="written" /></svg>written
        </span>
        <span className="dv-key">
          <svg width="12" height="12" aria-hidden="true"><rect width="11" height="11" x="0.5" y="0.5" className="dv-ext" data-state="unwritten" /></svg>unwritten
        </span>
        <span className="dv-key">
          <svg width="12" height="12" aria-hidden="true"><rect width="11" height="11" x="0.5" y="0.5" className="dv-ext" data-state="written" data-shared="true" /></svg>shared (×refcount)
        </span>
      </div>
      {files.length === 0 && <p className="dv-empty">No files yet.</p>}
      {files.map((f) => {
        const bar = layoutFileBar(f, world.files, BAR_W);
        const fileLit = hl.files.has(f.ino);
        const myRemaps = remaps.filter((r) => r.ino === f.ino);
        return (
          <section key={f.ino} className="dv-file" data-ino={f.ino} data-lit={fileLit || undefined} aria-label={`file ${f.name}`}>
            <h3>
              <button type="button" className="dv-linkish" {...pick({ kind: 'file', ino: f.ino })} data-testid={`file-${f.ino}`}>
                {f.name}
              </button>
              <span className="dv-meta">
                ino {f.ino} · {sizeText(f.size)} · {f.dax ? 'dax' : 'page cache'}
                {f.reflink ? ' · reflink' : ''} · nrpages {f.nrpages}
              </span>
            </h3>
            <svg className="dv-bar" viewBox={`-1 -1 ${BAR_W + 2} ${bar.height + 2}`} width="100%" style={{ maxWidth: BAR_W * 1.6 }} role="img" aria-label={`extents of ${f.name} along the file offset`}>
              <rect className="dv-bar-track" x={0} y={0} width={BAR_W} height={BAR_H} />
              <line className="dv-eof" x1={bar.eofX} x2={bar.eofX} y1={-1} y2={BAR_H + 1} />
              {bar.pieces.map((p) => (
                <Piece key={p.key} p={p} h={BAR_H} y={0} lit={litPiece(p, hl.blocks, hl.pages)} remap={myRemaps.find((r) => p.off >= r.off && p.off < r.off + r.len) ?? null} animate={!reducedMotion} />
              ))}
              {bar.cow.map((p) => (
                <Piece key={p.key} p={p} h={COW_H} y={BAR_H + BAR_GAP} lit={false} remap={null} animate={false} cow />
              ))}
            </svg>
            <ul className="dv-extents">
              {f.extents.map((e) => {
                const lit = Array.from({ length: e.len }, (_, i) => e.block + i).some((b) => hl.blocks.has(b));
                const rc = Math.max(...Array.from({ length: e.len }, (_, i) => world.files.refcount.get(e.block + i) ?? 1));
                const rm = myRemaps.find((r) => r.off >= e.off && r.off < e.off + e.len);
                return (
                  <li key={`${f.ino}:${e.off}`} data-lit={lit || undefined}>
                    <button type="button" className="dv-linkish" {...pick({ kind: 'extent', ino: f.ino, off: e.off })} data-testid={`extent-${f.ino}-${e.off}`}>
                      {e.len === 1 ? `block ${e.off}` : `blocks ${e.off}..${e.off + e.len - 1}`} → dev {e.len === 1 ? e.block : `${e.block}..${e.block + e.len - 1}`}
                    </button>{' '}
                    <span className="dv-tag" data-state={e.state}>
                      {e.state}
                    </span>
                    {rc >= 2 && <span className="dv-tag dv-shared">shared ×{rc}</span>}
                    {rm && (
                      <span className="dv-remap" data-testid="remap">
                        CoW: dev {rm.from} → {rm.to}
                      </span>
                    )}
                  </li>
                );
              })}
              {f.cowFork.map((e) => (
                <li key={`cow:${f.ino}:${e.off}`} className="dv-cowfork">
                  cow fork: blocks {e.off}..{e.off + e.len - 1} → dev {e.block}..{e.block + e.len - 1} <span className="dv-tag" data-state={e.state}>{e.state}</span>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
      <p className="dv-meta dv-refcounts" data-testid="refcounts">
        {shared.length === 0 ? 'No shared blocks (refcount records).' : `Shared blocks: ${runs(shared)}`}
      </p>
    </div>
  );
}

function litPiece(p: PieceLayout, blocks: Set<number>, pages: Set<string>): boolean {
  for (let i = 0; i < p.len; i++) if (blocks.has(p.block + i) || pages.has(`${p.ino}:${p.off + i}`)) return true;
  return false;
}

/** "512..513 ×2, 900 ×3" */
function runs(rc: [number, number][]): string {
  const out: { a: number; len: number; n: number }[] = [];
  for (const [b, n] of rc) {
    const last = out[out.length - 1];
    if (last && last.a + last.len === b && last.n === n) last.len++;
    else out.push({ a: b, len: 1, n });
  }
  return out.map((r) => `${r.len === 1 ? r.a : `${r.a}..${r.a + r.len - 1}`} ×${r.n}`).join(', ');
}

function Piece({ p, h, y, lit, remap, animate, cow }: { p: PieceLayout; h: number; y: number; lit: boolean; remap: Remap | null; animate: boolean; cow?: boolean }) {
  const pick = usePickProps();
  const showLabel = p.w > p.label.length * 6.2 + 4;
  return (
    <g
      className="dv-piece"
      data-key={p.key}
      data-lit={lit || undefined}
      data-remap={remap ? 'true' : undefined}
      data-animate={remap && animate ? 'true' : undefined}
      {...(cow ? {} : pick({ kind: 'extent', ino: p.ino, off: p.extentOff }))}
    >
      <rect className="dv-ext" data-state={p.state} data-shared={p.refcount >= 2 || undefined} data-cow={cow || undefined} x={p.x} y={y} width={p.w} height={h} rx={2}>
        <title>{p.title}</title>
      </rect>
      {showLabel && h > 10 && (
        <text x={p.x + 3} y={y + h / 2} dy="0.35em" className="dv-ext-label">
          {p.label}
        </text>
      )}
    </g>
  );
}
