// SPDX-License-Identifier: GPL-2.0-or-later
// What the browser tests' drivers (console-test.js, console-i18n-test.js,
// ops-test.js) share: the checks and their summary, Debian's headless
// Chromium launched with playwright-core, the page's errors watched, the
// console loaded, screenshots, and the kernel's table read with conntrack
// (a driver runs inside the demo's network namespace: tests/lib/ctdbrowser.py).
//
//   const D = require('./driver');
//   D.run(async (errors) => {          // checks CTD_URL ... are set; the summary at the end
//     await D.inBrowser({ httpCredentials: D.user('admin') }, async (b) => {
//       D.watch(b.page, 'admin', errors); await D.load(b.page); D.eq(...);
//     });
//   });
//
// Environment (set by ctdbrowser.py's BrowserDemo.drive):
//   CTD_URL                 https://127.0.0.1:PORT/ctd/
//   CTD_ADMIN_PASSWORD      password of user admin (operator)
//   CTD_VIEWER_PASSWORD     password of user viewer (viewer)
//   CTD_SHOT_DIR            where screenshots (and files) go
//
// Output: one line a check ("ok - ..." / "not ok - ..." / "skip - ..."),
// then "N passed, N failed, N skipped"; the exit status is 1 on a failure.
'use strict';

const { chromium } = require('playwright-core');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const URL_ = process.env.CTD_URL;
const ADMIN_PW = process.env.CTD_ADMIN_PASSWORD;
const VIEWER_PW = process.env.CTD_VIEWER_PASSWORD;
const SHOTS = process.env.CTD_SHOT_DIR || '.';
const WAIT = 60000;

// ---- checks ----------------------------------------------------------------------

const count = { passed: 0, failed: 0, skipped: 0 };
function ok(cond, desc, detail) {
	if (cond) { count.passed++; console.log('ok - ' + desc); }
	else {
		count.failed++;
		console.log('not ok - ' + desc);
		if (detail !== undefined) console.log('#   ' + String(detail).split('\n').join('\n#   '));
	}
	return !!cond;
}
function eq(got, want, desc) {
	return ok(JSON.stringify(got) === JSON.stringify(want), desc, 'want: ' + JSON.stringify(want) + '\ngot:  ' + JSON.stringify(got));
}
function skip(desc, why) { count.skipped++; console.log('skip - ' + desc + ': ' + why); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs main(errors) once CTD_URL, CTD_ADMIN_PASSWORD and the variables of
// `required` ({ NAME: value }) are set and CTD_SHOT_DIR exists; errors
// collects what watch() saw, none being one check at the end.  An exception
// is a failure; the summary line comes last in any case.
function run(main, required) {
	(async () => {
		for (const [k, v] of Object.entries({ CTD_URL: URL_, CTD_ADMIN_PASSWORD: ADMIN_PW, ...required }))
			if (!v) throw new Error(k + ' is not set');
		fs.mkdirSync(SHOTS, { recursive: true });
		const errors = [];
		await main(errors);
		eq(errors.join('\n'), '', 'no console errors and no page errors in any page');
	})().catch((e) => {
		count.failed++;
		console.log('not ok - the test ran to its end\n#   ' + String((e && e.stack) || e).split('\n').join('\n#   '));
	}).finally(() => {
		console.log(count.passed + ' passed, ' + count.failed + ' failed, ' + count.skipped + ' skipped');
		process.exit(count.failed ? 1 : 0);
	});
}

// ---- the browser -------------------------------------------------------------------

// A browser of its own with a fresh profile directory, removed when it
// closes; opts are more of playwright's context options (httpCredentials,
// locale, ...).
async function openBrowser(opts) {
	const profile = fs.mkdtempSync('/tmp/ctd-chromium-');
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: '/usr/bin/chromium',
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
		ignoreHTTPSErrors: true,
		viewport: { width: 1280, height: 800 },
		...opts,
	});
	const page = ctx.pages()[0] || await ctx.newPage();
	return {
		ctx, page,
		close: async () => { await ctx.close(); fs.rmSync(profile, { recursive: true, force: true }); },
	};
}

// fn({ ctx, page }) in a browser of its own (openBrowser(opts)), closed after.
async function inBrowser(opts, fn) {
	const b = await openBrowser(opts);
	try { return await fn(b); } finally { await b.close(); }
}

// Basic auth credentials of a demo user (admin or viewer).
const user = (name) => ({ username: name, password: name === 'admin' ? ADMIN_PW : VIEWER_PW });

// Console errors and uncaught page errors go to errors (labelled); with
// calls, every XML-RPC request the page sends is pushed there as
// parse(request).
function watch(page, label, errors, calls, parse) {
	page.on('console', (m) => { if (m.type() === 'error') errors.push(label + ' console: ' + m.text()); });
	page.on('pageerror', (e) => errors.push(label + ' page error: ' + e.message));
	if (calls) page.on('request', (r) => { if (r.url().endsWith('/RPC2')) calls.push(parse(r)); });
}

// Opens the console (CTD_URL unless url) and waits until it is ready
// (logged in, the table drawn); returns the page's response.
async function load(page, url, timeout) {
	const resp = await page.goto(url || URL_);
	await page.waitForSelector('body.ready', { timeout: timeout || WAIT });
	return resp;
}

// Runs an action that makes the page call view(), and waits until that
// call is drawn (or has failed and said so).
const loads = (page) => page.evaluate(() => Number(document.body.dataset.loads || 0));
async function afterLoad(page, action) {
	const n = await loads(page);
	await action();
	await page.waitForFunction((k) => Number(document.body.dataset.loads || 0) > k, n, { timeout: WAIT });
}

// The side panels (health.js, top.js, chart.js) have each answered (or
// failed) since the newest view(): [data-loads] counts their finished
// calls, [data-busy] is 1 while one is under way.
const PANELS = ['health', 'top', 'chart'];
async function panelsDrawn(page) {
	await page.waitForFunction((ids) => ids.every((id) => {
		const e = document.getElementById(id);
		return Number(e.dataset.loads || 0) > 0 && e.dataset.busy === '0';
	}), PANELS, { timeout: WAIT });
}

const shot = (page, name, opts) => page.screenshot({ path: path.join(SHOTS, name), ...opts });
const shotOf = (page, sel, name) => page.locator(sel).screenshot({ path: path.join(SHOTS, name) });

// ---- the kernel's table (this process runs inside the demo's namespace) ----

function conntrack(args) {
	try {
		return execFileSync('conntrack', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
	} catch (e) {
		return e.stdout || '';	// "-L" with no match exits non-zero on some versions
	}
}
const ctLines = (args) => conntrack(['-L', ...args]).split('\n').filter((l) => l.includes('src='));
const ctField = (line, name) => { const m = line.match(new RegExp('\\b' + name + '=(\\S+)')); return m ? m[1] : null; };
// conntrack -L lines ctd shows: not 127.0.0.0/8 or ::1 (its default
// hide_networks) on the original source or destination
const ctVisible = (args) => ctLines(args).filter((l) => {
	const hidden = (a) => a.startsWith('127.') || a === '::1';
	return !hidden(ctField(l, 'src')) && !hidden(ctField(l, 'dst'));
});

module.exports = {
	URL_, ADMIN_PW, VIEWER_PW, SHOTS, WAIT, PANELS,
	ok, eq, skip, sleep, run,
	openBrowser, inBrowser, user, watch, load, afterLoad, panelsDrawn, shot, shotOf,
	conntrack, ctLines, ctField, ctVisible,
};
