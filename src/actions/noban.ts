import type { Spec } from '../config/check.js';
import { okResult, type Action } from './action.js';

export const nobanOptions = {} as const satisfies Spec;

/**
 * The old tool's dummy ban: the ban is recorded in the store and notified, and nothing touches the
 * firewall. Safe for trying DictDefence out and for alert-only jails.
 */
export function createNobanAction(name: string): Action {
  const done = async () => okResult;
  return { name, type: 'noban', init: done, ban: done, unban: done, flush: done, close: done };
}
