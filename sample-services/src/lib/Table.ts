import pg from 'pg';

/**
 * A service's own table of JSON documents by id: in PostgreSQL when the
 * service has a database (each table prefixed by the service's name, so
 * services share a server but not tables), otherwise in process.
 */
export class Table<T extends object> {
  private readonly memory = new Map<string, T>();
  private readonly pool: pg.Pool | null;
  private readonly name: string;
  private ready: Promise<void> | null = null;

  constructor(pool: pg.Pool | null, service: string, table: string) {
    this.pool = pool;
    this.name = `${service}_${table}`.replace(/[^a-z0-9_]/g, '_');
  }

  private init(): Promise<void> {
    this.ready ??= this.pool === null ? Promise.resolve() : this.pool.query(`CREATE TABLE IF NOT EXISTS ${this.name} (id TEXT PRIMARY KEY, doc JSONB NOT NULL)`).then(() => undefined);
    return this.ready;
  }

  async get(id: string): Promise<T | undefined> {
    await this.init();
    if (this.pool === null) return this.memory.get(id);
    const { rows } = await this.pool.query<{ doc: T }>(`SELECT doc FROM ${this.name} WHERE id = $1`, [id]);
    return rows[0]?.doc;
  }

  async put(id: string, doc: T): Promise<void> {
    await this.init();
    if (this.pool === null) this.memory.set(id, doc);
    else await this.pool.query(`INSERT INTO ${this.name} (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc`, [id, JSON.stringify(doc)]);
  }

  async list(): Promise<T[]> {
    await this.init();
    if (this.pool === null) return [...this.memory.values()];
    const { rows } = await this.pool.query<{ doc: T }>(`SELECT doc FROM ${this.name} ORDER BY id`);
    return rows.map((r) => r.doc);
  }
}

/** A connection pool for the service's tables, or null without a database. */
export function openDatabase(databaseUrl: string | null): pg.Pool | null {
  return databaseUrl === null ? null : new pg.Pool({ connectionString: databaseUrl, max: 5 });
}
