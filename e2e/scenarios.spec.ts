/**
 * Scenarios as a user meets them: the library by topic, chapters, saving and opening files, the
 * embed mode, and untrusted links that try to run script.
 */
import { expect, test, type ConsoleMessage, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { builtin } from '../src/scenarios/builtin';
import { encodeShare } from '../src/share/codec';
import { DEFAULT_PANELS } from '../src/store/panels';
import { AppDriver } from './driver';

/** Collect console errors and warnings, page errors and dialogs (a script payload's alert). */
function watch(page: Page): string[] {
  const bad: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error' || m.type() === 'warning') bad.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => bad.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    bad.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return bad;
}

function shareFragment(text: string, step: number, extra: { name?: string; title?: string } = {}): string {
  return encodeShare({ scenarioText: text, step, panels: DEFAULT_PANELS, model: 'modern', ...extra });
}

test.describe('scenarios', () => {
  test('the library lists tours by topic; a tour runs in chapters that the picker jumps between', async ({ page }) => {
    const bad = watch(page);
    const app = await new AppDriver(page).open('?scenario=write-fsync');
    await page.getByTestId('library-button').click();
    const library = page.getByTestId('library');
    await expect(library).toBeVisible();
    // Every topic is listed with at least one tour.
    await expect(library.locator('[data-testid^="topic-"]')).toHaveCount(16);
    for (const topic of await library.locator('[data-testid^="topic-"]').all()) await expect(topic.locator('button.dv-tour').first()).toBeVisible();
    // The filter (focused on opening) narrows the list to matching topics and tours.
    await expect(page.getByTestId('library-filter')).toBeFocused();
    await page.keyboard.type('poison');
    await expect(library.getByTestId('topic-memory-failure')).toBeVisible();
    // Only the tour about poison is left, under each topic it teaches.
    const names = await library.locator('button.dv-tour').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.replace(/^tour-[a-z0-9-]+?-(?=memory-failure$)/, '')));
    expect(new Set(names)).toEqual(new Set(['memory-failure']));
    await page.getByTestId('library-filter').fill('');
    await expect(library.locator('[data-testid^="topic-"]')).toHaveCount(16);
    await library.getByTestId('tour-reflink-cow-reflink-cow').click();
    await expect(library).toHaveCount(0);
    const tour = builtin('reflink-cow');
    await expect(page.getByTestId('scenario-title')).toHaveText(tour.title);
    await expect(page.getByTestId('position')).toHaveText(/^step 0 \/ [1-9]\d* · op 0 \//, { timeout: 20_000 });
    expect(new URL(page.url()).searchParams.get('scenario')).toBe('reflink-cow');

    const picker = page.getByTestId('chapter-picker');
    await expect(picker.locator('option')).toHaveCount(tour.chapters.length);
    await expect(picker).toHaveValue('0');
    // Choosing the second chapter lands at the start of its first operation.
    await picker.selectOption('1');
    const at = tour.chapters[1].index;
    await expect(page.getByTestId('position')).toHaveText(new RegExp(`· op ${at} /`));
    await expect(picker).toHaveValue('1');
    // Stepping on stays in that chapter; stepping back before it returns to the first one.
    await page.getByTestId('app').focus();
    await app.press('ArrowRight');
    await expect(picker).toHaveValue('1');
    await app.press('Shift+ArrowLeft');
    await app.press('ArrowLeft');
    await expect(picker).toHaveValue('0');
    expect(bad).toEqual([]);
  });

  test('Save writes the scenario text; Open runs a file, and a broken file changes nothing and says where', async ({ page }, info) => {
    const bad = watch(page);
    await new AppDriver(page).open('?scenario=pin-truncate');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-file').click()]);
    expect(download.suggestedFilename()).toBe('pin-truncate.scn');
    const saved = readFileSync((await download.path())!, 'utf8');
    expect(saved.trimEnd()).toBe(builtin('pin-truncate').text.trimEnd());

    // A file with a typo on line 4: nothing changes, the message names the file, line and column.
    const before = await page.getByTestId('position').textContent();
    await page.getByTestId('open-file-input').setInputFiles({
      name: 'mine.scn',
      mimeType: 'text/plain',
      buffer: Buffer.from('# My own\nmachine dax=always\ncreate f\ntruncat f 1M\n'),
    });
    await expect(page.getByTestId('file-problem')).toContainText(/Could not open mine\.scn.*Line 4, column 1: .*truncate/);
    await expect(page.getByTestId('file-problem')).toContainText('Nothing was changed');
    await expect(page.getByTestId('scenario-title')).toHaveText(builtin('pin-truncate').title);
    await expect(page.getByTestId('position')).toHaveText(before!);

    // A good file runs, titled by its first comment line; the address no longer names a built-in.
    await page.getByTestId('open-file-input').setInputFiles({
      name: 'mine.scn',
      mimeType: 'text/plain',
      buffer: Buffer.from('# My own scenario\nmachine dax=always\n## One\ncreate f\ntruncate f 1M\nA: mmap f 1M as m\nA: store m+0 "hi"\n'),
    });
    await expect(page.getByTestId('scenario-title')).toHaveText('My own scenario');
    await expect(page.getByTestId('position')).toHaveText(/^step 0 \/ [1-9]\d* · op 0 \/ 4$/, { timeout: 20_000 });
    expect(new URL(page.url()).searchParams.get('scenario')).toBeNull();
    // The engine's JSON form opens too.
    await page.getByTestId('open-file-input').setInputFiles({
      name: 'ops.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ version: 1, ops: [{ op: 'create', file: 'g' }, { op: 'write', file: 'g', offset: 0, data: 'x' }] })),
    });
    await expect(page.getByTestId('scenario-title')).toHaveText('ops');
    await expect(page.getByTestId('position')).toHaveText(/· op 0 \/ 2$/, { timeout: 20_000 });
    await page.screenshot({ path: info.outputPath('files.png') });
    expect(bad).toEqual([]);
  });

  test('an embed shows only the panels asked for, at the step asked for, with minimal controls, and never touches saved work', async ({ page }) => {
    const bad = watch(page);
    // The user's saved work, as the full app left it.
    await page.goto('/?scenario=write-fsync');
    await page.evaluate(() => localStorage.setItem('daxviz.test.sentinel', 'mine'));
    const storageBefore = await page.evaluate(() => JSON.stringify(Object.entries(localStorage).sort()));

    const t = builtin('write-fsync');
    const frag = shareFragment(t.text, 3, { name: t.name, title: t.title });
    await page.goto(`/?embed=1&panels=xarray,narration&step=40&controls=minimal${frag}`);
    await expect(page.getByTestId('position')).toHaveText(/^step 40 \//, { timeout: 20_000 });
    const shown = await page.locator('section[data-panel]').evaluateAll((els) => els.map((e) => e.getAttribute('data-panel')));
    expect(shown).toEqual(['xarray', 'narration']);
    await expect(page.getByTestId('embed-header')).toContainText(t.title);
    await expect(page.getByTestId('open-full-app')).toHaveAttribute('href', new RegExp(`^[^?]*/(\\?scenario=[^&]*)?#v1:`));
    // Minimal controls: step and play, no scrubber, speed, chooser, share, editor or legend.
    await expect(page.getByTestId('step-forward')).toBeVisible();
    for (const id of ['scrubber', 'speed', 'scenario-chooser', 'share-button', 'library-button', 'save-file', 'shortcut-legend', 'editor-toggle']) await expect(page.getByTestId(id)).toHaveCount(0);
    // Read-only: the editor's key does nothing either.
    await page.getByTestId('app').focus();
    await page.keyboard.press('e');
    await expect(page.getByTestId('editor-pane')).toHaveCount(0);
    await page.getByTestId('step-forward').click();
    await expect(page.getByTestId('position')).toHaveText(/^step 41 \//);
    expect(await page.evaluate(() => JSON.stringify(Object.entries(localStorage).sort()))).toBe(storageBefore);

    // readonly=0: the viewer may edit and run, but the edits are never saved.
    await page.goto(`/?embed=1&readonly=0${frag}`);
    await expect(page.getByTestId('position')).toHaveText(/^step 3 \//, { timeout: 20_000 });
    await page.getByTestId('editor-toggle').click();
    await page.getByTestId('editor-text').click();
    await page.keyboard.press('ControlOrMeta+End');
    await page.keyboard.type('\nA: load m+4K');
    await page.waitForTimeout(1_000); // longer than the editor's draft delay
    expect(await page.evaluate(() => JSON.stringify(Object.entries(localStorage).sort()))).toBe(storageBefore);

    // controls=none: a still picture; keys do nothing.
    await page.goto(`/?embed=1&panels=device&step=7&controls=none${frag}`);
    await expect(page.locator('section[data-panel]')).toHaveCount(1);
    await expect(page.locator('section[data-panel="device"]')).toBeVisible();
    await expect(page.getByTestId('transport')).toHaveCount(0);
    // Unknown options are reported, not fatal.
    await page.goto(`/?embed=1&panels=xarray,narraton&controls=big${frag}`);
    await expect(page.getByTestId('embed-notice')).toContainText('did you mean "narration"');
    await expect(page.getByTestId('embed-notice')).toContainText('controls: "big"');
    await expect(page.getByTestId('position')).toHaveText(/^step 3 \//, { timeout: 20_000 });
    expect(await page.evaluate(() => JSON.stringify(Object.entries(localStorage).sort()))).toBe(storageBefore);
    expect(bad).toEqual([]);
  });

  test('the share box builds an embed snippet for the panels chosen', async ({ page }) => {
    const app = await new AppDriver(page).open('?scenario=read-hole');
    await app.press('Shift+ArrowRight', 2);
    const { cursor } = await app.position();
    await page.getByTestId('share-button').click();
    for (const id of ['device', 'files', 'pagetables', 'structpage', 'callpath']) await page.getByTestId(`embed-panel-${id}`).uncheck();
    const snippet = await page.getByTestId('embed-snippet').inputValue();
    expect(snippet).toMatch(/^<iframe src="[^"]+" title="[^"]+" width="960" height="540" style="border:0" loading="lazy" allow="clipboard-write"><\/iframe>$/);
    const src = /src="([^"]+)"/.exec(snippet)![1].replace(/&amp;/g, '&');
    const url = new URL(src);
    expect(url.searchParams.get('embed')).toBe('1');
    expect(url.searchParams.get('panels')).toBe('xarray,narration');
    expect(url.searchParams.get('step')).toBe(String(cursor));
    expect(url.hash).toMatch(/^#v1:[jz]\./);
    await page.goto(src);
    await expect(page.getByTestId('position')).toHaveText(new RegExp(`^step ${cursor} /`), { timeout: 20_000 });
    expect(await page.locator('section[data-panel]').evaluateAll((els) => els.map((e) => e.getAttribute('data-panel')))).toEqual(['xarray', 'narration']);
  });

  test('links carrying script in every field run no script', async ({ page }, info) => {
    const bad = watch(page);
    const payloads = [
      `<img src=x onerror="window.__xss=(window.__xss||0)+1">`,
      `<script>window.__xss=(window.__xss||0)+1</script>`,
      `javascript:window.__xss=1`,
      `"><svg onload="window.__xss=1">`,
      `{{constructor.constructor('window.__xss=1')()}}`,
    ];
    const p = payloads.join(' ');
    const q = JSON.stringify(p); // a quoted scenario-language string (JSON escapes)
    const text = [
      `# ${p}`,
      'machine dax=always',
      `## ${p}`,
      `> ${p}`,
      `create ${q}`,
      `> ${p}`,
      `truncate ${q} 1M`,
      `> ${p}`,
      `${q}: mmap ${q} 1M as ${q}`,
      `## ${p}`,
      `> ${p}`,
      `${q}: store ${q}+0 ${q}`,
      `> ${p}`,
      `${q}: write ${q} 8K ${q}`,
      `${q}: fsync ${q}`,
    ].join('\n');
    const frag = shareFragment(text, 9999, { name: p, title: p });
    // The payloads also go into the query: a scenario name, embed options.
    const evilQuery = `?scenario=${encodeURIComponent(p)}&panels=${encodeURIComponent(p)}&step=${encodeURIComponent(p)}`;
    for (const url of [`/${frag}`, `/${evilQuery}${frag}`, `/?embed=1&panels=${encodeURIComponent('xarray,' + p)}&controls=${encodeURIComponent(p)}${frag}`]) {
      await page.goto(url);
      await expect(page.getByTestId('position')).toHaveText(/^step [1-9]\d* \/ [1-9]\d* · op 6 \/ 6$/, { timeout: 20_000 });
      // Walk every panel at every operation so that every field gets rendered.
      await page.getByTestId('app').focus();
      for (let i = 0; i < 7; i++) await page.keyboard.press('Shift+ArrowLeft');
      for (let i = 0; i < 7; i++) await page.keyboard.press('Shift+ArrowRight');
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      // The payload is there, as text: no element carries an event-handler attribute or a javascript: URL.
      const injected = await page.evaluate(() =>
        [...document.querySelectorAll('*')].flatMap((el) =>
          [...el.attributes].filter((a) => /^on/i.test(a.name) || /^\s*javascript:/i.test(a.value)).map((a) => `${el.tagName} ${a.name}=${a.value}`),
        ),
      );
      expect(injected).toEqual([]);
      // No script element carries a payload (the dev server's own inline preamble is not one).
      expect(await page.evaluate(() => [...document.scripts].filter((s) => s.text.includes('__xss')).length)).toBe(0);
    }
    await expect(page.getByText(payloads[0]).first()).toBeVisible();
    // The built page ships a Content-Security-Policy that allows no inline or eval'd script (the
    // dev server has none: React's refresh preamble is an inline script).
    expect(bad).toEqual([]);
    if (info.project.name === 'dev') return;
    expect(await page.locator('script:not([src])').count()).toBe(0);
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    const scriptSrc = /script-src ([^;]*)/.exec(csp ?? '')?.[1] ?? '';
    expect(scriptSrc).toBe("'self'");
    expect(csp).not.toMatch(/unsafe-eval/);
  });

  test('popovers give the keyboard back: Escape returns focus to their button, Space presses buttons, shortcuts keep working', async ({ page }) => {
    const bad = watch(page);
    const app = await new AppDriver(page).open('?scenario=write-fsync');
    await page.getByTestId('library-button').click();
    await expect(page.getByTestId('library')).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('library')).toHaveCount(0);
    await expect(page.getByTestId('library-button')).toBeFocused();
    await app.press('ArrowRight', 2);
    await app.expectCursor(2);
    // Space on a focused button presses it (here: opens the library again), it does not play.
    await page.keyboard.press(' ');
    await expect(page.getByTestId('library')).toBeVisible();
    await expect(page.getByTestId('play')).toHaveAttribute('aria-pressed', 'false');
    // The close button works the same way.
    await page.getByTestId('library-close').click();
    await expect(page.getByTestId('library-button')).toBeFocused();
    await app.press('ArrowRight');
    await app.expectCursor(3);
    // Share closes on a press outside it; the keys still step.
    await page.getByTestId('share-button').click();
    await expect(page.getByTestId('share-status')).toBeVisible();
    await page.getByTestId('panel-grid').click({ position: { x: 5, y: 5 } });
    await expect(page.getByTestId('share-status')).toHaveCount(0);
    await app.press('ArrowRight');
    await app.expectCursor(4);
    expect(bad).toEqual([]);
  });

  test('an unknown scenario name or a damaged link says so, in the app, and a reload opens cleanly', async ({ page }) => {
    await page.goto('/?scenario=read-hol');
    await expect(page.getByTestId('scenario-notice')).toContainText('did you mean "read-hole"');
    await expect(page.getByTestId('position')).toHaveText(/^step 0 \/ [1-9]/, { timeout: 20_000 });
    await page.goto('/#v1:z.AAAAbroken');
    await expect(page.getByTestId('share-notice')).toBeVisible();
    // The notice sits inside the themed app, and the address no longer carries the damaged link.
    await expect(page.locator('.dv-app [data-testid="share-notice"]')).toHaveCount(1);
    expect(new URL(page.url()).hash).toBe('');
    await page.reload();
    await expect(page.getByTestId('position')).toHaveText(/^step 0 \/ [1-9]/, { timeout: 20_000 });
    await expect(page.getByTestId('share-notice')).toHaveCount(0);
    // A share link pasted into the open page (only the fragment changes) opens as a link.
    const t = builtin('read-hole');
    await page.goto(`/${shareFragment(t.text, 9, { name: t.name, title: t.title })}`);
    await expect(page.getByTestId('position')).toHaveText(/^step 9 \//, { timeout: 20_000 });
    await expect(page.getByTestId('scenario-title')).toHaveText(t.title);
  });
});
