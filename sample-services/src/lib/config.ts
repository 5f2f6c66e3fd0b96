/** Where each sample service listens, and what it connects to; all from the environment, with demo defaults. */
export interface DemoConfig {
  /** Port this process listens on. */
  port: number;
  /** PostgreSQL for the service's own tables, or null for in-process storage. */
  databaseUrl: string | null;
  /** RabbitMQ, or null to deliver events over HTTP. */
  amqpUrl: string | null;
  /** Prefix of exchange and queue names, so two demos (or test runs) on one broker stay apart. */
  namespace: string;
  urls: { gateway: string; order: string; catalog: string; inventory: string; payment: string };
}

/** Default ports: gateway 8080, order 8081, catalog 8082, inventory 8083, payment 8084, loadgen 8085. */
export const DEFAULT_PORTS = { gateway: 8080, order: 8081, catalog: 8082, inventory: 8083, payment: 8084, loadgen: 8085 } as const;
export type DemoComponent = keyof typeof DEFAULT_PORTS;

/** Reads the configuration of one component; a malformed port is an error naming the variable. */
export function demoConfig(component: DemoComponent, env: Readonly<Record<string, string | undefined>> = process.env): DemoConfig {
  const port = (name: DemoComponent) => {
    const variable = `${name.toUpperCase()}_PORT`;
    const text = env[variable];
    if (text === undefined || text === '') return DEFAULT_PORTS[name];
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${variable}: expected a port number, got ${JSON.stringify(text)}`);
    return n;
  };
  const url = (name: DemoComponent) => env[`${name.toUpperCase()}_URL`] ?? `http://127.0.0.1:${port(name)}`;
  return {
    port: port(component),
    databaseUrl: env.DATABASE_URL || null,
    amqpUrl: env.AMQP_URL || null,
    namespace: env.DEMO_NAMESPACE || 'mirador-demo',
    urls: { gateway: url('gateway'), order: url('order'), catalog: url('catalog'), inventory: url('inventory'), payment: url('payment') },
  };
}
