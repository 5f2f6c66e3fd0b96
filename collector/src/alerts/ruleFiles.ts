import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type YAMLMap } from 'yaml';
import { LABEL_NAME, METRIC_NAME } from '../model/metric.ts';
import { modelDuration, parsePromQL, PromQLError } from '../promql/ast.ts';
import { AlertTemplate, TemplateError } from './template.ts';

/**
 * Prometheus rule files (https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/):
 * reading them into checked definitions, with every problem reported by
 * file and line the way `promtool check rules` does.
 */

/** One alerting or recording rule as its file defines it. */
export interface RuleDefinition {
  kind: 'alert' | 'record';
  /** The alert name, or the recorded metric name. */
  name: string;
  expr: string;
  forMs: number;
  keepFiringForMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Line of the rule in its file (1-based). */
  line: number;
}

/** One rule group: evaluated together, in order, on one interval. */
export interface GroupDefinition {
  file: string;
  name: string;
  /** null: the collector's evaluation interval. */
  intervalMs: number | null;
  /** Most alerts or series one rule may produce; 0 for no limit. */
  limit: number;
  rules: RuleDefinition[];
  line: number;
}

/** A problem in a rule file, where it stands. */
export interface RuleFileProblem {
  file: string;
  line: number;
  message: string;
}

/** Rule files that cannot be used; the message lists every problem as `file:line: reason`. */
export class RuleFileError extends Error {
  override name = 'RuleFileError';
  readonly problems: RuleFileProblem[];

  constructor(problems: RuleFileProblem[]) {
    problems = [...problems].sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
    super(problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n'));
    this.problems = problems;
  }
}

/** A problem of one rule field, as the rule-editing API reports it (`field` is `expr`, `for`, `labels.severity`, ...). */
export interface FieldProblem {
  field: string;
  message: string;
}

const GROUP_FIELDS = ['name', 'interval', 'limit', 'rules'];
const RULE_FIELDS = ['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'];
/** A duration in Prometheus' own shortest form (`1h30m`, `90s` → `1m30s`, `0s`). */
export function formatRuleDuration(ms: number): string {
  if (ms === 0) return '0s';
  let out = '';
  let rest = ms;
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

const UNITS: Array<[string, number]> = [['y', 31_536_000_000], ['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];

/** The fields of one rule, as a file or the rule-editing API gives them. */
export interface RuleFields {
  alert?: unknown;
  record?: unknown;
  expr?: unknown;
  for?: unknown;
  keep_firing_for?: unknown;
  labels?: unknown;
  annotations?: unknown;
}

/** Checks one rule as Prometheus' rulefmt does; returns the definition, or every problem by field. */
export function checkRule(fields: RuleFields, line: number): { rule: RuleDefinition } | { problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });
  const str = (field: string, v: unknown): string => {
    if (v === undefined || v === null) return '';
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    problem(field, `expected a string, got ${Array.isArray(v) ? 'a list' : typeof v}`);
    return '';
  };
  const alert = str('alert', fields.alert);
  const record = str('record', fields.record);
  if (alert !== '' && record !== '') problem('alert', "only one of 'record' and 'alert' must be set");
  if (alert === '' && record === '') problem('alert', "one of 'record' or 'alert' must be set");
  const expr = str('expr', fields.expr);
  if (expr.trim() === '') problem('expr', "field 'expr' must be set in rule");
  else {
    try {
      parsePromQL(expr);
    } catch (error) {
      if (!(error instanceof PromQLError)) throw error;
      problem('expr', `could not parse expression: ${error.message}`);
    }
  }
  const duration = (field: 'for' | 'keep_firing_for'): number => {
    const raw = fields[field];
    if (raw === undefined || raw === null) return 0;
    const ms = modelDuration(String(raw));
    if (ms === null) problem(field, `not a valid duration string: ${JSON.stringify(String(raw))} (expected a duration such as 5m, 1h30m or 0)`);
    return ms ?? 0;
  };
  const forMs = duration('for');
  const keepFiringForMs = duration('keep_firing_for');
  const map = (field: 'labels' | 'annotations'): Record<string, string> => {
    const raw = fields[field];
    if (raw === undefined || raw === null) return {};
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      problem(field, `expected a mapping of names to strings`);
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (!LABEL_NAME.test(k) || (field === 'labels' && k === '__name__')) problem(`${field}.${k}`, `invalid ${field === 'labels' ? 'label' : 'annotation'} name: ${k}`);
      out[k] = str(`${field}.${k}`, v);
      try {
        new AlertTemplate(out[k]);
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        problem(`${field}.${k}`, `template: ${error.message}`);
      }
    }
    return out;
  };
  const labels = map('labels');
  const annotations = map('annotations');
  if (record !== '') {
    if (Object.keys(annotations).length > 0) problem('annotations', "invalid field 'annotations' in recording rule");
    if (forMs !== 0) problem('for', "invalid field 'for' in recording rule");
    if (keepFiringForMs !== 0) problem('keep_firing_for', "invalid field 'keep_firing_for' in recording rule");
    if (!METRIC_NAME.test(record)) problem('record', `invalid recording rule name: ${record}`);
  }
  if (alert !== '' && !LABEL_NAME.test(alert)) problem('alert', `invalid alert name: ${alert} (it becomes the alertname label: letters, digits and _ only)`);
  if (problems.length > 0) return { problems };
  return { rule: { kind: alert !== '' ? 'alert' : 'record', name: alert !== '' ? alert : record, expr, forMs, keepFiringForMs, labels, annotations, line } };
}

/** A rule file's YAML document with the line counter its problems are reported by. */
export interface ParsedRuleFile {
  doc: Document;
  lineOf(node: Node | null | undefined): number;
}

/** Parses YAML text, reporting a syntax error by line. */
export function parseRuleYaml(file: string, text: string): ParsedRuleFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    throw new RuleFileError([{ file, line: lineCounter.linePos(err.pos[0]).line, message: err.message.split('\n')[0]! }]);
  }
  return { doc, lineOf: (node) => (node?.range === undefined || node.range === null ? 1 : lineCounter.linePos(node.range[0]).line) };
}

/** Reads rule-file text into groups; throws a {@link RuleFileError} with every problem found. */
export function readRuleText(file: string, text: string): GroupDefinition[] {
  const { doc, lineOf } = parseRuleYaml(file, text);
  const problems: RuleFileProblem[] = [];
  const at = (node: Node | null | undefined, message: string) => problems.push({ file, line: lineOf(node), message });
  const groups: GroupDefinition[] = [];
  if (doc.contents === null) return groups;
  if (!isMap(doc.contents)) throw new RuleFileError([{ file, line: lineOf(doc.contents), message: 'expected a mapping with a "groups" list' }]);
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key !== 'groups') at(pair.key as Node, `unknown field ${JSON.stringify(key)} at the top level (expected groups)`);
  }
  const groupsNode = doc.contents.get('groups', true) as Node | undefined;
  if (groupsNode === undefined || (isScalar(groupsNode) && groupsNode.value === null)) return groups;
  if (!isSeq(groupsNode)) throw new RuleFileError([{ file, line: lineOf(groupsNode), message: 'groups: expected a list of groups' }]);
  const names = new Set<string>();
  for (const groupNode of groupsNode.items as Node[]) {
    if (!isMap(groupNode)) {
      at(groupNode, 'expected a group: a mapping with name and rules');
      continue;
    }
    unknownFields(groupNode, GROUP_FIELDS, 'group', at);
    const nameNode = groupNode.get('name', true) as Node | undefined;
    const name = isScalar(nameNode) && nameNode.value !== null ? String(nameNode.value) : '';
    if (name === '') at(groupNode, 'Groupname must not be empty');
    else if (names.has(name)) at(nameNode, `groupname: "${name}" is repeated in the same file`);
    names.add(name);
    const intervalNode = groupNode.get('interval', true) as Node | undefined;
    let intervalMs: number | null = null;
    if (intervalNode !== undefined && isScalar(intervalNode) && intervalNode.value !== null) {
      intervalMs = modelDuration(String(intervalNode.value));
      if (intervalMs === null || intervalMs === 0) at(intervalNode, `interval: expected a positive duration such as 30s or 1m, got ${JSON.stringify(String(intervalNode.value))}`);
    }
    const limitNode = groupNode.get('limit', true) as Node | undefined;
    const limit = limitNode === undefined || !isScalar(limitNode) ? 0 : Number(limitNode.value);
    if (!Number.isInteger(limit) || limit < 0) at(limitNode, `limit: expected a whole number of 0 or more, got ${JSON.stringify(isScalar(limitNode) ? limitNode.value : null)}`);
    const rules: RuleDefinition[] = [];
    const rulesNode = groupNode.get('rules', true) as Node | undefined;
    if (rulesNode !== undefined && !(isScalar(rulesNode) && rulesNode.value === null)) {
      if (!isSeq(rulesNode)) at(rulesNode, 'rules: expected a list of rules');
      else {
        for (const ruleNode of rulesNode.items as Node[]) {
          if (!isMap(ruleNode)) {
            at(ruleNode, 'expected a rule: a mapping with alert or record, and expr');
            continue;
          }
          unknownFields(ruleNode, RULE_FIELDS, 'rule', at);
          const result = checkRule(ruleNode.toJSON() as RuleFields, lineOf(ruleNode));
          if ('rule' in result) rules.push(result.rule);
          else {
            const ruleName = String(ruleNode.get('alert') ?? ruleNode.get('record') ?? '');
            for (const p of result.problems) {
              const [field, key] = p.field.split('.');
              const fieldNode = ruleNode.get(field!, true) as Node | undefined;
              const keyNode = key !== undefined && isMap(fieldNode) ? (fieldNode.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === key)?.key as Node | undefined) : undefined;
              at(keyNode ?? fieldNode ?? ruleNode, `group "${name}", rule ${JSON.stringify(ruleName)}: ${p.field}: ${p.message}`);
            }
          }
        }
      }
    }
    groups.push({ file, name, intervalMs, limit, rules, line: lineOf(groupNode) });
  }
  if (problems.length > 0) throw new RuleFileError(problems);
  return groups;
}

function unknownFields(map: YAMLMap, known: string[], what: string, at: (node: Node | null | undefined, message: string) => void): void {
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (!known.includes(key)) at(pair.key as Node, `unknown field ${JSON.stringify(key)} in ${what} (expected ${known.join(', ')})`);
  }
}

/**
 * Rule file texts standing in for what is on disk, by path: the rule edits
 * replicas of a scaled-out collector share (see RuleEditor).
 */
export type RuleOverlay = ReadonlyMap<string, string>;

/** Reads one rule file (its overlay text when there is one). */
export function readRuleFile(file: string, overlay?: RuleOverlay): GroupDefinition[] {
  const stood = overlay?.get(file);
  if (stood !== undefined) return readRuleText(file, stood);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new RuleFileError([{ file, line: 0, message: `cannot read the rule file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }]);
  }
  return readRuleText(file, text);
}

/** The files a `--rules` value names: comma-separated globs, sorted, each file once. */
export function ruleFilePaths(globs: string): string[] {
  const files = new Set<string>();
  for (const pattern of globs.split(',').map((g) => g.trim()).filter((g) => g !== '')) {
    const matches = /[*?[{]/.test(pattern) ? fs.globSync(pattern) : [pattern];
    for (const m of matches) files.add(path.normalize(m));
  }
  return [...files].sort();
}

/**
 * Reads every rule file a `--rules` value names. All or nothing: any problem
 * in any file throws with every problem found, so a reload never half-applies.
 * Group names are unique across files, so the rule API can address a group by name.
 */
export function readRuleFiles(globs: string, overlay?: RuleOverlay): GroupDefinition[] {
  const problems: RuleFileProblem[] = [];
  const groups: GroupDefinition[] = [];
  const seen = new Map<string, GroupDefinition>();
  for (const file of ruleFilePaths(globs)) {
    try {
      for (const g of readRuleFile(file, overlay)) {
        const other = seen.get(g.name);
        if (other !== undefined) problems.push({ file, line: g.line, message: `group name "${g.name}" is also used in ${other.file}:${other.line} (group names must be unique across rule files)` });
        seen.set(g.name, g);
        groups.push(g);
      }
    } catch (error) {
      if (!(error instanceof RuleFileError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new RuleFileError(problems);
  return groups;
}

/** `check-rules`: checks files like `promtool check rules`, printing a verdict per file; returns the exit code (0 all good, 1 otherwise). */
export function checkRuleFiles(files: readonly string[], write: (line: string) => void): number {
  let failed = 0;
  for (const file of files) {
    write(`Checking ${file}`);
    try {
      const groups = readRuleFile(file);
      write(`  SUCCESS: ${groups.reduce((n, g) => n + g.rules.length, 0)} rules found`);
    } catch (error) {
      if (!(error instanceof RuleFileError)) throw error;
      failed++;
      write('  FAILED:');
      for (const p of error.problems) write(`${p.file}:${p.line}: ${p.message}`);
    }
    write('');
  }
  return failed === 0 ? 0 : 1;
}
