#!/usr/bin/env node
// Entry of the installed `mirador-collector` command. The collector is
// TypeScript run by Node 24's type stripping, so there is no build step.
import { main } from '../src/cli.ts';

process.exitCode = await main(process.argv.slice(2), process.env);
