import fs from 'node:fs';
import path from 'node:path';
import { isMap, isSeq, type Document, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import { createHash } from 'node:crypto';
import { SerialQueue } from '../pipeline/SerialQueue.ts';
import type { CollectorLog } from '../telemetry/log.ts';
import { modelDuration } from '../promql/ast.ts';
import type { AlertHistory } from './AlertHistory.ts';
import { writeFileAtomically } from '../store/writeFileAtomically.ts';
import { checkRule, parseRuleYaml, readRuleFiles, readRuleText, RuleFileError, ruleFilePaths, type FieldProblem, type GroupDefinition, type RuleDefinition, type RuleFields } from './ruleFiles.ts';
import type { RuleManager } from './RuleManager.ts';
import { withThreshold, type Threshold } from './threshold.ts';

/** A change refused: 400 with problems by field, 404 for a rule or group that is not there, 409 when it cannot be applied as things stand. */
export class RuleEditError extends Error {
  readonly status: 400 | 404 | 409;
  readonly problems: FieldProblem[];

  constructor(status: 400 | 404 | 409, message: string, problems: FieldProblem[] = []) {
    super(message);
    this.status = status;
    this.problems = problems;
  }
}

/** Fields a change may set; absent fields stay as they are. `threshold` rewrites the number an alert's expression compares with. */
export interface RuleChange extends RuleFields {
  threshold?: unknown;
  thresholdOp?: unknown;
}

/** Which rule: its group, its name, and which of the rules of that name in the group (0 unless names repeat). */
export interface RuleAddress {
  group: string;
  name: string;
  index: number;
}

/** Rule edits every replica of a scaled-out collector applies: the edited files' texts, each with a hash of the file it replaced. */
export interface SharedRuleEdits {
  version: number;
  files: Record<string, { text: string; base: string }>;
}

/** Where replicas keep their shared rule edits. */
export interface SharedRuleStore {
  load(): Promise<SharedRuleEdits | null>;
  /** Saves `next` if the stored version is still `expectedVersion` (0: none yet); false when another replica saved first. */
  save(next: SharedRuleEdits, expectedVersion: number): Promise<boolean>;
}

/**
 * Changes rule files on behalf of the rule API: each change is checked
 * field by field, the whole rule set is checked with it, and only then is
 * it written to its file atomically (a crash leaves the old file) and the
 * rule set applied, so what runs is what the files say. Comments and layout of the rest of the
 * file are kept. Changes run one at a time and are recorded in the history.
 *
 * Replicas of a scaled-out collector read their rule files from their own
 * disks (a ConfigMap, read-only), so there an edit is not written to disk:
 * the edited file's text is saved in the shared store, and every replica
 * reads it in place of its file ({@link sync}) until the file itself changes
 * at its source (a new ConfigMap), which then wins.
 */
export class RuleEditor {
  private readonly globs: string;
  private readonly manager: RuleManager;
  private readonly history: AlertHistory;
  private readonly now: () => number;
  private readonly queue = new SerialQueue();
  private readonly shared: SharedRuleStore | null;
  private readonly log: CollectorLog | null;
  /** Shared edits in force: file → text read instead of the file. */
  private overlay = new Map<string, string>();
  private sharedEdits: SharedRuleEdits = { version: 0, files: {} };

  constructor(options: { globs: string; manager: RuleManager; history: AlertHistory; now: () => number; shared?: SharedRuleStore; log?: CollectorLog }) {
    this.globs = options.globs;
    this.manager = options.manager;
    this.history = options.history;
    this.now = options.now;
    this.shared = options.shared ?? null;
    this.log = options.log ?? null;
  }

  /** Reads every rule file anew and applies them; on any problem the running rules stay as they were and the problems are thrown. */
  reload(): Promise<GroupDefinition[]> {
    return this.queue.run(async () => {
      const groups = readRuleFiles(this.globs, this.overlay);
      await this.manager.replace(groups);
      return groups;
    });
  }

  /**
   * Applies the rule edits other replicas saved, when they changed. An edit
   * whose file has changed at its source since is dropped (the file wins).
   */
  sync(): Promise<void> {
    return this.queue.run(async () => {
      if (this.shared === null) return;
      const edits = await this.shared.load();
      if (edits === null || edits.version === this.sharedEdits.version) return;
      const overlay = new Map<string, string>();
      for (const [file, { text, base }] of Object.entries(edits.files)) {
        if (hashOf(diskText(file)) === base) overlay.set(file, text);
        else this.log?.warn('a rule edit made through the API is dropped: its file has changed since', { file });
      }
      try {
        await this.manager.replace(readRuleFiles(this.globs, overlay));
      } catch (error) {
        this.log?.error('shared rule edits not applied; the running rules stay', { error: (error as Error).message });
        return;
      }
      this.overlay = overlay;
      this.sharedEdits = edits;
    });
  }

  /** Adds a rule to a group (created, in `file` or the first rule file, if it does not exist). */
  create(group: string, change: RuleChange, options: { file?: string; interval?: string }, user: string): Promise<RuleDefinition> {
    return this.queue.run(async () => {
      const fields = normalise(change);
      const rule = checked(fields);
      const found = this.findGroupFile(group);
      const file = found ?? this.newGroupFile(options.file);
      await this.edit(file, (doc) => {
        let groupNode = groupIn(doc, group);
        if (groupNode === null) {
          if (options.interval !== undefined && (modelDuration(options.interval) ?? 0) <= 0) throw new RuleEditError(400, 'invalid rule group', [{ field: 'interval', message: `expected a positive duration such as 30s or 1m, got ${JSON.stringify(options.interval)}` }]);
          const groups = ensureGroups(doc);
          groupNode = doc.createNode({ name: group, ...(options.interval !== undefined && { interval: options.interval }), rules: [] }) as YAMLMap;
          groups.add(groupNode);
        }
        rulesOf(doc, groupNode).add(doc.createNode(fileFields(fields)));
      });
      this.history.append([{ kind: 'rule_created', timeMs: this.now(), group, rule: rule.name, user, file, before: null, after: fileFields(fields) }], this.now());
      return rule;
    });
  }

  /** Changes the given fields of a rule. */
  update(address: RuleAddress, change: RuleChange, user: string): Promise<RuleDefinition> {
    return this.queue.run(async () => {
      const file = this.requireGroupFile(address.group);
      let before: RuleFields = {};
      let after: RuleFields = {};
      let rule: RuleDefinition | null = null;
      await this.edit(file, (doc) => {
        const node = ruleIn(doc, address);
        before = node.toJSON() as RuleFields;
        // A field set to null is removed: checkRule reads null as absent and fileFields leaves it out.
        after = { ...before, ...normalise(change) };
        if (change.threshold !== undefined || change.thresholdOp !== undefined) after.expr = thresholdExpr(String(after.expr ?? ''), change);
        rule = checked(after);
        const replacement = fileFields(after);
        for (const key of Object.keys(before)) if (!(key in replacement)) node.delete(key);
        for (const [key, value] of Object.entries(replacement)) {
          // Untouched fields keep their node, and with it their comments and quoting.
          const current = node.get(key, true) as Node | undefined;
          if (JSON.stringify(current?.toJSON()) !== JSON.stringify(value)) node.set(key, doc.createNode(value));
        }
      });
      this.history.append([{ kind: 'rule_updated', timeMs: this.now(), group: address.group, rule: address.name, user, file, before, after: fileFields(after) }], this.now());
      return rule!;
    });
  }

  /** Removes a rule. */
  delete(address: RuleAddress, user: string): Promise<void> {
    return this.queue.run(async () => {
      const file = this.requireGroupFile(address.group);
      let before: unknown = null;
      await this.edit(file, (doc) => {
        const node = ruleIn(doc, address);
        before = node.toJSON();
        const rules = rulesOf(doc, groupIn(doc, address.group)!);
        rules.items.splice(rules.items.indexOf(node), 1);
      });
      this.history.append([{ kind: 'rule_deleted', timeMs: this.now(), group: address.group, rule: address.name, user, file, before, after: null }], this.now());
    });
  }

  /**
   * Applies a change to one file's YAML and checks the whole rule set with the
   * new text in place of the file before anything is written; then writes it
   * atomically (or, on a replica sharing its rules, saves it for every replica)
   * and applies the rule set.
   */
  private async edit(file: string, change: (doc: Document) => void): Promise<void> {
    const old = this.overlay.get(file) ?? diskText(file);
    const { doc } = parseRuleYaml(file, old ?? '');
    change(doc);
    const text = doc.toString();
    try {
      readRuleText(file, text);
    } catch (error) {
      if (error instanceof RuleFileError) throw new RuleEditError(400, error.message, error.problems.map((p) => ({ field: 'rule', message: p.message })));
      throw error;
    }
    const overlay = new Map(this.overlay).set(file, text);
    let groups: GroupDefinition[];
    try {
      groups = readRuleFiles(this.globs, overlay);
    } catch (error) {
      if (error instanceof RuleFileError) throw new RuleEditError(409, `the rule files do not load with this change, so it was not applied:\n${error.message}`);
      throw error;
    }
    if (this.shared === null) {
      writeFileAtomically(file, text);
    } else {
      const base = this.sharedEdits.files[file]?.base ?? hashOf(diskText(file));
      const next: SharedRuleEdits = { version: this.sharedEdits.version + 1, files: { ...this.sharedEdits.files, [file]: { text, base } } };
      if (!(await this.shared.save(next, this.sharedEdits.version))) {
        throw new RuleEditError(409, 'the rules were changed on another replica at the same moment; reload them and make the change again');
      }
      this.overlay = overlay;
      this.sharedEdits = next;
    }
    await this.manager.replace(groups);
  }

  private findGroupFile(group: string): string | null {
    return this.manager.groups().find((g) => g.name === group)?.definition.file ?? null;
  }

  private requireGroupFile(group: string): string {
    const file = this.findGroupFile(group);
    if (file === null) throw new RuleEditError(404, `no rule group named ${JSON.stringify(group)}`);
    return file;
  }

  /** The file a new group goes into: the one asked for (if the rule globs load it), else the first rule file. */
  private newGroupFile(requested: string | undefined): string {
    const files = ruleFilePaths(this.globs);
    if (requested !== undefined) {
      if (!files.includes(path.normalize(requested))) throw new RuleEditError(400, 'invalid file', [{ field: 'file', message: `${requested} is not one of the rule files (${files.join(', ') || 'none'}): the collector would not load it` }]);
      return path.normalize(requested);
    }
    if (files.length === 0) throw new RuleEditError(409, 'no rule files are configured: start the collector with --rules pointing at a file to add rules to');
    return files[0]!;
  }

}

/** Accepts the API's camelCase `keepFiringFor` beside the file format's `keep_firing_for`. */
function normalise(change: RuleChange): RuleFields {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(change)) {
    if (k === 'threshold' || k === 'thresholdOp') continue;
    out[k === 'keepFiringFor' ? 'keep_firing_for' : k] = v;
  }
  return out as RuleFields;
}

function checked(fields: RuleFields): RuleDefinition {
  const unknown = Object.keys(fields).filter((k) => !['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'].includes(k));
  const result = checkRule(fields, 0);
  const problems = 'problems' in result ? result.problems : [];
  for (const k of unknown) problems.push({ field: k, message: 'unknown field (expected alert, record, expr, for, keepFiringFor, labels, annotations, threshold)' });
  if (problems.length > 0 || !('rule' in result)) throw new RuleEditError(400, `invalid rule: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
  return result.rule;
}

function thresholdExpr(expr: string, change: RuleChange): string {
  const value = typeof change.threshold === 'string' && change.threshold.trim() !== '' ? Number(change.threshold) : change.threshold;
  const op = change.thresholdOp as Threshold['op'] | undefined;
  if (op !== undefined && !['>', '<', '>=', '<=', '==', '!='].includes(op)) throw new RuleEditError(400, 'invalid thresholdOp', [{ field: 'thresholdOp', message: `expected one of > < >= <= == !=, got ${JSON.stringify(op)}` }]);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RuleEditError(400, 'invalid threshold', [{ field: 'threshold', message: `expected a number, got ${JSON.stringify(change.threshold)}` }]);
  const next = withThreshold(expr, value, op);
  if (next === null) throw new RuleEditError(400, 'this rule has no threshold', [{ field: 'threshold', message: 'the expression does not end in a comparison with a number (such as `... > 0.05`); change expr instead' }]);
  return next;
}

/** The fields as the rule file writes them, in the usual order, empty ones left out. */
function fileFields(fields: RuleFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'] as const) {
    const v = fields[key];
    if (v === undefined || v === null || v === '') continue;
    if ((key === 'labels' || key === 'annotations') && typeof v === 'object' && Object.keys(v).length === 0) continue;
    out[key] = v;
  }
  return out;
}

function ensureGroups(doc: Document): YAMLSeq {
  if (!isMap(doc.contents)) doc.contents = doc.createNode({ groups: [] }) as YAMLMap;
  const map = doc.contents as YAMLMap;
  let groups = map.get('groups', true) as Node | undefined;
  if (!isSeq(groups)) {
    groups = doc.createNode([]) as YAMLSeq;
    map.set('groups', groups);
  }
  return groups as YAMLSeq;
}

function groupIn(doc: Document, name: string): YAMLMap | null {
  if (!isMap(doc.contents)) return null;
  const groups = doc.contents.get('groups', true) as Node | undefined;
  if (!isSeq(groups)) return null;
  return (groups.items.find((g) => isMap(g) && String(g.get('name')) === name) as YAMLMap | undefined) ?? null;
}

function rulesOf(doc: Document, group: YAMLMap): YAMLSeq {
  let rules = group.get('rules', true) as Node | undefined;
  if (!isSeq(rules)) {
    rules = doc.createNode([]) as YAMLSeq;
    group.set('rules', rules);
  }
  return rules as YAMLSeq;
}

function ruleIn(doc: Document, address: RuleAddress): YAMLMap {
  const group = groupIn(doc, address.group);
  if (group === null) throw new RuleEditError(404, `no rule group named ${JSON.stringify(address.group)}`);
  const named = rulesOf(doc, group).items.filter((r): r is YAMLMap => isMap(r) && [r.get('alert'), r.get('record')].some((n) => n !== undefined && n !== null && String(n) === address.name));
  const node = named[address.index];
  if (node === undefined) throw new RuleEditError(404, `no rule named ${JSON.stringify(address.name)}${address.index > 0 ? ` (number ${address.index})` : ''} in group ${JSON.stringify(address.group)}`);
  return node;
}

/** A rule file's text on disk, or null when there is none. */
function diskText(file: string): string | null {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
}

/** What a shared edit records of the file it replaced, to notice the file changing at its source. */
function hashOf(text: string | null): string {
  return createHash('sha256').update(text ?? '').digest('hex');
}
