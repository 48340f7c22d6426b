/**
 * Which layers a net state runs: Caffe's `Net::StateMeetsRule` and `Net::FilterNet`, and the three
 * states DIGITS builds from one network description (train, val, deploy).
 */
import type { CaffeLayer, CaffeNet, NetStateRule, Phase } from './net.ts';

/** Caffe's NetState. */
export interface NetState {
  phase: Phase;
  /** Level 0 unless set. */
  level: number;
  stage: readonly string[];
}

export const DIGITS_STAGES = ['train', 'val', 'deploy'] as const;
/** One of the net states DIGITS derives from a network description. */
export type DigitsStage = (typeof DIGITS_STAGES)[number];

/** DIGITS' states: train = TRAIN + "train", val = TEST + "val", deploy = TEST + "deploy". */
export const DIGITS_STATES: Readonly<Record<DigitsStage, NetState>> = {
  train: { phase: 'TRAIN', level: 0, stage: ['train'] },
  val: { phase: 'TEST', level: 0, stage: ['val'] },
  deploy: { phase: 'TEST', level: 0, stage: ['deploy'] },
};

/** Caffe's StateMeetsRule: every field the rule sets must hold for the state. */
export function stateMeetsRule(state: NetState, rule: NetStateRule): boolean {
  if (rule.phase !== undefined && rule.phase !== state.phase) return false;
  if (rule.minLevel !== undefined && state.level < rule.minLevel) return false;
  if (rule.maxLevel !== undefined && state.level > rule.maxLevel) return false;
  if (!rule.stage.every((s) => state.stage.includes(s))) return false;
  return !rule.notStage.some((s) => state.stage.includes(s));
}

/**
 * Caffe's FilterNet test for one layer: with include rules it is kept iff some rule is met; with
 * exclude rules it is dropped iff some rule is met; with neither it is kept.
 */
export function layerIncluded(layer: Pick<CaffeLayer, 'include' | 'exclude'>, state: NetState): boolean {
  if (layer.include.length > 0) return layer.include.some((rule) => stateMeetsRule(state, rule));
  return !layer.exclude.some((rule) => stateMeetsRule(state, rule));
}

/** The layers of `net` that run in `state`, in order. */
export function filterNet(net: CaffeNet, state: NetState): CaffeLayer[] {
  return net.layers.filter((layer) => layerIncluded(layer, state));
}
