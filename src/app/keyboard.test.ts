import { describe, expect, it } from 'vitest';
import { actionForKey, shortcutForKey, SHORTCUTS, type KeyLike } from './keyboard';

const key = (k: string, mods: Partial<KeyLike> = {}): KeyLike => ({ key: k, shiftKey: false, altKey: false, ctrlKey: false, metaKey: false, ...mods });

describe('shortcutForKey', () => {
  it('E opens or closes the editor, and is not a transport action', () => {
    expect(shortcutForKey(key('e'))).toBe('toggleEditor');
    expect(shortcutForKey(key('E', { shiftKey: true }))).toBe('toggleEditor');
    expect(shortcutForKey(key('e', { ctrlKey: true }))).toBeNull();
    expect(actionForKey(key('e'))).toBeNull();
  });
});

describe('actionForKey', () => {
  it('maps arrows to micro-steps and Shift+arrows to operations', () => {
    expect(actionForKey(key('ArrowLeft'))).toBe('stepBack');
    expect(actionForKey(key('ArrowRight'))).toBe('stepForward');
    expect(actionForKey(key('ArrowLeft', { shiftKey: true }))).toBe('opBack');
    expect(actionForKey(key('ArrowRight', { shiftKey: true }))).toBe('opForward');
  });

  it('maps Space, Home and End', () => {
    expect(actionForKey(key(' '))).toBe('togglePlay');
    expect(actionForKey(key('Home'))).toBe('home');
    expect(actionForKey(key('End'))).toBe('end');
  });

  it('maps Escape to clearing the selection, which is not a transport action', () => {
    expect(shortcutForKey(key('Escape'))).toBe('clearSelection');
    expect(shortcutForKey(key('Escape', { shiftKey: true }))).toBe('clearSelection');
    expect(shortcutForKey(key('Escape', { ctrlKey: true }))).toBeNull();
    expect(actionForKey(key('Escape'))).toBeNull();
    expect(shortcutForKey(key('ArrowLeft'))).toBe('stepBack');
  });

  it('leaves browser shortcuts (Ctrl/Alt/Meta) and other keys alone', () => {
    expect(actionForKey(key('ArrowLeft', { altKey: true }))).toBeNull();
    expect(actionForKey(key('ArrowRight', { ctrlKey: true }))).toBeNull();
    expect(actionForKey(key('Home', { metaKey: true }))).toBeNull();
    expect(actionForKey(key('a'))).toBeNull();
  });

  it('the legend lists every action once', () => {
    const actions = SHORTCUTS.map((s) => s.action);
    expect(new Set(actions).size).toBe(actions.length);
    expect(actions.sort()).toEqual(['clearSelection', 'end', 'home', 'opBack', 'opForward', 'stepBack', 'stepForward', 'toggleEditor', 'togglePlay']);
  });

  it('every legend entry is reachable from a key', () => {
    const keys = ['ArrowLeft', 'ArrowRight', ' ', 'Home', 'End', 'Escape', 'e'];
    const reachable = new Set(keys.flatMap((k) => [shortcutForKey(key(k)), shortcutForKey(key(k, { shiftKey: true }))]));
    for (const s of SHORTCUTS) expect(reachable.has(s.action)).toBe(true);
  });
});
