import type { Checker, Infer, Spec } from '../config/check.js';
import type { Raw } from '../config/raw.js';
import type { Action, ActionDeps } from './action.js';
import { commandOptions, createCommandAction, unknownPlaceholders } from './command.js';
import { createIpsetAction, ipsetOptions } from './ipset.js';
import { createIptablesAction, iptablesOptions } from './iptables.js';
import { createNftablesAction, nftablesOptions } from './nftables.js';
import { createNobanAction, nobanOptions } from './noban.js';
import { createNullrouteAction, nullrouteOptions } from './nullroute.js';
import { createPfAction, PF_ANCHOR, pfOptions } from './pf.js';
import { checkFirewallOptions } from './runner.js';

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
  nftables: plugin({
    options: nftablesOptions,
    check: (c, node, path, o) => checkFirewallOptions(c, node, path, o, ['table']),
    create: createNftablesAction,
  }),
  iptables: plugin({
    options: iptablesOptions,
    check: (c, node, path, o) => checkFirewallOptions(c, node, path, o, ['chain']),
    create: createIptablesAction,
  }),
  ipset: plugin({
    options: ipsetOptions,
    check: (c, node, path, o) => checkFirewallOptions(c, node, path, o, ['set']),
    create: createIpsetAction,
  }),
  nullroute: plugin({
    options: nullrouteOptions,
    check: (c, node, path, o) => {
      checkFirewallOptions(c, node, path, o, []);
      if (o.platform === 'bsd' && o.netns !== undefined) c.error(node, `${path}.netns`, 'netns is for platform linux only');
    },
    create: createNullrouteAction,
  }),
  pf: plugin({
    options: pfOptions,
    check: (c, node, path, o) => {
      checkFirewallOptions(c, node, path, o, ['table']);
      if (o.anchor !== undefined && !PF_ANCHOR.test(o.anchor)) c.error(node, `${path}.anchor`, `invalid anchor name "${o.anchor}"`);
    },
    create: createPfAction,
  }),
};
export type ActionType = keyof typeof actions;

export const isActionType = (t: string): t is ActionType => Object.hasOwn(actions, t);

/** Builds an action from options already validated against its spec by the config loader. */
export function createAction(type: ActionType, name: string, options: Readonly<Record<string, unknown>>, deps: ActionDeps): Action {
  const p = actions[type] as ActionPlugin<Spec>;
  return p.create(name, options as Infer<Spec>, deps);
}
