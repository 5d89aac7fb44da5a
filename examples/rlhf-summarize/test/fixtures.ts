// Test fixtures written into a temporary directory: a tiny random GPT-2 in Hugging Face layout
// (config.json + model.safetensors + vocab.json + merges.txt of a byte-level BPE whose merges make
// the TL;DR template and the fixture words single tokens), a TL;DR SFT file and a comparisons file in
// Stiennon et al.'s formats. The chosen summary of every comparison names the post's topic, the
// rejected one does not, so a reward model can learn the preference.

import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Generator } from '@attune/tensor';
import { GPT, GPT2Tokenizer, gptConfig, savePretrained } from '@attune/transformer';

/** GPT-2's reversible byte → printable character table (Radford et al.'s encoder.py `bytes_to_unicode`). */
function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  return table;
}

export const TOPICS = ['cats', 'cooking', 'running'] as const;
const WORDS = ['my', 'the', 'is', 'and', 'day', 'help', 'sad', 'good', 'week', 'new', 'old', 'friend', 'today', 'need', 'advice'];

/** The byte-level vocabulary and merges: all 256 bytes, then each word merged left to right, then EOS. */
export function tinyVocabulary(): { vocab: Record<string, number>; merges: [string, string][] } {
  const bytes = bytesToUnicode();
  const vocab: Record<string, number> = {};
  bytes.forEach((c, i) => (vocab[c] = i));
  const merges: [string, string][] = [];
  const pieces = ['SUBREDDIT', 'TITLE', 'POST', 'TL', 'DR', ...TOPICS, ...[...TOPICS, ...WORDS, 'r'].map((w) => `Ġ${w}`)];
  for (const piece of pieces) {
    let left = piece[0];
    for (const next of piece.slice(1)) {
      if (!Object.hasOwn(vocab, left + next)) {
        merges.push([left, next]);
        vocab[left + next] = Object.keys(vocab).length;
      }
      left += next;
    }
  }
  vocab['<|endoftext|>'] = Object.keys(vocab).length;
  return { vocab, merges };
}

/** Deterministic word picks (no library RNG in fixtures). */
function pick<T>(items: readonly T[], i: number, salt: number): T {
  return items[(i * 7 + salt * 13 + ((i * salt) % 5)) % items.length];
}

/** A TL;DR post about `TOPICS[i % 3]`. */
function post(i: number): { subreddit: string; title: string; post: string } {
  const topic = TOPICS[i % TOPICS.length];
  return {
    subreddit: topic,
    title: `${pick(WORDS, i, 1)} ${topic}`,
    post: [pick(WORDS, i, 2), topic, pick(WORDS, i, 3), pick(WORDS, i, 4), topic].join(' '),
  };
}

/** Paths of the fixture files. */
export interface Fixtures {
  model: string;
  sft: string;
  comparisons: string;
}

/**
 * Writes the tiny checkpoint and the two JSONL files under `dir`.
 *
 * @example
 * ```ts
 * const { model, sft, comparisons } = await writeFixtures(await mkdtemp(join(tmpdir(), 'x-')));
 * ```
 */
export async function writeFixtures(dir: string, rows = 20): Promise<Fixtures> {
  const modelDir = join(dir, 'gpt2-tiny');
  const { vocab, merges } = tinyVocabulary();
  const tokenizer = GPT2Tokenizer.fromVocabAndMerges(vocab, merges);
  const model = new GPT(gptConfig({ nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 48, vocabSize: tokenizer.vocabSize, dropout: 0.1 }), { generator: new Generator(0) });
  await savePretrained(model, modelDir); // config.json + model.safetensors; the tokenizer as GPT-2 shipped it:
  model.dispose();
  await mkdir(modelDir, { recursive: true });
  await writeFile(join(modelDir, 'vocab.json'), JSON.stringify(vocab));
  await writeFile(join(modelDir, 'merges.txt'), '#version: 0.2\n' + merges.map(([a, b]) => `${a} ${b}`).join('\n') + '\n');

  const sftLines: string[] = [];
  const comparisonLines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const p = post(i);
    const topic = p.subreddit;
    sftLines.push(JSON.stringify({ id: `t3_${i}`, ...p, summary: `${pick(WORDS, i, 5)} ${topic} ${pick(WORDS, i, 6)}` }));
    const good = `${pick(WORDS, i, 7)} ${topic}`;
    const bad = `${pick(WORDS, i, 8)} ${pick(WORDS, i, 9)}`;
    const choice = i % 2; // the preferred summary sits at either index
    comparisonLines.push(
      JSON.stringify({
        info: { id: `t3_${i}`, ...p },
        summaries: choice === 0 ? [{ text: good, policy: 'ref' }, { text: bad, policy: 'sup' }] : [{ text: bad, policy: 'sup' }, { text: good, policy: 'ref' }],
        choice,
        worker: 'w1',
        batch: 'batch3',
        split: 'train',
        extra: { confidence: 7 },
      }),
    );
  }
  const sft = join(dir, 'tldr-sft.jsonl');
  const comparisons = join(dir, 'comparisons.jsonl');
  await writeFile(sft, sftLines.join('\n') + '\n');
  await writeFile(comparisons, comparisonLines.join('\n') + '\n');
  return { model: modelDir, sft, comparisons };
}
