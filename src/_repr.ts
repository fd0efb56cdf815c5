/**
 * Short Python-style descriptions of values for reprs and log lines:
 * strings quoted, errors as `Name('message')`.
 *
 * @module
 */

const MAX_LENGTH = 80;

/** Describe `value` the way asyncio's reprs show results and exceptions. */
export function reprValue(value: unknown): string {
  let text: string;
  if (value instanceof Error) {
    text = `${value.name}(${quote(value.message)})`;
  } else if (typeof value === "string") {
    text = quote(value);
  } else if (typeof value === "function") {
    text = `<function ${value.name || "<anonymous>"}>`;
  } else if (typeof value === "object" && value !== null) {
    const own = String(value);
    // Objects with their own description (futures, tasks, handles) show it whole.
    if (own !== "[object Object]") return own;
    text = `<${value.constructor?.name ?? "Object"}>`;
  } else {
    text = String(value);
  }
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 3)}...` : text;
}

function quote(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}
