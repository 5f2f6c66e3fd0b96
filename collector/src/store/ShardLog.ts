import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { writeFileAtomically } from './writeFileAtomically.ts';

/** A segment file is closed and a new one started beyond this size. */
const SEGMENT_BYTES = 8 * 1024 * 1024;
/** The read position is saved at most this often (and at close): a crash resends at most this much, never loses. */
const CURSOR_SAVE_MS = 1000;
const HEADER = 8;

/** Where a record starts: its segment and byte offset. */
interface Position {
  segment: number;
  offset: number;
}

/** One record read from the log, with where the next one starts. */
export interface LogRecord {
  payload: Buffer;
  next: Position;
}

/**
 * An on-disk queue of records (remote-write requests, bulk batches for the
 * search backend): numbered segment files
 * of records (`u32 length, u32 CRC-32, payload`), appended and synced before
 * the data is acknowledged, read in order by the sender, and deleted once
 * sent. The read position survives a restart in `cursor.json`; a record torn
 * by a crash (short, or a CRC that does not match) is cut off at start.
 */
export class ShardLog {
  readonly dir: string;
  private segments: number[] = [];
  private writeHandle: fs.promises.FileHandle | null = null;
  private cursor: Position = { segment: 1, offset: 0 };
  private readHandle: { segment: number; handle: fs.promises.FileHandle } | null = null;
  private sizes = new Map<number, number>();
  private lastCursorSave = 0;
  private savedCursor = '';

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Opens (or creates) the shard's log in dir. */
  static async open(dir: string): Promise<ShardLog> {
    const log = new ShardLog(dir);
    await log.recover();
    return log;
  }

  /** Bytes on disk, sent or not. */
  get bytes(): number {
    let total = 0;
    for (const size of this.sizes.values()) total += size;
    return total;
  }

  /** True when every record has been read and committed. */
  get drained(): boolean {
    const last = this.segments.at(-1)!;
    return this.cursor.segment === last && this.cursor.offset >= (this.sizes.get(last) ?? 0);
  }

  /** Appends a record and syncs it to disk. */
  async append(payload: Buffer): Promise<void> {
    if (this.sizeOf(this.segments.at(-1)!) >= SEGMENT_BYTES) await this.rotate();
    const header = Buffer.alloc(HEADER);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(zlib.crc32(payload), 4);
    await this.writeHandle!.writev([header, payload]);
    await this.writeHandle!.datasync();
    const last = this.segments.at(-1)!;
    this.sizes.set(last, this.sizeOf(last) + HEADER + payload.length);
  }

  /** The record at the read position, or null when there is none yet. */
  async peek(): Promise<LogRecord | null> {
    for (;;) {
      const { segment, offset } = this.cursor;
      const size = this.sizes.get(segment) ?? 0;
      if (offset < size) {
        const handle = await this.reader(segment);
        const header = Buffer.alloc(HEADER);
        await handle.read(header, 0, HEADER, offset);
        const length = header.readUInt32LE(0);
        const payload = Buffer.alloc(length);
        await handle.read(payload, 0, length, offset + HEADER);
        return { payload, next: { segment, offset: offset + HEADER + length } };
      }
      const later = this.segments.find((s) => s > segment);
      if (later === undefined) return null;
      this.cursor = { segment: later, offset: 0 };
    }
  }

  /** Moves the read position past a record that was sent (or given up on); deletes segments left behind. */
  async commit(record: LogRecord): Promise<void> {
    this.cursor = record.next;
    for (const s of this.segments.filter((s) => s < this.cursor.segment)) {
      if (this.readHandle?.segment === s) {
        await this.readHandle.handle.close();
        this.readHandle = null;
      }
      await fs.promises.rm(this.segmentFile(s), { force: true });
      this.sizes.delete(s);
    }
    this.segments = this.segments.filter((s) => s >= this.cursor.segment);
    if (Date.now() - this.lastCursorSave >= CURSOR_SAVE_MS) this.saveCursor();
  }

  async close(): Promise<void> {
    this.saveCursor();
    await this.readHandle?.handle.close();
    await this.writeHandle?.close();
    this.readHandle = null;
    this.writeHandle = null;
  }

  private saveCursor(): void {
    const text = JSON.stringify(this.cursor);
    this.lastCursorSave = Date.now();
    if (text === this.savedCursor) return;
    writeFileAtomically(path.join(this.dir, 'cursor.json'), text);
    this.savedCursor = text;
  }

  private sizeOf(segment: number): number {
    return this.sizes.get(segment) ?? 0;
  }

  private segmentFile(n: number): string {
    return path.join(this.dir, `${String(n).padStart(8, '0')}.seg`);
  }

  private async reader(segment: number): Promise<fs.promises.FileHandle> {
    if (this.readHandle?.segment === segment) return this.readHandle.handle;
    await this.readHandle?.handle.close();
    this.readHandle = { segment, handle: await fs.promises.open(this.segmentFile(segment), 'r') };
    return this.readHandle.handle;
  }

  private async rotate(): Promise<void> {
    await this.writeHandle?.close();
    const next = (this.segments.at(-1) ?? 0) + 1;
    this.segments.push(next);
    this.writeHandle = await fs.promises.open(this.segmentFile(next), 'a');
    this.sizes.set(next, 0);
  }

  private async recover(): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    try {
      const saved = JSON.parse(await fs.promises.readFile(path.join(this.dir, 'cursor.json'), 'utf8')) as Position;
      if (Number.isInteger(saved.segment) && Number.isInteger(saved.offset)) this.cursor = saved;
    } catch {
      // No cursor yet: read from the first segment.
    }
    this.savedCursor = JSON.stringify(this.cursor);
    this.segments = (await fs.promises.readdir(this.dir))
      .filter((f) => /^\d{8}\.seg$/.test(f))
      .map((f) => Number(f.slice(0, 8)))
      .sort((a, b) => a - b);
    for (const s of this.segments) this.sizes.set(s, (await fs.promises.stat(this.segmentFile(s))).size);
    if (this.segments.length === 0) {
      this.segments = [this.cursor.segment];
      this.sizes.set(this.cursor.segment, 0);
    } else if (this.cursor.segment < this.segments[0]!) this.cursor = { segment: this.segments[0]!, offset: 0 };
    // The last segment may end in a record a crash tore: keep what checks out.
    const last = this.segments.at(-1)!;
    const data = await fs.promises.readFile(this.segmentFile(last)).catch(() => Buffer.alloc(0));
    let good = 0;
    while (good + HEADER <= data.length) {
      const length = data.readUInt32LE(good);
      const end = good + HEADER + length;
      if (end > data.length || zlib.crc32(data.subarray(good + HEADER, end)) !== data.readUInt32LE(good + 4)) break;
      good = end;
    }
    if (good < data.length) await fs.promises.truncate(this.segmentFile(last), good).catch(() => undefined);
    this.writeHandle = await fs.promises.open(this.segmentFile(last), 'a');
    this.sizes.set(last, good);
  }
}
