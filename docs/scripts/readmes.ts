// Package READMEs are written for GitHub, where `[@attune/nn](../nn)` opens a folder. In the site
// those folders do not exist, so the build hands TypeDoc a copy of each README whose links to a
// sibling package point at that package's API page instead.

/**
 * Rewrites links from one package README to a sibling package folder (`../nn`, `../nn/`) into
 * TypeDoc `{@link}` tags that resolve to the sibling's module page; other links are kept.
 *
 * @param markdown - the README text.
 * @param packageNames - folder name → npm name for every package in the site, e.g. `nn` → `@attune/nn`.
 * @returns the README text with those links rewritten.
 *
 * @example
 * ```ts
 * rewritePackageLinks('see [nn](../nn)', new Map([['nn', '@attune/nn']]));
 * // 'see {@link @attune/nn! | nn}'
 * ```
 */
export function rewritePackageLinks(markdown: string, packageNames: ReadonlyMap<string, string>): string {
  return markdown.replace(/\[([^\]]+)\]\(\.\.\/([A-Za-z0-9_-]+)\/?\)/g, (link, text: string, folder: string) => {
    const name = packageNames.get(folder);
    return name === undefined ? link : `{@link ${name}! | ${text.replace(/`/g, '')}}`;
  });
}
