/**
 * The playground page: wires the editor, the views and the URL fragment to the engine. Output follows the input
 * as it is typed (debounced); a faulty input shows its fault at its place and the last good output stays.
 */
import { listProfiles, syscallTable, TARGETS, type LinuxArchName, type TargetArch } from '../../src/index.js';
import { createEditor, type Editor } from './editor.js';
import {
  abiChoices, buildFilter, builtInText, diffView, disassemblyRows, downloads, emulate, explainProgram, explainText, InputError, whyLine,
  loadInput, rawToText, statsAbis, statsView, type Built, type ExplainResult, type WitnessCall, type InputFault, type StatsView,
} from './engine.js';
import { chartView, disassemblyItems, downloadItems, highlightPath, statsRows, tuningItems, warningItems, witnessItems } from './views.js';
import { decodeState, encodeState, PROFILE_PREFIX, STATE_PREFIX, type PlaygroundState } from './state.js';

const DEBOUNCE_MS = 250;
/** Longest an explain or diff may run before it gives up and says so (the page stays responsive). */
const ANALYSIS_TIMEOUT_MS = 4000;
const TABS = ['filter', 'explain', 'stats', 'diff', 'download'] as const;
type Tab = (typeof TABS)[number];

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`page: #${id} is missing`);
  return node as T;
};

const plain = new URLSearchParams(location.search).has('plain');
let editorA: Editor;
let editorB: Editor;

/** The page's state beyond the editors' text. */
const page = {
  tune: [] as string[],
  tab: 'filter' as Tab,
  /** The filter chosen in a Firecracker file ('' for the first). */
  firecrackerFilter: '',
  /** The built-in whose unchanged text is in the editor, if any: the fragment is then `#profile:NAME`. */
  profile: undefined as string | undefined,
  profileText: '',
  /** The last input that built, and what was computed from it (computed on demand, once per build). */
  good: undefined as Built | undefined,
  stats: undefined as StatsView | undefined,
  explained: undefined as Built | undefined,
  /** The explanation of the last good build, once computed (the Explain view and the emulated call's line share it). */
  explanation: undefined as { built: Built; result: ExplainResult } | undefined,
  diffed: undefined as { a: Built; bText: string; target: string } | undefined,
  restoring: false,
};

// ---------------------------------------------------------------------------------------------- rendering

/** What the page shows for an error: an input's fault as placed, anything else as one line (never a stack). */
function faultOf(err: unknown): InputFault {
  if (err instanceof InputError) return err.fault;
  console.error(err);
  return { message: `unexpected error: ${err instanceof Error ? err.message : String(err)}` };
}

function showFault(box: HTMLElement, editor: Editor, fault: InputFault | undefined, keptNote: string): void {
  if (fault === undefined) {
    box.hidden = true;
    box.textContent = '';
    editor.mark(undefined);
    return;
  }
  box.hidden = false;
  box.textContent = fault.message + keptNote;
  if (fault.from !== undefined) editor.mark({ from: fault.from, to: fault.to ?? fault.from + 1, message: fault.message });
  else editor.mark(undefined);
}

function renderDisassembly(built: Built): void {
  $('disasm').replaceChildren(...disassemblyItems(disassemblyRows(built.program)));
  $('program-size').textContent = `${built.program.length} instructions · ${built.loaded.what}` +
    (built.loaded.kind === 'policy' ? `, compiled${($('optimize') as HTMLInputElement).checked ? '' : ' unoptimized'}` : '');
}

function renderStats(): void {
  const built = page.good;
  if (built === undefined) return;
  page.stats ??= statsView(built.program, statsAbis(built));
  const view = page.stats;
  const chart = $('chart-abi') as HTMLSelectElement;
  const abis = view.stats.abis.map((s) => s.abi);
  if ([...chart.options].map((o) => o.value).join() !== abis.join()) {
    const chosen = chart.value;
    chart.replaceChildren(...abis.map((abi) => new Option(abi, abi)));
    if (abis.includes(chosen as LinuxArchName)) chart.value = chosen;
  }
  $('stats-table').querySelector('tbody')!.replaceChildren(...statsRows(view));
  renderChart();
}

function renderChart(): void {
  if (page.stats === undefined) return;
  const { nodes, label } = chartView(page.stats, ($('chart-abi') as HTMLSelectElement).value);
  $('chart').replaceChildren(...nodes);
  $('chart').setAttribute('aria-label', label);
}

/** The explanation of BUILT, computed once. */
function explanationOf(built: Built): ExplainResult {
  if (page.explanation?.built !== built) page.explanation = { built, result: explainProgram(built.program, ANALYSIS_TIMEOUT_MS) };
  return page.explanation.result;
}

/** Runs a long analysis once the page has shown that it is busy; skipped when the input changed meanwhile. */
function afterPaint(built: Built, out: HTMLElement, note: string, run: () => void): void {
  out.textContent = note;
  out.setAttribute('aria-busy', 'true');
  requestAnimationFrame(() => setTimeout(() => {
    if (page.good !== built) return;
    run();
    out.removeAttribute('aria-busy');
  }, 0));
}

function renderExplain(): void {
  const built = page.good;
  if (built === undefined || page.explained === built) return;
  page.explained = built;
  afterPaint(built, $('explain'), 'explaining…', () => {
    $('explain').textContent = explainText(explanationOf(built));
  });
}

function renderDiff(): void {
  const a = page.good;
  const bText = editorB.text();
  const target = ($('target') as HTMLSelectElement).value as TargetArch;
  if (a === undefined || (page.diffed?.a === a && page.diffed.bText === bText && page.diffed.target === target)) return;
  if (bText.trim() === '') {
    showFault($('error-b'), editorB, undefined, '');
    $('diff').textContent = 'Put a second policy, profile or filter in B (or pick a built-in) to compare it with A.';
    delete $('diff').dataset.equivalent;
    renderWitnesses([]);
    return;
  }
  let b: Built;
  try {
    b = buildFilter(loadInput(bText, { target }), { tune: [], optimize: ($('optimize') as HTMLInputElement).checked });
    showFault($('error-b'), editorB, undefined, '');
  } catch (err) {
    showFault($('error-b'), editorB, faultOf(err), '');
    return;
  }
  page.diffed = { a, bText, target };
  delete $('diff').dataset.equivalent;
  renderWitnesses([]);
  afterPaint(a, $('diff'), 'comparing…', () => {
    const d = diffView(a.program, b.program, ANALYSIS_TIMEOUT_MS);
    $('diff').textContent = d.text;
    $('diff').dataset.equivalent = String(d.equivalent);
    renderWitnesses(d.witnesses);
  });
}

/** Most witnesses offered as buttons; the diff text lists every one. */
const MAX_WITNESS_BUTTONS = 40;

/** A button per witness: it fills the emulate form with that call and shows its path through A. */
function renderWitnesses(witnesses: readonly WitnessCall[]): void {
  $('witnesses').replaceChildren(...witnessItems(witnesses.slice(0, MAX_WITNESS_BUTTONS), (w) => {
    const abi = $('emu-abi') as HTMLSelectElement;
    abi.value = w.abi;
    useDatalist(w.abi);
    ($('emu-syscall') as HTMLInputElement).value = w.syscall;
    document.querySelectorAll<HTMLInputElement>('.arg').forEach((input, k) => {
      input.value = w.args[k] ?? '';
    });
    selectTab('filter', false);
    emulateNow();
    $('emu-syscall').focus();
  }));
}

function renderDownloads(): void {
  if (page.good !== undefined) $('downloads').replaceChildren(...downloadItems(downloads(page.good)));
}

/** The views of the visible tab that are computed on demand. */
function renderVisible(): void {
  if (page.tab === 'stats') renderStats();
  else if (page.tab === 'explain') renderExplain();
  else if (page.tab === 'diff') renderDiff();
  else if (page.tab === 'download') renderDownloads();
}

// ---------------------------------------------------------------------------------------------- emulation

function emulateNow(): void {
  const built = page.good;
  const out = $('verdict');
  highlightPath($('disasm'), []);
  if (built === undefined) return;
  const abi = ($('emu-abi') as HTMLSelectElement).value as LinuxArchName;
  const syscall = ($('emu-syscall') as HTMLInputElement).value;
  const args = [...document.querySelectorAll<HTMLInputElement>('.arg')].map((i) => i.value);
  try {
    const r = emulate(built.program, { abi, syscall, args });
    out.className = r.verdict === 'ALLOW' ? 'verdict allow' : 'verdict deny';
    out.dataset.verdict = r.verdict;
    out.textContent = `${abi} ${syscall.trim()} (nr ${r.nr >>> 0}): ${r.verdict}, ${r.executed} instructions executed` +
      (r.note !== undefined ? `. ${r.note}` : '');
    $('why').dataset.call = `${abi}:${r.nr}`;
    renderWhy(built, abi, r.nr);
    highlightPath($('disasm'), r.path);
  } catch (err) {
    out.className = 'verdict fault';
    out.dataset.verdict = '';
    out.textContent = faultOf(err).message;
    $('why').textContent = '';
    $('why').dataset.call = '';
  }
}

/** The explain line of the emulated call: its verdict for every argument value, computed once per input. */
function renderWhy(built: Built, abi: LinuxArchName, nr: number): void {
  const why = $('why');
  if (abi !== 'x86_64' && abi !== 'i386' && abi !== 'x32') {
    why.textContent = '';
    return;
  }
  const show = (): void => {
    const result = explanationOf(built);
    why.textContent = 'error' in result ? result.error : `For every argument value: ${whyLine(result.explanation, abi, nr) ?? '(not explained)'}`;
    why.removeAttribute('aria-busy');
  };
  if (page.explanation?.built === built) {
    show();
    return;
  }
  why.textContent = 'explaining…';
  why.setAttribute('aria-busy', 'true');
  requestAnimationFrame(() => setTimeout(() => {
    // Only the latest call's line is shown: a newer input or call replaces this one.
    if (page.good === built && why.dataset.call === `${abi}:${nr}`) show();
  }, 0));
}

function useDatalist(abi: string): void {
  const id = `syscall-names-${abi}`;
  if (document.getElementById(id) === null) {
    const list = document.createElement('datalist');
    list.id = id;
    for (const e of syscallTable(abi as LinuxArchName)) {
      const option = document.createElement('option');
      option.value = e.name;
      list.append(option);
    }
    $('datalists').append(list);
  }
  $('emu-syscall').setAttribute('list', id);
}

// ---------------------------------------------------------------------------------------------- state

function currentState(): PlaygroundState {
  return {
    a: editorA.text(),
    b: editorB.text(),
    tune: [...page.tune],
    optimize: ($('optimize') as HTMLInputElement).checked,
    emulate: {
      abi: ($('emu-abi') as HTMLSelectElement).value,
      syscall: ($('emu-syscall') as HTMLInputElement).value,
      args: [...document.querySelectorAll<HTMLInputElement>('.arg')].map((i) => i.value),
    },
    tab: page.tab,
    firecrackerFilter: page.firecrackerFilter,
    target: ($('target') as HTMLSelectElement).value,
  };
}

/** Whether the state is a built-in profile as it opens, so that `#profile:NAME` says it all. */
function isPlainProfile(s: PlaygroundState): boolean {
  return page.profile !== undefined && s.a === page.profileText && s.b === '' && s.tune.length === 0 && s.optimize &&
    s.emulate.abi === 'x86_64' && s.emulate.syscall === 'read' && s.emulate.args.every((a) => a === '') && s.tab === 'filter' && s.firecrackerFilter === '' && s.target === 'amd64';
}

/** The debounce of input changes: set while an update is due. */
let timer: ReturnType<typeof setTimeout> | undefined;
let fragmentWrites = Promise.resolve();
let pendingWrites = 0;
/** `data-link` on the body: `pending` while the fragment is behind the page, `saved` once it holds the state. */
const linkState = (): void => {
  document.body.dataset.link = pendingWrites > 0 || timer !== undefined ? 'pending' : 'saved';
};
function saveFragment(): void {
  if (page.restoring) return;
  const s = currentState();
  pendingWrites++;
  linkState();
  fragmentWrites = fragmentWrites.then(async () => {
    const fragment = isPlainProfile(s) ? `${PROFILE_PREFIX}${page.profile}` : await encodeState(s);
    if (location.hash !== fragment) history.replaceState(null, '', fragment);
  }).catch((err: unknown) => console.warn(`link: ${err instanceof Error ? err.message : String(err)}`)).finally(() => {
    pendingWrites--;
    linkState();
  });
}

function applyState(s: PlaygroundState): void {
  page.restoring = true;
  try {
    page.tune = [...s.tune];
    page.firecrackerFilter = s.firecrackerFilter;
    ($('target') as HTMLSelectElement).value = Object.hasOwn(TARGETS, s.target) ? s.target : 'amd64';
    ($('optimize') as HTMLInputElement).checked = s.optimize;
    const abi = $('emu-abi') as HTMLSelectElement;
    abi.value = abiChoices().includes(s.emulate.abi as LinuxArchName) ? s.emulate.abi : 'x86_64';
    useDatalist(abi.value);
    ($('emu-syscall') as HTMLInputElement).value = s.emulate.syscall;
    document.querySelectorAll<HTMLInputElement>('.arg').forEach((input, i) => {
      input.value = s.emulate.args[i] ?? '';
    });
    renderTunings();
    editorB.setText(s.b);
    editorA.setText(s.a);
    selectTab((TABS as readonly string[]).includes(s.tab) ? (s.tab as Tab) : 'filter', false);
  } finally {
    page.restoring = false;
  }
}

function loadProfileInto(editor: Editor, name: string): void {
  const text = builtInText(name);
  if (editor === editorA) {
    page.profile = name;
    page.profileText = text;
  }
  editor.setText(text);
}

/** Whether the address's fragment is a link of the page (`#profile:NAME` or `#s=…`), not an anchor such as `#output`. */
const isLink = (hash: string): boolean => hash.startsWith(PROFILE_PREFIX) || hash.startsWith(STATE_PREFIX);

/**
 * Reads the fragment: `#profile:NAME`, `#s=STATE`, or nothing (the hardened profile). A link that cannot be
 * read opens the hardened profile, and a note under the header says what was wrong with the link.
 */
async function restoreFromFragment(): Promise<void> {
  let hash = location.hash;
  try {
    hash = decodeURIComponent(hash);
  } catch {
    // Kept as written: a malformed escape is no link of the page, and is reported as such below.
  }
  let problem: string | undefined;
  if (hash.startsWith(PROFILE_PREFIX)) {
    try {
      loadProfileInto(editorA, hash.slice(PROFILE_PREFIX.length));
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
  } else if (hash.startsWith(STATE_PREFIX)) {
    try {
      applyState(await decodeState(location.hash));
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
  } else {
    loadProfileInto(editorA, 'hardened');
  }
  $('notice').hidden = problem === undefined;
  $('notice').textContent = problem === undefined ? '' : `This link could not be opened: ${problem}. Showing the built-in hardened profile instead.`;
  if (problem !== undefined) loadProfileInto(editorA, 'hardened');
}

// ---------------------------------------------------------------------------------------------- updates

function schedule(): void {
  clearTimeout(timer);
  timer = setTimeout(update, DEBOUNCE_MS);
  linkState();
}

/** Rebuilds from the input; on a fault, marks it and keeps the last good output. */
function update(): void {
  clearTimeout(timer);
  timer = undefined;
  const text = editorA.text();
  try {
    const loaded = loadInput(text, {
      target: ($('target') as HTMLSelectElement).value as TargetArch,
      ...(page.firecrackerFilter !== '' && { firecrackerFilter: page.firecrackerFilter }),
    });
    const built = buildFilter(loaded, { tune: page.tune, optimize: ($('optimize') as HTMLInputElement).checked });
    renderFirecrackerChoice(loaded.kind === 'policy' ? loaded.filters : undefined, loaded.what);
    page.good = built;
    page.stats = undefined;
    showFault($('error'), editorA, undefined, '');
    $('input-kind').textContent = built.loaded.what;
    $('warnings').replaceChildren(...warningItems(built.warnings));
    renderDisassembly(built);
    emulateNow();
    renderVisible();
    if (document.body.dataset.state === 'loading') performance.mark('playground-ready');
    document.body.dataset.state = 'ready';
  } catch (err) {
    const kept = page.good !== undefined ? ' (the output shows the last input that worked)' : '';
    showFault($('error'), editorA, faultOf(err), kept);
    document.body.dataset.state = page.good !== undefined ? 'stale' : 'error';
  }
  saveFragment();
}

// ---------------------------------------------------------------------------------------------- controls

/** The filter select of a Firecracker file holding several filters; hidden otherwise. */
function renderFirecrackerChoice(filters: readonly string[] | undefined, what: string): void {
  const select = $('firecracker-filter') as HTMLSelectElement;
  $('firecracker-choice').hidden = filters === undefined || filters.length < 2;
  if (filters === undefined || filters.length < 2) return;
  const chosen = filters.find((f) => what === `Firecracker filter "${f}"`) ?? filters[0] ?? '';
  if ([...select.options].map((o) => o.value).join('\n') !== filters.join('\n')) {
    select.replaceChildren(...filters.map((f) => new Option(f, f)));
  }
  select.value = chosen;
}

function renderTunings(): void {
  $('tunings').replaceChildren(...tuningItems(page.tune, (i) => {
    page.tune.splice(i, 1);
    renderTunings();
    update();
  }));
}

function addTuning(op: 'allow' | 'deny'): void {
  const input = $('tune-name') as HTMLInputElement;
  const name = input.value.trim();
  if (name === '') {
    input.focus();
    return;
  }
  page.tune.push(`${op}:${name}`);
  input.value = '';
  renderTunings();
  update();
}

function selectTab(tab: Tab, focus: boolean): void {
  page.tab = tab;
  for (const t of TABS) {
    const button = $(`tab-${t}`);
    const selected = t === tab;
    button.setAttribute('aria-selected', String(selected));
    button.tabIndex = selected ? 0 : -1;
    $(`panel-${t}`).hidden = !selected;
    if (selected && focus) button.focus();
  }
  renderVisible();
  saveFragment();
}

async function readFile(file: File, target: Editor): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (target === editorA) page.profile = undefined;
  try {
    target.setText(bytes.includes(0) ? rawToText(bytes, file.name) : new TextDecoder().decode(bytes));
  } catch (err) {
    showFault(target === editorA ? $('error') : $('error-b'), target,
      { message: `${file.name}: ${err instanceof Error ? err.message : String(err)}` }, '');
  }
}

function profileButtons(host: HTMLElement, target: () => Editor, suffix: string): void {
  host.replaceChildren(...listProfiles().map((p) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.id = `profile-${p.name}${suffix}`;
    button.textContent = p.name;
    button.title = p.description;
    button.addEventListener('click', () => loadProfileInto(target(), p.name));
    return button;
  }));
}

function wire(): void {
  profileButtons($('profiles'), () => editorA, '');
  profileButtons($('profiles-b'), () => editorB, '-b');
  const abiSelect = $('emu-abi') as HTMLSelectElement;
  const chartSelect = $('chart-abi') as HTMLSelectElement;
  for (const abi of abiChoices()) abiSelect.append(new Option(abi, abi));
  const target = $('target') as HTMLSelectElement;
  for (const name of Object.keys(TARGETS)) target.append(new Option(name, name));
  target.value = 'amd64';
  target.addEventListener('change', () => {
    // The emulate form follows to the machine's own ABI, the one its calls mostly come from.
    abiSelect.value = TARGETS[target.value as TargetArch].native;
    useDatalist(abiSelect.value);
    update();
  });
  const args = document.querySelector('#emulate .args') as HTMLFieldSetElement;
  for (let i = 0; i < 6; i++) {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.className = 'arg';
    input.id = `emu-arg${i}`;
    input.inputMode = 'numeric';
    input.placeholder = '0';
    label.append(`arg${i} `, input);
    args.append(label);
  }
  useDatalist('x86_64');

  abiSelect.addEventListener('change', () => {
    useDatalist(abiSelect.value);
    emulateNow();
    saveFragment();
  });
  $('emulate').addEventListener('input', () => {
    emulateNow();
    saveFragment();
  });
  $('emulate').addEventListener('submit', (e) => {
    e.preventDefault();
    emulateNow();
    saveFragment();
  });
  chartSelect.addEventListener('change', renderChart);
  // A bar clicked: that syscall in the emulate form (the form itself is the keyboard's way to the same place).
  $('chart').addEventListener('click', (e) => {
    const name = (e.target as Element).getAttribute('data-syscall');
    if (name === null) return;
    abiSelect.value = chartSelect.value;
    useDatalist(abiSelect.value);
    ($('emu-syscall') as HTMLInputElement).value = name;
    document.querySelectorAll<HTMLInputElement>('.arg').forEach((input) => {
      input.value = '';
    });
    selectTab('filter', false);
    emulateNow();
  });
  $('firecracker-filter').addEventListener('change', () => {
    page.firecrackerFilter = ($('firecracker-filter') as HTMLSelectElement).value;
    update();
  });
  $('optimize').addEventListener('change', update);
  $('tune-allow').addEventListener('click', () => addTuning('allow'));
  $('tune-deny').addEventListener('click', () => addTuning('deny'));
  $('tune-name').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      addTuning('allow');
    }
  });

  TABS.forEach((t, i) => {
    $(`tab-${t}`).addEventListener('click', () => selectTab(t, false));
    $(`tab-${t}`).addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (e.key === 'Home' || e.key === 'End') {
        e.preventDefault();
        selectTab(TABS[e.key === 'Home' ? 0 : TABS.length - 1] as Tab, true);
      } else if (step !== 0) {
        e.preventDefault();
        selectTab(TABS[(i + step + TABS.length) % TABS.length] as Tab, true);
      }
    });
  });

  $('upload').addEventListener('change', () => {
    const file = ($('upload') as HTMLInputElement).files?.[0];
    if (file !== undefined) void readFile(file, editorA);
    ($('upload') as HTMLInputElement).value = '';
  });
  for (const zone of document.querySelectorAll<HTMLElement>('[data-drop]')) {
    zone.addEventListener('dragover', (e) => {
      e.preventDefault();
      zone.classList.add('dropping');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dropping'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('dropping');
      const file = e.dataTransfer?.files[0];
      if (file !== undefined) void readFile(file, zone.dataset.drop === 'b' ? editorB : editorA);
    });
  }

  $('share').addEventListener('click', async () => {
    saveFragment();
    await fragmentWrites;
    try {
      await navigator.clipboard.writeText(location.href);
      $('share').textContent = 'Link copied';
    } catch {
      $('share').textContent = 'Link is in the address bar';
    }
    setTimeout(() => {
      $('share').textContent = 'Copy link';
    }, 2000);
  });

  window.addEventListener('hashchange', () => {
    // A link of the page opens its state; an anchor (the skip link's #output) has moved the focus, and the
    // address gets the page's state back.
    if (isLink(location.hash)) void restoreFromFragment().then(update);
    else saveFragment();
  });
}

async function start(): Promise<void> {
  wire();
  editorA = createEditor($('editor-a'), 'Input A: policy, profile or filter', () => {
    if (page.profile !== undefined && editorA.text() !== page.profileText) page.profile = undefined;
    schedule();
  }, plain);
  editorB = createEditor($('editor-b'), 'Input B, compared with A', () => {
    if (page.tab === 'diff') schedule();
    else saveFragment();
  }, plain);
  $('editor-a').dataset.editor = editorA.kind;
  await restoreFromFragment();
  update();
}

void start();
