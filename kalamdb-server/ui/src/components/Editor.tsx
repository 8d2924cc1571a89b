// The SQL editor: CodeMirror 6 with SQL highlighting and completion of
// the namespaces, tables and columns the server reports.
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { PostgreSQL, sql, type SQLNamespace } from "@codemirror/lang-sql";
import { Compartment, EditorState, StateEffect, StateField } from "@codemirror/state";
import { Decoration, drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers, placeholder, type DecorationSet } from "@codemirror/view";
import { useEffect, useRef } from "preact/hooks";

// The page's CSP nonce (see index.html): CodeMirror adds <style> elements,
// which the policy admits only with it.
const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? "";

export interface EditorHandle {
  // The selected text, or the whole text; and where it starts.
  target(): { text: string; from: number };
  setText(text: string): void;
  markError(from: number, to: number): void;
  focus(): void;
}

const setError = StateEffect.define<{ from: number; to: number } | null>();
const errorField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (e.is(setError)) {
        deco = e.value ? Decoration.set([Decoration.mark({ class: "cm-sql-error" }).range(e.value.from, e.value.to)]) : Decoration.none;
      }
    }
    if (tr.docChanged) deco = Decoration.none;
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

export function Editor(props: {
  initial: string;
  schema: SQLNamespace;
  onChange: (text: string) => void;
  onRun: () => void;
  handle: (h: EditorHandle) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const lang = useRef(new Compartment());
  const cb = useRef(props);
  cb.current = props;

  useEffect(() => {
    const run = () => {
      cb.current.onRun();
      return true;
    };
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: props.initial,
        extensions: [
          lineNumbers(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          bracketMatching(),
          closeBrackets(),
          autocompletion(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          placeholder("SELECT * FROM system.tables"),
          lang.current.of(sql({ dialect: PostgreSQL, schema: props.schema, upperCaseKeywords: true })),
          errorField,
          EditorView.cspNonce.of(nonce),
          keymap.of([
            { key: "Mod-Enter", run },
            { key: "Shift-Enter", run },
            ...closeBracketsKeymap,
            ...completionKeymap,
            ...historyKeymap,
            ...defaultKeymap,
            indentWithTab,
          ]),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) cb.current.onChange(u.state.doc.toString());
          }),
          EditorView.contentAttributes.of({ "aria-label": "SQL editor", "data-testid": "sql-editor" }),
        ],
      }),
    });
    view.current = v;
    props.handle({
      target() {
        const sel = v.state.selection.main;
        if (!sel.empty) return { text: v.state.sliceDoc(sel.from, sel.to), from: sel.from };
        return { text: v.state.doc.toString(), from: 0 };
      },
      setText(text) {
        v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text } });
      },
      markError(from, to) {
        const len = v.state.doc.length;
        from = Math.max(0, Math.min(from, len));
        to = Math.max(from, Math.min(to, len));
        if (to === from && to < len) to++;
        v.dispatch({ effects: setError.of({ from, to }), selection: { anchor: from }, scrollIntoView: true });
      },
      focus() {
        v.focus();
      },
    });
    return () => v.destroy();
  }, []);

  useEffect(() => {
    view.current?.dispatch({
      effects: lang.current.reconfigure(sql({ dialect: PostgreSQL, schema: props.schema, upperCaseKeywords: true })),
    });
  }, [props.schema]);

  return <div class="editor" ref={host} />;
}
