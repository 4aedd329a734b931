import { expect, test, type ConsoleMessage } from '@playwright/test';
import { BUILTIN_SCENARIOS } from '../src/scenarios/builtin';
import { AppDriver } from './driver';

// Line 3 has a typo; the rest is a small DAX story: a file written, mapped shared, stored through.
const BAD = ['# Editor smoke test', 'create f', 'wrte f 0 "hello"', 'A: mmap f 4K shared rw as m', '> A stores through the mapping.', 'A: store m "edited"'].join('\n');

test.describe('scenario editor', () => {
  test('type, see the error at its line, fix, run, reload and find the draft', async ({ page }) => {
    const problems: string[] = [];
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    const app = await new AppDriver(page).open('?scenario=write-fsync');

    // Opens from the header button, showing the running scenario's text.
    const toggle = page.getByTestId('editor-toggle');
    await expect(toggle).toHaveAttribute('aria-pressed', 'false');
    await expect(page.getByTestId('editor-pane')).toHaveCount(0);
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-pressed', 'true');
    const text = page.getByTestId('editor-text');
    const firstLine = BUILTIN_SCENARIOS.find((b) => b.name === 'write-fsync')!.text.split('\n')[0];
    await expect(page.locator('.cm-line').first()).toHaveText(firstLine);
    await expect(page.getByTestId('editor-status')).toHaveText(/^OK: \d+ operations?, \d+ chapters?$/);
    // The panels stay usable beside it at 1280x720.
    const pane = await page.getByTestId('editor-pane').boundingBox();
    const grid = await page.getByTestId('panel-grid').boundingBox();
    expect(pane!.width).toBeGreaterThanOrEqual(340);
    expect(pane!.width).toBeLessThanOrEqual(440);
    expect(grid!.x).toBeGreaterThanOrEqual(pane!.x + pane!.width);
    expect(grid!.width).toBeGreaterThan(780);
    // Below 1500 px the editor collapses struct page and Call path to make room, and says so once.
    await expect(page.locator('[data-panel="structpage"]')).toHaveAttribute('data-collapsed', 'true');
    await expect(page.locator('[data-panel="callpath"]')).toHaveAttribute('data-collapsed', 'true');
    await expect(page.getByTestId('editor-room-note')).toContainText('struct page and Call path were collapsed to make room');
    // The toolbar keeps one row at the default width.
    const bar = (await page.locator('.dv-editor-bar').boundingBox())!;
    expect(bar.height).toBeLessThan(40);

    // Type a scenario with an unknown command on line 3.
    await text.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
    await page.keyboard.type(BAD);
    await expect(page.locator('.cm-line')).toHaveCount(6);
    const status = page.getByTestId('editor-status');
    await expect(status).toHaveText('line 3: unknown command "wrte" — did you mean "write"?');
    // One line; the full message (with the list of commands) is its title.
    await expect(status).toHaveAttribute('title', /^1 error at line 3, column 1: unknown command "wrte" \(did you mean "write"\?\); the commands are /);
    expect((await status.boundingBox())!.height).toBeLessThan(30);
    const line3 = page.locator('.cm-line').nth(2);
    await expect(line3.locator('.cm-lintRange-error')).toHaveText('wrte');
    await expect(page.locator('.cm-lintRange-error')).toHaveCount(1);
    // The gutter marker sits on line 3.
    const marker = page.locator('.cm-lint-marker-error');
    await expect(marker).toHaveCount(1);
    const mb = (await marker.boundingBox())!;
    const lb = (await line3.boundingBox())!;
    expect(Math.abs(mb.y + mb.height / 2 - (lb.y + lb.height / 2))).toBeLessThan(lb.height / 2);
    // Hovering the error shows the message.
    await line3.locator('.cm-lintRange-error').hover();
    await expect(page.locator('.cm-tooltip-lint')).toContainText('did you mean "write"?');
    // Both themes read: a picture of the error in the dark theme.
    await page.getByTestId('theme-toggle').click();
    await expect(page.getByTestId('app')).toHaveAttribute('data-theme', 'dark');
    await page.screenshot({ path: 'test-results/screenshots/editor-error-dark-1280x720.png' });
    await page.getByTestId('theme-toggle').click();
    await text.click();
    // Run is refused; the panels keep the last good run.
    await expect(page.getByTestId('editor-run')).toBeDisabled();
    await page.keyboard.press('ControlOrMeta+Enter');
    await expect(page.getByTestId('scenario-title')).not.toHaveText('Editor smoke test');

    // Fix it: "wrte" → "write".
    await page.keyboard.press('ControlOrMeta+Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.type('i');
    await expect(line3).toHaveText('write f 0 "hello"');
    await expect(status).toHaveText('OK: 4 operations, 0 chapters · edited, not run yet');
    await expect(page.locator('.cm-lint-marker-error')).toHaveCount(0);

    // Run (Ctrl/Cmd+Enter): the panels show the new scenario.
    await page.keyboard.press('ControlOrMeta+Enter');
    await expect(page.getByTestId('scenario-title')).toHaveText('Editor smoke test');
    await expect(page.getByTestId('position')).toHaveText(/^step 0 \/ [1-9]\d* · op 0 \/ 4$/, { timeout: 20_000 });
    await expect(status).toHaveText('OK: 4 operations, 0 chapters');
    await page.getByTestId('app').focus();
    // Boot steps come before the first operation: the fourth boundary is where op 4 starts.
    await app.press('Shift+ArrowRight', 4);
    await app.press('ArrowRight');
    await expect(page.getByTestId('narration-current')).toContainText('A stores through the mapping.');
    await app.press('End');
    await expect.poll(async () => (await app.tree()).head, { message: 'the file\'s XArray holds the written page' }).not.toBe('empty');
    await page.screenshot({ path: 'test-results/screenshots/editor-1280x720.png' });

    // E closes and opens the editor (outside the text).
    await app.press('e');
    await expect(toggle).toHaveAttribute('aria-pressed', 'false');
    await expect(page.getByTestId('editor-pane')).toHaveCount(0);
    // Closing expands the panels it collapsed.
    await expect(page.locator('[data-panel="structpage"]')).toHaveAttribute('data-collapsed', 'false');
    await expect(page.locator('[data-panel="callpath"]')).toHaveAttribute('data-collapsed', 'false');
    await app.press('e');
    await expect(toggle).toHaveAttribute('aria-pressed', 'true');
    await expect(page.locator('.cm-line').nth(2)).toHaveText('write f 0 "hello"');

    // Reload: the draft comes back, with the editor open and a note saying so.
    await page.reload();
    await expect(page.getByTestId('position')).toHaveText(/^step 0 \/ [1-9]\d* · op 0 \/ \d+$/, { timeout: 20_000 });
    await expect(page.getByTestId('editor-toggle')).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByTestId('editor-notice')).toContainText(/Restored your draft from \S/);
    await expect(page.locator('.cm-line')).toHaveText(BAD.replace('wrte', 'write').split('\n'));
    await expect(page.getByTestId('editor-status')).toHaveText('OK: 4 operations, 0 chapters · edited, not run yet');

    // Choosing another scenario puts the draft aside; Drafts brings it back.
    const other = BUILTIN_SCENARIOS.find((b) => b.name !== 'write-fsync')!;
    await page.getByTestId('scenario-chooser').selectOption(other.name);
    await expect(page.getByTestId('scenario-title')).toHaveText(other.title);
    await expect(page.locator('.cm-line').first()).toHaveText(other.text.split('\n')[0]);
    await expect(page.getByTestId('editor-notice')).toContainText('put aside');
    // The Drafts popover: wide enough to read, above the notice; Escape closes it, back to its button.
    const draftsToggle = page.getByTestId('editor-drafts-toggle');
    await draftsToggle.click();
    const list = page.getByTestId('editor-drafts-list');
    const entry = list.getByRole('button', { name: /Editor smoke test/ });
    await expect(entry).toBeFocused();
    await expect(entry).toContainText('create f');
    expect((await list.boundingBox())!.width).toBeGreaterThanOrEqual(280);
    await page.keyboard.press('Escape');
    await expect(list).toHaveCount(0);
    await expect(draftsToggle).toBeFocused();
    // A click outside closes it too.
    await draftsToggle.click();
    await expect(list).toBeVisible();
    await page.getByTestId('position').click();
    await expect(list).toHaveCount(0);
    await draftsToggle.click();
    await entry.click();
    await expect(page.locator('.cm-line').nth(2)).toHaveText('write f 0 "hello"');

    expect(problems).toEqual([]);
  });

  test('the XArray tour has no text form: the pane says so, and the draft waits in Drafts', async ({ page }) => {
    await new AppDriver(page).open('?scenario=write-fsync');
    await page.getByTestId('editor-toggle').click();
    await page.getByTestId('editor-text').click();
    await page.keyboard.press('ControlOrMeta+End');
    await page.keyboard.type('\n# one more line');
    await page.getByTestId('scenario-chooser').selectOption('xarray-tour');
    await expect(page.getByTestId('editor-no-text')).toContainText('no text form');
    await expect(page.getByTestId('editor-run')).toHaveCount(0);
    await expect(page.getByTestId('editor-drafts-toggle')).toHaveText('Drafts (1)');
  });
});
