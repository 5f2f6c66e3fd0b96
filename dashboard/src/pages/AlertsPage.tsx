import { useState, type FormEvent } from 'react';
import { ApiError, listAlertRules, updateAlertRule } from '../api/client.ts';
import { canEdit, useMe } from '../App.tsx';
import type { AlertRuleView, RuleChange } from '../api/types.ts';
import { RulePreview } from '../components/RulePreview.tsx';
import { Empty, ErrorBox, Loading } from '../components/States.tsx';
import { useTimeRange } from '../time.ts';
import { useApi } from '../useApi.ts';

/** Every alert rule with its state, query, threshold and `for`; threshold and `for` are edited inline, checked by the collector. */
export function AlertsPage() {
  const { tick } = useTimeRange();
  const state = useApi(listAlertRules, [tick]);
  if (state.error !== null && state.data === null) return <ErrorBox error={state.error} />;
  if (state.data === null) return <Loading />;
  const rules = state.data.groups.flatMap((g) => g.rules.filter((r) => r.type === 'alerting'));
  return (
    <section>
      <h1>Alerts</h1>
      {state.error !== null && <ErrorBox error={state.error} />}
      {rules.length === 0 && <Empty>No alert rules are loaded. Start the collector with --rules pointing at a rule file (npm start loads alert-rules/*.yaml).</Empty>}
      {rules.length > 0 && (
        <table className="grid rules">
          <thead>
            <tr>
              <th>Rule</th>
              <th>State</th>
              <th>Query</th>
              <th>Threshold and for</th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <RuleRow key={`${r.group}/${r.name}/${r.index}`} rule={r} onSaved={state.reload} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RuleRow({ rule, onSaved }: { rule: AlertRuleView; onSaved: () => void }) {
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [preview, setPreview] = useState(false);
  const [draft, setDraft] = useState<string>(rule.threshold === null ? '' : String(rule.threshold.value));
  const me = useMe();
  const editable = canEdit(me);
  const save = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const change: RuleChange = {};
    const threshold = String(form.get('threshold') ?? '').trim();
    const forValue = String(form.get('for') ?? '').trim();
    if (rule.threshold !== null && threshold !== String(rule.threshold.value)) change.threshold = threshold;
    if (forValue !== rule.for) change.for = forValue;
    if (Object.keys(change).length === 0) {
      setMessage('Nothing changed.');
      return;
    }
    setSaving(true);
    setProblems({});
    setMessage(null);
    updateAlertRule(rule.group, rule.name, rule.index, change).then(
      (saved) => {
        setSaving(false);
        setMessage(`Saved to ${saved.file} and applied.`);
        onSaved();
      },
      (error: unknown) => {
        setSaving(false);
        if (error instanceof ApiError && error.problems.length > 0) setProblems(Object.fromEntries(error.problems.map((p) => [p.field, p.message])));
        else setMessage(`Not saved: ${(error as Error).message}`);
      },
    );
  };
  const firing = rule.alerts.filter((a) => a.state === 'firing').length;
  return (
    <tr>
      <td>
        <strong>{rule.name}</strong>
        <div className="muted">{rule.group}</div>
        {rule.alerts.map((a, i) => (
          <div key={i} className="small">
            {a.annotations.summary ?? Object.values(a.labels).join(' ')}
          </div>
        ))}
      </td>
      <td>
        <span className={`badge state-${rule.state}`}>{rule.state}</span>
        {firing > 0 && <div className="small">{firing} firing</div>}
        {rule.alerts[0] !== undefined && <div className="small">value {Number(rule.alerts[0].value).toPrecision(3)}</div>}
        <div className="muted small">{rule.lastEvaluation === null ? 'not evaluated yet' : `evaluated ${rule.lastEvaluation.slice(11, 19)}`}</div>
        {rule.health === 'err' && <div className="bad small">{rule.lastError}</div>}
      </td>
      <td className="mono small">{rule.expr}</td>
      <td>
        <form className="rule-edit" onSubmit={save} aria-label={`Edit ${rule.name}`}>
          {rule.threshold !== null ? (
            <label>
              {rule.threshold.op}
              <input name="threshold" value={draft} onChange={(e) => setDraft(e.target.value)} size={8} aria-label={`Threshold of ${rule.name}`} aria-invalid={problems.threshold !== undefined} />
            </label>
          ) : (
            <span className="muted small">no threshold</span>
          )}
          <label>
            for
            <input name="for" defaultValue={rule.for ?? '0s'} size={5} aria-label={`For of ${rule.name}`} aria-invalid={problems.for !== undefined} />
          </label>
          <button type="submit" disabled={saving || !editable} title={editable ? undefined : 'Viewers cannot change alert rules: sign in as an editor'}>
            Save
          </button>
          <button type="button" onClick={() => setPreview(!preview)} aria-expanded={preview}>
            {preview ? 'Hide preview' : 'Preview'}
          </button>
          {Object.entries(problems).map(([field, text]) => (
            <div key={field} className="bad small" role="alert">
              {field}: {text}
            </div>
          ))}
          {message !== null && <div className="small">{message}</div>}
          {me !== null && !editable && <div className="muted small">read only: {me.user} is a viewer</div>}
        </form>
        {preview && <RulePreview rule={rule} threshold={draft.trim() !== '' && Number.isFinite(Number(draft)) ? Number(draft) : null} />}
      </td>
    </tr>
  );
}
