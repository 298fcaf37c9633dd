// TypeDoc plugin for kvs-ts: names each entry point's module after its npm package.
// Every packages/*/src/index.ts opens with `@module @kvs-ts/<name>` followed by a description on
// the next lines; TypeDoc only renames a module when the tag holds a single line, so this moves
// the description lines into the module summary and keeps the name in the tag. Entry points
// without a tag (e.g. src/node.ts) get `@kvs-ts/<package>/<file>` from their path.
import { Comment, Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(
    Converter.EVENT_CREATE_DECLARATION,
    (_context, reflection) => {
      if (!reflection.kindOf(ReflectionKind.Module)) return;
      const tag = reflection.comment?.getTag('@module');
      if (tag) {
        const parts = tag.content;
        const i = parts.findIndex((part) => part.kind === 'text' && part.text.includes('\n'));
        if (i >= 0) {
          const text = parts[i].text;
          const newline = text.indexOf('\n');
          const name = Comment.combineDisplayParts([
            ...parts.slice(0, i),
            { kind: 'text', text: text.slice(0, newline) },
          ]);
          const rest = [{ kind: 'text', text: text.slice(newline + 1).trimStart() }, ...parts.slice(i + 1)];
          tag.content = [{ kind: 'text', text: name.trim() }];
          reflection.comment.summary = [...rest, { kind: 'text', text: '\n\n' }, ...reflection.comment.summary];
        }
        return;
      }
      const m = /^([\w-]+)\/src(?:\/([\w-]+))?$/.exec(reflection.name);
      if (m) reflection.name = m[2] && m[2] !== 'index' ? `@kvs-ts/${m[1]}/${m[2]}` : `@kvs-ts/${m[1]}`;
    },
    100,
  );
}
