export { startAgent, currentAgent } from './startAgent.ts';
export type { Agent } from './startAgent.ts';
export type { AgentOptions } from './options.ts';
