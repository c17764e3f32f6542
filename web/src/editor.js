// @ts-check
// The YAML editor: CodeMirror 6 with YAML highlighting, line numbers, search, lint underlines from
// the engine's diagnostics (positions in UTF-16 columns) and a highlight for the lines a step's
// reference points at.
//
// The editor lives in a shadow root. CodeMirror's style library writes its rules into a
// constructable stylesheet (adoptedStyleSheets) when its root is a shadow root, and into a
// `<style>` element when its root is the document; the page's Content-Security-Policy allows
// only its own stylesheet (`style-src 'self'`, no 'unsafe-inline', no nonce: a static page has
// no per-response nonce, and a fixed one would be a published password), so the `<style>`
// element would be blocked. Constructable stylesheets are not subject to style-src.
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { yaml } from '@codemirror/lang-yaml';
import { HighlightStyle, bracketMatching, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, lintKeymap, setDiagnostics } from '@codemirror/lint';
import { highlightSelectionMatches, search, searchKeymap } from '@codemirror/search';
import { Compartment, EditorState, StateEffect, StateField } from '@codemirror/state';
import {
  Decoration,
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from '@codemirror/view';
import { tags } from '@lezer/highlight';

/** @typedef {import('./types/api').BrowserDiagnostic} BrowserDiagnostic */
/** @typedef {import('@codemirror/lint').Diagnostic} EditorDiagnostic */
/** @typedef {import('@codemirror/state').Text} Text */

// Colours come from the page's CSS custom properties, which inherit into the shadow root, so
// that the light and dark themes (prefers-color-scheme in style.css) reach the editor too.
const theme = EditorView.theme({
  '&': { color: 'var(--fg)', backgroundColor: 'var(--editor-bg)', height: '100%', fontSize: '13px' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.5' },
  '.cm-content': { caretColor: 'var(--fg)' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--fg)' },
  '&.cm-focused': { outline: '2px solid var(--focus)', outlineOffset: '-2px' },
  '&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, ::selection':
    { backgroundColor: 'var(--selection)' },
  '.cm-gutters': { backgroundColor: 'var(--editor-gutter)', color: 'var(--muted)', borderRight: '1px solid var(--line)' },
  '.cm-activeLine': { backgroundColor: 'var(--active-line)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--active-line)', color: 'var(--fg)' },
  '.cm-decided': { backgroundColor: 'var(--decided)', boxShadow: 'inset 3px 0 0 var(--accent)' },
  '.cm-tooltip': { backgroundColor: 'var(--bg)', color: 'var(--fg)', border: '1px solid var(--line)' },
  '.cm-panels': { backgroundColor: 'var(--editor-gutter)', color: 'var(--fg)' },
  '.cm-textfield, .cm-button': { font: 'inherit', color: 'inherit' },
  '.cm-searchMatch': { backgroundColor: 'var(--search-match)' },
  // @codemirror/lint draws its underlines and gutter markers as data: SVG images, which the
  // page's `img-src 'self'` refuses; these rules draw them with CSS alone.
  '.cm-lintRange': { backgroundImage: 'none', textDecorationLine: 'underline', textDecorationStyle: 'wavy', textDecorationSkipInk: 'none', textUnderlineOffset: '3px' },
  '.cm-lintRange-error': { backgroundImage: 'none', textDecorationColor: 'var(--fail)' },
  '.cm-lintRange-warning': { backgroundImage: 'none', textDecorationColor: 'var(--warn)' },
  '.cm-lintRange-info, .cm-lintRange-hint': { backgroundImage: 'none', textDecorationColor: 'var(--info)' },
  '.cm-lint-marker': { content: 'none', width: '0.7em', height: '0.7em', margin: '0.4em 0.15em 0', borderRadius: '50%' },
  '.cm-lint-marker-error': { content: 'none', backgroundColor: 'var(--fail)' },
  '.cm-lint-marker-warning': { content: 'none', backgroundColor: 'var(--warn)', borderRadius: '1px' },
  '.cm-lint-marker-info': { content: 'none', backgroundColor: 'var(--info)', borderRadius: '1px' },
});

const highlightStyle = HighlightStyle.define([
  { tag: [tags.propertyName, tags.definition(tags.propertyName)], color: 'var(--tok-key)' },
  { tag: [tags.string, tags.special(tags.string)], color: 'var(--tok-string)' },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: 'var(--tok-atom)' },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: 'var(--tok-comment)', fontStyle: 'italic' },
  { tag: [tags.meta, tags.processingInstruction, tags.labelName, tags.typeName], color: 'var(--tok-meta)' },
  { tag: [tags.separator, tags.punctuation, tags.brace, tags.squareBracket], color: 'var(--muted)' },
  { tag: tags.invalid, color: 'var(--fail)' },
]);

/**
 * Sets (or clears, with null) the lines a step reference points at.
 * @type {import('@codemirror/state').StateEffectType<{ first: number, last: number } | null>}
 */
const setDecided = StateEffect.define();

const decidedField = StateField.define({
  create: () => Decoration.none,
  update(lines, transaction) {
    // An edit invalidates the explanation the highlight came from.
    if (transaction.docChanged) lines = Decoration.none;
    for (const effect of transaction.effects) {
      if (!effect.is(setDecided)) continue;
      const range = effect.value;
      if (!range) {
        lines = Decoration.none;
        continue;
      }
      const marks = [];
      for (let number = range.first; number <= range.last; number += 1) {
        marks.push(Decoration.line({ class: 'cm-decided' }).range(transaction.state.doc.line(number).from));
      }
      lines = Decoration.set(marks);
    }
    return lines;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/**
 * The lines of the YAML node a reference points at. References point at a field's value: a
 * scalar after its key (that line), a block mapping or a sequence item's mapping starting at the
 * column (the lines indented at least as deep), or, for a field whose value is a block sequence
 * (the path does not end in `[n]`), its first item (then every item of that sequence).
 * @param {Text} doc
 * @param {number} lineNumber
 * @param {number | null | undefined} utf16Column where the value starts on its line
 * @param {boolean} isItem the path names a sequence item (ends in `[n]`)
 */
export function nodeLines(doc, lineNumber, utf16Column, isItem) {
  const first = Math.min(Math.max(1, lineNumber), doc.lines);
  const head = doc.line(first).text;
  const indent = /^ */.exec(head)?.[0].length ?? 0;
  const column = Math.min(head.length, Math.max(indent, (utf16Column ?? indent + 1) - 1));
  const before = head.slice(0, column);
  /** @type {(lineIndent: number, text: string) => boolean} */
  let inside;
  if (!/^[ -]*$/.test(before)) {
    // A value after `key:` on this line: it goes on only in lines deeper than the key.
    const key = /^[ -]*/.exec(head)?.[0].length ?? 0;
    inside = (lineIndent) => lineIndent > key;
  } else if (!isItem && before.trimEnd().endsWith('-')) {
    // A block sequence: its items, at the `-`'s indentation, and what is under them.
    const dash = before.lastIndexOf('-');
    inside = (lineIndent, text) => lineIndent > dash || (lineIndent === dash && /^ *- /.test(text));
  } else {
    // A block mapping (a sequence item's, or a field's value) whose keys start at the column.
    inside = (lineIndent) => lineIndent >= column;
  }
  let last = first;
  for (let number = first + 1; number <= Math.min(doc.lines, first + 400); number += 1) {
    const text = doc.line(number).text;
    if (!text.trim() || /^\s*#/.test(text)) continue;
    if (/^(---|\.\.\.)(\s|$)/.test(text) || !inside(/^ */.exec(text)?.[0].length ?? 0, text)) break;
    last = number;
  }
  return { first, last };
}

/**
 * The document offset of a 1-based line and 1-based UTF-16 column, clamped into the document.
 * @param {Text} doc
 * @param {number} line
 * @param {number | null | undefined} utf16Column
 */
export function offsetOf(doc, line, utf16Column) {
  const at = doc.line(Math.min(Math.max(1, line), doc.lines));
  return at.from + Math.min(Math.max(0, (utf16Column ?? 1) - 1), at.length);
}

/**
 * The editor's underlines for the engine's findings: from the reported column to the end of the
 * line's content (the contract gives a start, not an end).
 * @param {Text} doc
 * @param {BrowserDiagnostic[]} diagnostics
 * @returns {EditorDiagnostic[]}
 */
function editorDiagnostics(doc, diagnostics) {
  return diagnostics.flatMap((d) => {
    if (d.line === null) return [];
    const from = offsetOf(doc, d.line, d.utf16_column);
    const line = doc.lineAt(from);
    const end = line.from + line.text.trimEnd().length;
    return [{
      from,
      to: Math.max(from, end),
      severity: d.severity,
      source: d.code,
      message: d.message,
    }];
  });
}

/**
 * Creates the editor inside `host` (in a shadow root).
 * @param {HTMLElement} host
 * @param {{ doc: string, onChange: () => void, onInput: (event: Event) => void, label: string }} options
 */
export function createEditor(host, { doc, onChange, onInput, label }) {
  const shadow = host.attachShadow({ mode: 'open' });
  const readOnly = new Compartment();
  const dark = new Compartment();
  const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');

  const view = new EditorView({
    root: shadow,
    parent: shadow,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        search({ top: true }),
        yaml(),
        syntaxHighlighting(highlightStyle),
        lintGutter(),
        decidedField,
        theme,
        dark.of(EditorView.darkTheme.of(darkQuery.matches)),
        readOnly.of([]),
        EditorState.tabSize.of(2),
        keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap, ...lintKeymap, indentWithTab]),
        EditorView.contentAttributes.of({ 'aria-label': label }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange();
        }),
      ],
    }),
  });

  // The base themes of CodeMirror's packages pick their colours by the dark flag.
  darkQuery.addEventListener('change', () => {
    view.dispatch({ effects: dark.reconfigure(EditorView.darkTheme.of(darkQuery.matches)) });
  });
  // The earliest sign of a keystroke, for the re-explanation's latency measurement.
  for (const type of ['keydown', 'beforeinput', 'paste', 'drop']) {
    view.contentDOM.addEventListener(type, onInput, { capture: true });
  }

  return {
    view,
    text: () => view.state.doc.toString(),
    lineCount: () => view.state.doc.lines,

    /** @param {string} text */
    setText(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: 0 } });
      view.scrollDOM.scrollTop = 0;
    },

    /** @param {BrowserDiagnostic[]} diagnostics */
    setDiagnostics(diagnostics) {
      view.dispatch(setDiagnostics(view.state, editorDiagnostics(view.state.doc, diagnostics)));
    },

    /**
     * Highlights the YAML node at a step reference and scrolls it into view.
     * @param {number} line
     * @param {number | null | undefined} utf16Column
     * @param {boolean} isItem the reference names a sequence item (its path ends in `[n]`)
     */
    highlight(line, utf16Column, isItem) {
      const doc = view.state.doc;
      const range = nodeLines(doc, line, utf16Column, isItem);
      const at = offsetOf(doc, line, utf16Column);
      view.dispatch({ effects: setDecided.of(range), selection: { anchor: at } });
      // Scroll the editor alone (CodeMirror's scrollIntoView would also scroll the page, moving
      // the step that was just clicked): the node's first line a third of the way down.
      view.requestMeasure({
        read: () => view.lineBlockAt(doc.line(range.first).from).top,
        write: (top) => {
          view.scrollDOM.scrollTop = Math.max(0, top - view.scrollDOM.clientHeight / 3);
        },
      });
      return range;
    },

    /**
     * Moves the cursor to a position and focuses the editor.
     * @param {number} line
     * @param {number | null | undefined} utf16Column
     */
    focusAt(line, utf16Column) {
      const at = offsetOf(view.state.doc, line, utf16Column);
      view.dispatch({ selection: { anchor: at }, effects: EditorView.scrollIntoView(at, { y: 'center' }) });
      view.focus();
    },

    /** @param {boolean} on */
    setReadOnly(on) {
      view.dispatch({
        effects: readOnly.reconfigure(on ? [EditorState.readOnly.of(true), EditorView.editable.of(false)] : []),
      });
    },
  };
}
