/**
 * The input editor: CodeMirror 6 with JSON highlighting and an error marker at the fault's line and column,
 * or a plain textarea when CodeMirror cannot start (the page stays usable either way).
 */
import { basicSetup, EditorView } from 'codemirror';
import { json } from '@codemirror/lang-json';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';

/** What the page needs from an editor. */
export interface Editor {
  text(): string;
  setText(text: string): void;
  /** Marks FROM..TO with MESSAGE, or clears the marks when undefined. */
  mark(fault: { from: number; to: number; message: string } | undefined): void;
  focus(): void;
  /** Which implementation runs: `codemirror` or `textarea`. */
  readonly kind: 'codemirror' | 'textarea';
}

function codeMirror(host: HTMLElement, label: string, onChange: () => void): Editor {
  const view = new EditorView({
    parent: host,
    state: EditorState.create({
      doc: '',
      extensions: [
        basicSetup,
        json(),
        lintGutter(),
        EditorView.lineWrapping,
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChange();
        }),
        EditorView.contentAttributes.of({ 'aria-label': label }),
      ],
    }),
  });
  return {
    kind: 'codemirror',
    text: () => view.state.doc.toString(),
    setText: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    mark: (fault) => {
      const length = view.state.doc.length;
      const diagnostics = fault === undefined ? [] : [{
        from: Math.min(fault.from, length),
        to: Math.min(Math.max(fault.to, fault.from), length),
        severity: 'error' as const,
        message: fault.message,
      }];
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
    focus: () => view.focus(),
  };
}

function textarea(host: HTMLElement, label: string, onChange: () => void): Editor {
  const area = document.createElement('textarea');
  area.spellcheck = false;
  area.setAttribute('aria-label', label);
  area.className = 'plain-editor';
  area.addEventListener('input', onChange);
  host.append(area);
  return {
    kind: 'textarea',
    text: () => area.value,
    setText: (text) => {
      area.value = text;
      onChange();
    },
    mark: (fault) => {
      area.setAttribute('aria-invalid', fault === undefined ? 'false' : 'true');
      if (fault !== undefined) area.title = fault.message;
      else area.removeAttribute('title');
    },
    focus: () => area.focus(),
  };
}

/** An editor in HOST; CodeMirror unless it fails to start or `plain` asks for the textarea. */
export function createEditor(host: HTMLElement, label: string, onChange: () => void, plain = false): Editor {
  if (!plain) {
    try {
      return codeMirror(host, label, onChange);
    } catch (err) {
      console.warn(`editor: CodeMirror did not start (${err instanceof Error ? err.message : String(err)}); using a plain text area`);
      host.replaceChildren();
    }
  }
  return textarea(host, label, onChange);
}
