import { Application, EntryPointStrategy } from 'typedoc';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { rewritePackageLinks } from './readmes.ts';
const t0 = Date.now();
const pk = ['tensor','envs','nn','ppo','policy-gradient'];
mkdirSync('/tmp/tdx/readmes', {recursive:true});
const names = new Map(pk.map(p=>[p,'@attune/'+p]));
for (const p of pk) writeFileSync(`/tmp/tdx/readmes/${p}.md`, rewritePackageLinks(readFileSync(`../packages/${p}/README.md`,'utf8'), names));
const app = await Application.bootstrapWithPlugins({
  entryPointStrategy: EntryPointStrategy.Packages,
  entryPoints: pk.map(p=>'../packages/'+p),
  packageOptions: { entryPoints: ['src/index.ts'], disableSources: true },
  out: '/tmp/tdx/out',
  name: 'Attune',
  readme: '/tmp/tdx/guides/home.md',
  projectDocuments: ['/tmp/tdx/guides/a.md','/tmp/tdx/guides/b.md'],
  disableSources: true,
  logLevel: 'Info',
  intentionallyNotExported: ['DataBuffer'],
});
app.options.setValue('packageOptions', { entryPoints: ['src/index.ts'], disableSources: true, readme: '/tmp/tdx/readmes/{name}.md' } as never);
const project = await app.convert();
if (!project) { console.log('convert failed'); process.exit(1); }
app.validate(project);
await app.generateDocs(project, '/tmp/tdx/out');
console.log('ms', Date.now()-t0, 'warnings', app.logger.warningCount, 'errors', app.logger.errorCount);
