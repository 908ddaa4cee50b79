// Bundles the pages into dist/, the directory nginx serves at /: src/*.html (with the shared
// header put in place of <!-- header -->, and the sign-in forms, src/signin.html, in place of
// <!-- signin -->), assets/{list,deposit,object,accounts,edit,import,access}.js (each page's
// modules in one minified file, for the browsers of the last few years), assets/site.css, the
// IIIF logo, and vendor/mirador/mirador.min.js (Mirador's own bundle, loaded before object.js).
// Nothing is fetched at run time.
import { build } from "esbuild";
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "src");
const out = join(here, "dist");

await rm(out, { recursive: true, force: true });
await mkdir(join(out, "assets"), { recursive: true });

await build({
  entryPoints: ["list", "deposit", "object", "accounts", "edit", "import", "access"].map((name) => ({ in: join(src, "js", `${name}.js`), out: name })),
  outdir: join(out, "assets"),
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "iife",
  target: ["chrome100", "firefox100", "safari15"],
  logLevel: "warning",
});
await build({
  entryPoints: [join(src, "site.css")],
  outfile: join(out, "assets", "site.css"),
  bundle: true,
  minify: true,
  target: ["chrome100", "firefox100", "safari15"],
  logLevel: "warning",
});

// The parts pages share: every page has the header, some the sign-in forms.
const partials = {};
for (const name of ["header", "signin"]) partials[name] = await readFile(join(src, `${name}.html`), "utf8");
for (const name of await readdir(src)) {
  if (!name.endsWith(".html") || name.slice(0, -5) in partials) continue;
  const page = await readFile(join(src, name), "utf8");
  if (!page.includes("<!-- header -->")) throw new Error(`${name} has no <!-- header --> line`);
  await writeFile(join(out, name),
    page.replace(/<!-- (header|signin) -->\n/g, (line, part) => partials[part]));
}
await copyFile(join(src, "iiif-logo.svg"), join(out, "assets", "iiif-logo.svg"));

await mkdir(join(out, "vendor", "mirador"), { recursive: true });
await copyFile(join(here, "node_modules", "mirador", "dist", "mirador.min.js"),
  join(out, "vendor", "mirador", "mirador.min.js"));
console.log(`web: built ${out}`);
