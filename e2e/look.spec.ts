import { expect, test } from '@playwright/test';
import { AppDriver } from './driver';
import { demoTruth } from './truth';

const truth = demoTruth();

test.describe('themes and layout', () => {
  test('follows prefers-color-scheme, toggles, and renders readable at 1280x720 (screenshots)', async ({ page }, info) => {
    test.skip(info.project.name !== 'preview', 'screenshots once, from the production build');
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
    const app = await new AppDriver(page).open('?scenario=xarray-tour');
    await expect(page.getByTestId('app')).toHaveAttribute('data-theme', 'light');
    await expect(page.getByTestId('app')).toHaveAttribute('data-motion', 'reduce');
    // A moment with a two-level tree, a multi-index entry and marks.
    await page.getByTestId('scrubber').fill(String(truth.boundaries[6] + 3));
    await app.expectCursor(truth.boundaries[6] + 3);
    // Nothing may be cut off at 1280x720: the page itself does not scroll.
    const overflow = await page.evaluate(() => ({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight }));
    expect(overflow).toEqual({ w: 1280, h: 720 });
    // Nor does the app inside it (its content fits; nothing scrolled it sideways).
    const inner = await page.getByTestId('app').evaluate((el) => ({ left: el.scrollLeft, top: el.scrollTop, extra: el.scrollWidth - el.clientWidth }));
    expect(inner).toEqual({ left: 0, top: 0, extra: 0 });
    for (const id of ['transport', 'position', 'theme-toggle', 'shortcut-legend']) {
      const b = (await page.getByTestId(id).boundingBox())!;
      expect(b.x, id).toBeGreaterThanOrEqual(0);
      expect(b.x + b.width, id).toBeLessThanOrEqual(1280);
    }
    await page.screenshot({ path: 'test-results/screenshots/app-light-1280x720.png' });

    await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
    await expect(page.getByTestId('app')).toHaveAttribute('data-theme', 'dark');
    await page.screenshot({ path: 'test-results/screenshots/app-dark-1280x720.png' });

    // The toggle overrides the system preference.
    await page.getByTestId('theme-toggle').click();
    await expect(page.getByTestId('app')).toHaveAttribute('data-theme', 'light');
  });

  test('panels collapse and resize', async ({ page }) => {
    const app = await new AppDriver(page).open('?scenario=xarray-tour');
    const narration = page.locator('section[data-panel="narration"]');
    const xarray = page.locator('section[data-panel="xarray"]');
    const before = (await xarray.boundingBox())!.width;
    await page.getByTestId('collapse-narration').click();
    await expect(narration).toHaveAttribute('data-collapsed', 'true');
    await expect(page.getByTestId('narration-log')).toHaveCount(0);
    // The narration's share of the top row goes to the XArray and memory panels beside it.
    await expect.poll(async () => (await xarray.boundingBox())!.width).toBeGreaterThan(before + 80);
    await page.getByTestId('collapse-narration').click();
    await expect(page.getByTestId('narration-log')).toBeVisible();

    // Drag the separator 120px to the left: the XArray panel gets narrower.
    const handle = page.getByTestId('resize-xarray-narration');
    const box = (await handle.boundingBox())!;
    const w0 = (await xarray.boundingBox())!.width;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x - 120, box.y + box.height / 2, { steps: 6 });
    await page.mouse.up();
    await expect.poll(async () => (await xarray.boundingBox())!.width).toBeLessThan(w0 - 80);

    // Arrow keys on the focused separator resize and do not step the simulation.
    await handle.focus();
    const w1 = (await xarray.boundingBox())!.width;
    await page.keyboard.press('ArrowRight');
    await expect.poll(async () => (await xarray.boundingBox())!.width).toBeGreaterThan(w1);
    await app.expectCursor(0);
  });
});

test.describe('without cross-origin isolation', () => {
  test('runs with copied status and says why', async ({ browser }, info) => {
    test.skip(info.project.name !== 'static', 'only the static server lacks the headers');
    // No service worker: coi-serviceworker cannot add the headers, so the page is not isolated.
    const context = await browser.newContext({ serviceWorkers: 'block', baseURL: info.project.use.baseURL });
    const page = await context.newPage();
    const app = await new AppDriver(page).open('?scenario=xarray-tour');
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
    await expect(page.getByTestId('copy-mode-notice')).toContainText('not cross-origin isolated');
    await expect(page.getByTestId('engine-badge')).toHaveText('worker · copies');
    await app.press('End');
    await app.expectCursor(truth.steps);
    // A DAX scenario: the device bytes reach the page as a copy made at the end of the run.
    await app.open('?scenario=write-fsync');
    await page.getByTestId('app').focus();
    await app.press('End');
    const grid = page.getByTestId('device-grid');
    const box = (await grid.boundingBox())!;
    const px = Number(await grid.getAttribute('data-cell-px'));
    // Block 512 is cell 64 at 8 pages per cell: row 1, column 0. Zoom in, then hover it.
    await page.mouse.click(box.x + px / 2, box.y + px + px / 2);
    await expect(grid).toHaveAttribute('data-k', '0');
    const b2 = (await grid.boundingBox())!;
    const px2 = Number(await grid.getAttribute('data-cell-px'));
    await page.mouse.move(b2.x + px2 / 2, b2.y + 8 * px2 + px2 / 2);
    await expect(page.getByTestId('device-hover')).toContainText('bytes: hello');
    await context.close();
  });
});
