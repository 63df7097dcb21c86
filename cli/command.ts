// One CLI command: its name and arguments as `--help` shows them, the options `parseArgs` reads,
// and what it does. Commands get config and a Temporal client on first use, so the ones that need
// no Temporal (templates, quotas) work while it is down.
import type { ParseArgsConfig } from 'node:util';
import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema';

export interface CommandInput {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface CommandContext {
  config: Config;
  temporal(): Promise<Client>;
}

export interface Command {
  name: string;
  /** The arguments after the name, as the usage line shows them. */
  args: string;
  /** What it does, in a few lines. */
  help: string;
  options?: ParseArgsConfig['options'];
  /** Positional arguments required (more are allowed only where `args` ends in "..."). */
  minPositionals?: number;
  maxPositionals?: number;
  run(input: CommandInput, context: CommandContext): Promise<number>;
}

/** A command line the command cannot take: main prints why and the command's usage (exit 2). */
export class UsageError extends Error {}

/** Who the admin actions are recorded as. */
export const ADMIN = process.env.USER ?? 'cli';
