/**
 * The playground in a real browser: the page built with Vite, served from a local static server, driven in
 * Debian's Chromium through playwright-core. What it shows is held to the library run here in Node: the same
 * disassembly, stats and verdicts. Screenshots go to .vitest-playground/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import {
  cacheReport, callData, compilePolicy, explain, importDockerDefault, syscallTable, encodeProgram, filterStats, formatVerdict, getProfile, interpret, performanceCompileOptions,
  type Program,
} from '../src/index.js';
import { disassemblyRows } from '../web/src/engine.js';
import { buildPlayground, chromiumMissing, launchChromium } from './support/browser.js';
import { itWhen } from './support/require.js';
import { serveStatic, type StaticServer } from './support/static-server.js';

const ROOT = join(import.meta.dirname, '..');
const SHOTS = join(ROOT, '.vitest-playground');
const missing = chromiumMissing();
const work = mkdtempSync(join(tmpdir(), 'seccomp-ts-playground-'));

let server: StaticServer;
let browser: { context: BrowserContext; close: () => Promise<void> } | undefined;
const requests: string[] = [];

const compiled = (name: string): Program => compilePolicy(getProfile(name), performanceCompileOptions()).program;

beforeAll(async () => {
  if (missing !== undefined) return;
  const out = join(work, 'dist-web');
  buildPlayground(ROOT, out);
  server = await serveStatic(out);
  browser = await launchChromium();
  browser.context.on('request', (r) => requests.push(r.url()));
  // Generous: the whole suite shares the machine's cores with this browser.
  browser.context.setDefaultTimeout(60_000);
  mkdirSync(SHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

async function open(fragment: string, viewport?: { width: number; height: number }, editor = 'codemirror'): Promise<Page> {
  const page = await browser!.context.newPage();
  if (viewport !== undefined) await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.origin}/${fragment}`);
  await page.waitForSelector('body[data-state=ready]');
  expect(errors).toEqual([]);
  expect(await page.getAttribute('#editor-a', 'data-editor')).toBe(editor);
  return page;
}

/** Replaces the editor's whole text as a paste would (no auto-indent or bracket closing). */
async function setEditor(page: Page, editor: '#editor-a' | '#editor-b', text: string): Promise<void> {
  await page.click(`${editor} .cm-content`);
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

async function emulate(page: Page, syscall: string): Promise<{ verdict: string; path: number[] }> {
  await page.fill('#emu-syscall', syscall);
  await page.waitForFunction((s) => document.querySelector('#verdict')?.textContent?.includes(` ${s} (nr`), syscall);
  const verdict = (await page.getAttribute('#verdict', 'data-verdict')) ?? '';
  const path = await page.$$eval('#disasm li.hit', (lis) => lis.map((li) => Number((li as HTMLElement).dataset.index)));
  return { verdict, path };
}

const traced = (program: Program, syscall: string) => {
  const run = interpret(program, callData({ arch: 'x86_64', syscall }), { trace: true });
  return { verdict: formatVerdict(run), path: [...new Set((run.trace ?? []).map((s) => s.pc))].sort((a, b) => a - b) };
};

describe('the playground in Chromium', () => {
  itWhen(missing, 'opens #profile:docker-default with the disassembly and the stats the library gives', async () => {
    const page = await open('#profile:docker-default');
    const program = compiled('docker-default');
    expect(await page.textContent('#input-kind')).toBe('Docker/OCI profile');
    const rows = await page.$$eval('#disasm li', (lis) => lis.map((li) => li.textContent));
    expect(rows).toEqual(disassemblyRows(program));
    expect(rows[1]).toMatch(/ARCH_X86_64/);
    // Unchanged, the built-in keeps its short link.
    await page.waitForSelector('body[data-link=saved]');
    expect(page.url()).toBe(`${server.origin}/#profile:docker-default`);

    await page.click('#tab-stats');
    const table = await page.$$eval('#stats-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    const expected = filterStats(program).abis.map((s) => [
      s.abi, String(s.syscalls), s.meanExecuted.toFixed(2), String(s.maxExecuted), String(s.kernelCached),
      Object.entries(s.verdicts).sort((a, b) => b[1] - a[1]).map(([v, n]) => `${v} ${n}`).join(', '),
    ]);
    expect(table).toEqual(expected);
    // The chart marks the syscalls of the table the kernel's action cache lets through.
    const cached = new Set(cacheReport(program, { nativePassthrough: [] }).native.cached);
    expect(await page.locator('#chart rect.cached').count()).toBe(syscallTable('x86_64').filter((e) => cached.has(e.nr)).length);
    expect(await page.locator('#chart rect.cached').count()).toBeGreaterThan(200);
    await page.screenshot({ path: join(SHOTS, 'docker-default-stats.png') });
    // A bar clicked puts its syscall in the emulate form.
    await page.click('#chart rect[data-syscall="kexec_load"]', { force: true });
    expect(await page.isVisible('#panel-filter')).toBe(true);
    expect(await page.getAttribute('#verdict', 'data-verdict')).toBe(traced(program, 'kexec_load').verdict);
    await page.close();
  });

  itWhen(missing, 'emulates a call: the verdict and the executed path equal the library emulator\'s', async () => {
    const page = await open('#profile:hardened');
    const program = compiled('hardened');
    const kexec = await emulate(page, 'kexec_load');
    expect(kexec).toEqual(traced(program, 'kexec_load'));
    expect(kexec.verdict).toBe('ERRNO(EPERM)');
    expect(kexec.path.length).toBeGreaterThan(2);
    // Why: the call's explain line, for every argument value.
    await page.waitForSelector('#why:not([aria-busy])');
    const group = explain(program).groups.find((g) => g.abi === 'x86_64' && g.syscalls.some((s) => s.name === 'socket'))!;
    await emulate(page, 'socket');
    await page.waitForSelector('#why:not([aria-busy])');
    expect(await page.textContent('#why')).toBe(`For every argument value: x86_64 socket: ${group.text}`);
    expect(group.text).toMatch(/^ERRNO\(EAFNOSUPPORT\) if arg0/);
    await page.screenshot({ path: join(SHOTS, 'hardened-kexec_load.png') });
    const read = await emulate(page, 'read');
    expect(read).toEqual(traced(program, 'read'));
    expect(read.verdict).toBe('ALLOW');
    // On docker-default too; then resolved for arm64, the form follows to aarch64 and stats to its ABIs.
    const docker = await open('#profile:docker-default');
    expect(await emulate(docker, 'kexec_load')).toEqual(traced(compiled('docker-default'), 'kexec_load'));
    await docker.selectOption('#target', 'arm64');
    await docker.waitForFunction(() => document.querySelector('#verdict')?.textContent?.startsWith('aarch64 kexec_load'));
    const arm = compilePolicy(importDockerDefault({ target: 'arm64' }).policy, performanceCompileOptions()).program;
    expect(await docker.getAttribute('#verdict', 'data-verdict')).toBe(formatVerdict(interpret(arm, callData({ arch: 'aarch64', syscall: 'kexec_load' }))));
    expect(await docker.locator('#disasm li').count()).toBe(arm.length);
    await docker.click('#tab-stats');
    expect(await docker.$$eval('#stats-table tbody th', (ths) => ths.map((th) => th.textContent))).toEqual(['aarch64', 'arm']);
    await docker.close();
    await page.close();
  });

  itWhen(missing, 'shows a fault at its line and JSON path, marks it in the editor, and keeps the last good output', async () => {
    const page = await open('#profile:docker-default');
    const good = await page.locator('#disasm li').count();
    await setEditor(page, '#editor-a', [
      '{',
      '  "defaultAction": "SCMP_ACT_ERRNO",',
      '  "syscalls": [',
      '    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_FOO"}]}',
      '  ]',
      '}',
    ].join('\n'));
    await page.waitForSelector('body[data-state=stale]');
    const error = await page.textContent('#error');
    expect(error).toMatch(/^line 4, column \d+: syscalls\[0\]\.args\[0\]\.op: .*SCMP_CMP_FOO/);
    expect(error).toContain('last input that worked');
    expect(await page.locator('#disasm li').count()).toBe(good);
    await page.waitForSelector('#editor-a .cm-lintRange-error');
    expect(await page.textContent('#editor-a .cm-lintRange-error')).toContain('SCMP_CMP_FOO');

    await setEditor(page, '#editor-a', '{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [\n    {"names": ["read"] "action": "SCMP_ACT_ALLOW"}\n  ]\n}');
    await page.waitForFunction(() => document.querySelector('#error')?.textContent?.includes('not valid JSON'));
    expect(await page.textContent('#error')).toMatch(/^line 4, column 24: not valid JSON: expected ',' or '}'/);
    expect(await page.locator('#disasm li').count()).toBe(good);
    await page.screenshot({ path: join(SHOTS, 'json-error.png') });

    // Fixed: the output follows the new input.
    await setEditor(page, '#editor-a', '{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [\n    {"names": ["read"], "action": "SCMP_ACT_ALLOW"}\n  ]\n}');
    await page.waitForSelector('body[data-state=ready]');
    expect(await page.isHidden('#error')).toBe(true);
    expect((await emulate(page, 'read')).verdict).toBe('ALLOW');
    expect((await emulate(page, 'write')).verdict).toBe('ERRNO(EPERM)');
    await page.close();
  });

  itWhen(missing, 'keeps the whole state in the URL fragment: a fresh page opens to the same input, tuning and call', async () => {
    const page = await open('#profile:hardened');
    await page.fill('#tune-name', 'kexec_load');
    await page.click('#tune-allow');
    await page.fill('#emu-arg0', '0x10');
    expect((await emulate(page, 'kexec_load')).verdict).toBe('ALLOW');
    await page.click('#tab-diff');
    await setEditor(page, '#editor-b', 'A = arch\nreturn ALLOW\n');
    await page.waitForSelector('body[data-state=ready][data-link=saved]');
    const url = page.url();
    expect(url).toMatch(/#s=/);
    const rows = await page.$$eval('#disasm li', (lis) => lis.map((li) => li.textContent));
    await page.close();

    const again = await open(url.slice(server.origin.length + 1));
    expect(await again.$$eval('#tunings li', (lis) => lis.map((li) => li.textContent?.replace(/\s*×$/, '')))).toEqual(['allow:kexec_load']);
    expect(await again.inputValue('#emu-syscall')).toBe('kexec_load');
    expect(await again.inputValue('#emu-arg0')).toBe('0x10');
    expect(await again.getAttribute('#verdict', 'data-verdict')).toBe('ALLOW');
    expect(await again.$$eval('#disasm li', (lis) => lis.map((li) => li.textContent))).toEqual(rows);
    // Written again from the restored page, the fragment is the same: the same texts, options and call.
    await again.waitForSelector('body[data-state=ready][data-link=saved]');
    expect(again.url()).toBe(url);
    // Following the skip link (an anchor, no link of the page) keeps the state.
    await again.focus('a.skip');
    await again.keyboard.press('Enter');
    await again.waitForFunction((u) => location.href === u && document.activeElement?.id === 'output', url);
    expect(await again.$$eval('#tunings li', (lis) => lis.length)).toBe(1);
    // A link that cannot be read says so, and the page opens the hardened profile.
    for (const broken of ['#profile:nope', '#s=AAAA']) {
      await again.goto(`${server.origin}/${broken}`);
      await again.waitForFunction(() => !(document.querySelector('#notice') as HTMLElement).hidden);
      await again.waitForSelector('body[data-state=ready]');
      expect(await again.textContent('#notice')).toMatch(/^This link could not be opened: .*(nope|damaged).*hardened profile instead\.$/);
      expect(await again.textContent('#input-kind')).toBe('seccomp-ts policy');
    }
    await again.close();
  });

  itWhen(missing, 'reads a raw .bpf by upload, by drag and drop, and pasted as base64', async () => {
    const program = compiled('hardened');
    const bytes = encodeProgram(program);
    const file = join(work, 'hardened.bpf');
    writeFileSync(file, bytes);
    const page = await open('#profile:docker-default');
    await page.setInputFiles('#upload', file);
    await page.waitForFunction(() => document.querySelector('#input-kind')?.textContent === 'filter (hex)');
    expect(await page.$$eval('#disasm li', (lis) => lis.map((li) => li.textContent))).toEqual(disassemblyRows(program));
    expect(await emulate(page, 'kexec_load')).toEqual(traced(program, 'kexec_load'));

    // Dropped on B: the diff against A (the same filter) finds them equivalent.
    await page.click('#tab-diff');
    const drop = await page.evaluateHandle((data) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], 'dropped.bpf'));
      return dt;
    }, [...bytes]);
    await page.dispatchEvent('#editor-b', 'drop', { dataTransfer: drop });
    await page.waitForFunction(() => document.querySelector('#diff')?.textContent?.startsWith('equivalent'));

    // Base64 of the same bytes, pasted into A; then B from docker-default: differences, each with a witness.
    await setEditor(page, '#editor-a', Buffer.from(bytes).toString('base64'));
    await page.waitForFunction(() => document.querySelector('#input-kind')?.textContent === 'filter (raw bytes, base64)');
    await page.click('#profile-docker-default-b');
    await page.waitForFunction(() => document.querySelector('#diff')?.getAttribute('data-equivalent') === 'false');
    const diff = (await page.textContent('#diff')) ?? '';
    expect(diff).toMatch(/^x86_64 .*: A .*, B .*\n {4}witness: x86_64 nr=/m);
    // A witness replayed on A: the form is filled with the call, and A's verdict is the one the diff names.
    const first = (await page.textContent('#witnesses li')) ?? '';
    const [, abi, syscall, verdictA] = /^Run on A (\S+) (\S+): A (\S+), B /.exec(first) ?? [];
    await page.click('#witnesses li button');
    expect(await page.isVisible('#panel-filter')).toBe(true);
    expect([await page.inputValue('#emu-abi'), await page.inputValue('#emu-syscall')]).toEqual([abi, syscall]);
    expect(await page.getAttribute('#verdict', 'data-verdict')).toBe(verdictA);
    await page.screenshot({ path: join(SHOTS, 'diff.png') });
    await page.close();
  });

  itWhen(missing, 'offers the filters of a Firecracker file, and falls back to a plain text area', async () => {
    const page = await open('#profile:hardened');
    await setEditor(page, '#editor-a', JSON.stringify({
      vmm: { default_action: 'trap', filter_action: 'allow', filter: [{ syscall: 'read' }] },
      api: { default_action: { errno: 1 }, filter_action: 'allow', filter: [{ syscall: 'write' }] },
    }, null, 2));
    await page.waitForFunction(() => document.querySelector('#input-kind')?.textContent === 'Firecracker filter "vmm"');
    expect((await emulate(page, 'write')).verdict).toBe('TRAP');
    await page.selectOption('#firecracker-filter', 'api');
    await page.waitForFunction(() => document.querySelector('#input-kind')?.textContent === 'Firecracker filter "api"');
    expect(await page.getAttribute('#verdict', 'data-verdict')).toBe('ALLOW');
    await page.close();

    const plain = await open('?plain#profile:hardened', undefined, 'textarea');
    expect((await emulate(plain, 'kexec_load')).verdict).toBe('ERRNO(EPERM)');
    await plain.fill('#editor-a textarea', '{"defaultAction": "ALLOW",\n "rules": [}');
    await plain.waitForSelector('body[data-state=stale]');
    expect(await plain.textContent('#error')).toMatch(/^line 2, column 12: not valid JSON/);
    expect(await plain.getAttribute('#editor-a textarea', 'aria-invalid')).toBe('true');
    await plain.close();
  });

  itWhen(missing, 'works by keyboard and offline, and fits a phone-width screen', async () => {
    const page = await open('#profile:hardened', { width: 390, height: 844 });
    // Once loaded, the page works offline.
    await browser!.context.setOffline(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.focus('#tab-filter');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-explain');
    expect(await page.isVisible('#panel-explain')).toBe(true);
    await page.waitForSelector('#explain:not([aria-busy])');
    expect(await page.textContent('#explain')).toMatch(/^x86_64 .*: ALLOW$/m);
    await page.keyboard.press('End');
    expect(await page.getAttribute('#tab-download', 'aria-selected')).toBe('true');
    const download = page.waitForEvent('download');
    await page.focus('#download-raw');
    await page.keyboard.press('Enter');
    const saved = join(work, 'downloaded.bpf');
    await (await download).saveAs(saved);
    expect(new Uint8Array((await import('node:fs')).readFileSync(saved))).toEqual(encodeProgram(compiled('hardened')));
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'phone.png'), fullPage: true });
    await browser!.context.setOffline(false);
    await page.close();
  });

  itWhen(missing, 'requested nothing outside its own origin', () => {
    expect(requests.length).toBeGreaterThan(5);
    expect(requests.filter((u) => !u.startsWith(`${server.origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);
  });
});
