import type { Checker, Infer, Spec } from '../config/check.js';
import type { Raw } from '../config/raw.js';
import type { Action, ActionDeps } from './action.js';
import { commandOptions, createCommandAction, unknownPlaceholders } from './command.js';
import { createNobanAction, nobanOptions } from './noban.js';

/**
 * One entry per action type: the option spec the config loader validates, an optional extra check, and the
 * factory. The config's `type` is `keyof typeof actions`.
 */
interface ActionPlugin<S extends Spec> {
  readonly options: S;
  readonly check?: (c: Checker, node: Raw, path: string, options: Infer<S>) => void;
  readonly create: (name: string, options: Infer<S>, deps: ActionDeps) => Action;
}
const plugin = <S extends Spec>(p: ActionPlugin<S>): ActionPlugin<S> => p;

export const actions = {
  noban: plugin({ options: nobanOptions, create: (name) => createNobanAction(name) }),
  command: plugin({
    options: commandOptions,
    check: (c, node, path, o) => {
      for (const key of ['ban', 'unban', 'init', 'flush', 'close'] as const) {
        const bad = unknownPlaceholders(o[key] ?? []);
        if (bad.length > 0) c.error(node, `${path}.${key}`, `unknown placeholder ${bad.join(', ')}`);
      }
    },
    create: createCommandAction,
  }),
};
export type ActionType = keyof typeof actions;

export const isActionType = (t: string): t is ActionType => Object.hasOwn(actions, t);

/** Builds an action from options already validated against its spec by the config loader. */
export function createAction(type: ActionType, name: string, options: Readonly<Record<string, unknown>>, deps: ActionDeps): Action {
  const p = actions[type] as ActionPlugin<Spec>;
  return p.create(name, options as Infer<Spec>, deps);
}
