import { autocompletion, closeBrackets, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { bracketMatching, syntaxHighlighting, defaultHighlightStyle } from '@codemirror/language';
import { lintGutter } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import { useEffect, useRef } from 'react';

/**
 * A PromQL box: Prometheus' own CodeMirror extension, with completion of
 * functions, metric names and labels from the collector's API, and syntax
 * errors marked as you type. Ctrl-Enter (or Cmd-Enter) runs the query.
 */
export function PromQLEditor({ value, onRun, onChange }: { value: string; onRun: (query: string) => void; onChange: (query: string) => void }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  // The latest handlers, read by the editor's keymap without recreating the editor.
  const handlers = useRef({ onRun, onChange });
  useEffect(() => {
    handlers.current = { onRun, onChange };
  }, [onRun, onChange]);
  useEffect(() => {
    const promQL = new PromQLExtension().setComplete({ remote: { url: window.location.origin } });
    view.current = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          history(),
          closeBrackets(),
          bracketMatching(),
          autocompletion(),
          lintGutter(),
          syntaxHighlighting(defaultHighlightStyle),
          placeholder('PromQL, e.g. sum by (service_name) (rate(traces_span_metrics_calls_total[5m]))'),
          promQL.asExtension(),
          keymap.of([{ key: 'Mod-Enter', run: (v) => (handlers.current.onRun(v.state.doc.toString()), true) }, ...completionKeymap, ...historyKeymap, ...defaultKeymap]),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) handlers.current.onChange(u.state.doc.toString());
          }),
          EditorView.contentAttributes.of({ 'aria-label': 'PromQL query' }),
        ],
      }),
    });
    return () => view.current?.destroy();
    // The editor is made once; a new `value` from outside (the URL) is put in below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useEffect(() => {
    const v = view.current;
    if (v !== null && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);
  return <div className="promql-editor" ref={host} />;
}
