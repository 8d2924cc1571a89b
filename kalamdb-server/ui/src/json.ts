// Parsing of the server's JSON that keeps every integer exact: a JSON
// number that is an integer beyond 2^53 becomes a BigInt (BIGINT ids and
// _seq values are 64-bit). It uses the source text the reviver is given
// (JSON.parse source text access, in every current browser).

type ReviverContext = { source?: string };

const INTEGER = /^-?\d+$/;

function reviver(this: unknown, _key: string, value: unknown, ctx?: ReviverContext): unknown {
  if (typeof value === "number" && !Number.isSafeInteger(value) && ctx?.source && INTEGER.test(ctx.source)) {
    return BigInt(ctx.source);
  }
  return value;
}

export function parseJSON(text: string): any {
  return (JSON.parse as (t: string, r: typeof reviver) => unknown)(text, reviver);
}

// stringify for the server: BigInts become exact JSON numbers.
export function stringifyJSON(value: unknown, indent?: number): string {
  const marks: string[] = [];
  const s = JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === "bigint") {
        marks.push(v.toString());
        return `\u0000big${marks.length - 1}\u0000`;
      }
      return v;
    },
    indent,
  );
  return s.replace(/"\\u0000big(\d+)\\u0000"/g, (_m, i) => marks[Number(i)]);
}
