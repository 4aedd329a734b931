import { expect, test, type ConsoleMessage } from '@playwright/test';
import { AppDriver, viewOfDump } from './driver';
import { demoTruth } from './truth';

const truth = demoTruth();

test.describe('loading', () => {
  test('loads cross-origin isolated, with the worker\'s trace and no console errors or warnings', async ({ page }) => {
    const problems: string[] = [];
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    const app = new AppDriver(page);
    await page.goto('/?scenario=xarray-tour');
    // Under `static` the coi-serviceworker reloads the page once; keep asking until it has.
    await expect(async () => expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true)).toPass({ timeout: 20_000 });
    await expect(page.getByTestId('position')).toHaveText(`step 0 / ${truth.steps} · op 0 / ${truth.boundaries.length - 1}`, { timeout: 20_000 });
    await expect(page.getByTestId('engine-badge')).toHaveText('worker · shared memory');
    await expect(page.getByTestId('copy-mode-notice')).toHaveCount(0);
    expect(await page.evaluate(() => typeof SharedArrayBuffer)).toBe('function');
    await app.expectTree(viewOfDump(truth.dumps[0]));
    await expect(page.getByTestId('narration-log').locator('li')).toHaveCount(truth.steps);
    expect(problems).toEqual([]);
  });
});

test.describe('stepping', () => {
  test('Shift+→ walks the operations; the panel shows the engine\'s xaDump at every boundary', async ({ page }) => {
    const app = await new AppDriver(page).open('?scenario=xarray-tour');
    for (const b of truth.boundaries.slice(1)) {
      await app.press('Shift+ArrowRight');
      await app.expectCursor(b);
      await app.expectTree(viewOfDump(truth.dumps[b]), `at boundary ${b}`);
    }
    // And back again.
    for (const b of truth.boundaries.slice(0, -1).reverse()) {
      await app.press('Shift+ArrowLeft');
      await app.expectCursor(b);
      await app.expectTree(viewOfDump(truth.dumps[b]), `back at boundary ${b}`);
    }
  });

  test('→ and ← move one step; slots and marks follow the engine at every micro-step', async ({ page }) => {
    const app = await new AppDriver(page).open('?scenario=xarray-tour');
    // Counters (count, nr_values) are compared at op boundaries above; inside an op the kernel
    // updates them after the slots, so compare slots and marks here.
    const shape = (v: ReturnType<typeof viewOfDump>) => ({ head: v.head, nodes: v.nodes.map(({ id, shift, offset, slots, marks }) => ({ id, shift, offset, slots, marks })) });
    // Through the order-9 store (op 3) one step at a time, then back over it.
    const from = truth.boundaries[3];
    const to = truth.boundaries[4];
    await page.getByTestId('scrubber').fill(String(from));
    await app.expectCursor(from);
    await page.getByTestId('app').focus();
    for (let c = from + 1; c <= to; c++) {
      await app.press('ArrowRight');
      await app.expectCursor(c);
      await expect.poll(async () => shape(await app.tree()), { message: `at step ${c}` }).toEqual(shape(viewOfDump(truth.dumps[c])));
    }
    for (let c = to - 1; c >= from; c--) {
      await app.press('ArrowLeft');
      await app.expectCursor(c);
      await expect.poll(async () => shape(await app.tree()), { message: `back at step ${c}` }).toEqual(shape(viewOfDump(truth.dumps[c])));
    }
  });

  test('Home, End, Space and the narration log', async ({ page }) => {
    const app = await new AppDriver(page).open('?scenario=xarray-tour');
    await app.press('End');
    await app.expectCursor(truth.steps);
    await app.expectTree(viewOfDump(truth.dumps[truth.steps]));
    await app.press('Home');
    await app.expectCursor(0);
    await app.expectTree(viewOfDump(truth.dumps[0]));

    // Space plays (at 8x), Space pauses.
    await page.getByTestId('speed').selectOption('8');
    await page.getByTestId('app').focus();
    await app.press(' ');
    await expect(page.getByTestId('play')).toHaveAttribute('aria-pressed', 'true');
    await expect.poll(async () => (await app.position()).cursor).toBeGreaterThan(5);
    await app.press(' ');
    await expect(page.getByTestId('play')).toHaveAttribute('aria-pressed', 'false');
    const stopped = (await app.position()).cursor;
    await page.waitForTimeout(300);
    expect((await app.position()).cursor).toBe(stopped);

    // Clicking a line of the log jumps there and highlights it.
    const line = page.getByTestId('narration-log').locator('li').nth(truth.boundaries[2]);
    await line.click();
    await app.expectCursor(truth.boundaries[2] + 1);
    await expect(line).toHaveAttribute('aria-current', 'step');
    await expect(page.getByTestId('narration-current')).toContainText(`step ${truth.boundaries[2] + 1}`);

    // The legend is on screen.
    await expect(page.getByTestId('shortcut-legend')).toContainText('Shift+←');
  });
});

test.describe('engine failure', () => {
  test('a worker crash is explained, and restart returns to the last good step with the scenario kept', async ({ page }) => {
    const app = await new AppDriver(page).open('?scenario=xarray-tour&debug=1');
    const title = await page.getByTestId('scenario-title').textContent();
    const at = truth.boundaries[4];
    await page.getByTestId('scrubber').fill(String(at));
    await app.expectCursor(at);
    await page.getByTestId('crash-engine').click();
    const alert = page.getByTestId('engine-failure');
    await expect(alert).toContainText('The simulation engine stopped');
    await expect(alert).toContainText('injected crash');
    await expect(alert).toContainText('in the middle of an operation');
    await expect(page.getByTestId('engine-badge')).toHaveText('engine stopped');
    // What was on screen stays on screen.
    await app.expectTree(viewOfDump(truth.dumps[at]));
    await page.getByTestId('restart-engine').click();
    await expect(alert).toHaveCount(0);
    await expect(page.getByTestId('engine-badge')).toHaveText('worker · shared memory');
    await app.expectCursor(at);
    await expect(page.getByTestId('scenario-title')).toHaveText(title!);
    await app.expectTree(viewOfDump(truth.dumps[at]));
    await page.getByTestId('app').focus();
    await app.press('End');
    await app.expectCursor(truth.steps);
  });
});
