/**
 * The business view's charts, as PromQL: a team adds its own business
 * metric by adding an entry here (a prom-client counter pushed by the agent
 * is queryable as soon as it is pushed). `compare` is the same query one
 * day earlier (its selectors with `offset`), plotted as a dashed line; the
 * sample system's simulated day lasts 10 minutes. Clicking a point lists
 * traces of `traceService` from that minute.
 */
export interface BusinessChart {
  title: string;
  query: string;
  unit: string;
  /** Multiplies the values (100 for a share shown as a percentage). */
  scale?: number;
  compare?: string;
  traceService: string;
}

export const BUSINESS_CHARTS: BusinessChart[] = [
  {
    title: 'Orders per minute, by status',
    query: 'sum by (status) (rate(orders_created_total[2m])) * 60',
    compare: 'sum by (status) (rate(orders_created_total[2m] offset 10m)) * 60',
    unit: '/min',
    traceService: 'order',
  },
  { title: 'Order value per minute', query: 'sum(rate(order_value_total[2m])) * 60', compare: 'sum(rate(order_value_total[2m] offset 10m)) * 60', unit: '/min', traceService: 'order' },
  { title: 'Payment success rate', query: 'sum(rate(payments_total{result="completed"}[2m])) / sum(rate(payments_total[2m]))', unit: '%', scale: 100, traceService: 'payment' },
];
