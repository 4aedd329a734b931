/**
 * Follow a pointer drag that started on `handle` (a resize separator): capture the pointer, call
 * `onMove` with each move event, and stop at pointerup or pointercancel.
 */
export function trackDrag(handle: HTMLElement, pointerId: number, onMove: (ev: PointerEvent) => void): void {
  handle.setPointerCapture(pointerId);
  const up = () => {
    handle.removeEventListener('pointermove', onMove);
    handle.removeEventListener('pointerup', up);
    handle.removeEventListener('pointercancel', up);
  };
  handle.addEventListener('pointermove', onMove);
  handle.addEventListener('pointerup', up);
  handle.addEventListener('pointercancel', up);
}
