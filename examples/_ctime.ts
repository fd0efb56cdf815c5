/**
 * `ctime()`: the current local time as Python's `time.ctime()` prints it,
 * e.g. `Sun Mar 13 16:57:56 2022` (the day of the month padded with a space).
 *
 * @module
 */

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The time `date` (default: now) in `time.ctime()` form. */
export function ctime(date: Date = new Date()): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const day = String(date.getDate()).padStart(2, " ");
  const clock = `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
  return `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${day} ${clock} ${date.getFullYear()}`;
}
